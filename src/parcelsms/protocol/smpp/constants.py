"""SMPP 3.4 numbers: command ids, command_status values, TLV tags, data_coding, esm_class.

Values are those of the SMPP v3.4 specification (issue 1.2, 1999). Names follow the
specification so that a packet dump, a carrier's documentation and this code read alike.
"""

from __future__ import annotations

from enum import IntEnum
from typing import Final


class CommandId(IntEnum):
    """command_id values. A response id is the request id with bit 31 set."""

    GENERIC_NACK = 0x80000000
    BIND_RECEIVER = 0x00000001
    BIND_RECEIVER_RESP = 0x80000001
    BIND_TRANSMITTER = 0x00000002
    BIND_TRANSMITTER_RESP = 0x80000002
    QUERY_SM = 0x00000003
    QUERY_SM_RESP = 0x80000003
    SUBMIT_SM = 0x00000004
    SUBMIT_SM_RESP = 0x80000004
    DELIVER_SM = 0x00000005
    DELIVER_SM_RESP = 0x80000005
    UNBIND = 0x00000006
    UNBIND_RESP = 0x80000006
    REPLACE_SM = 0x00000007
    REPLACE_SM_RESP = 0x80000007
    CANCEL_SM = 0x00000008
    CANCEL_SM_RESP = 0x80000008
    BIND_TRANSCEIVER = 0x00000009
    BIND_TRANSCEIVER_RESP = 0x80000009
    OUTBIND = 0x0000000B
    ENQUIRE_LINK = 0x00000015
    ENQUIRE_LINK_RESP = 0x80000015
    SUBMIT_MULTI = 0x00000021
    SUBMIT_MULTI_RESP = 0x80000021
    ALERT_NOTIFICATION = 0x00000102
    DATA_SM = 0x00000103
    DATA_SM_RESP = 0x80000103


RESPONSE_BIT = 0x80000000


def is_response(command_id: int) -> bool:
    """True for response PDUs (generic_nack included)."""
    return bool(command_id & RESPONSE_BIT)


def response_id_for(command_id: int) -> int:
    """The command_id of the response that answers ``command_id``."""
    return command_id | RESPONSE_BIT


def command_name(command_id: int) -> str:
    """Specification name of a command id, or ``unknown_0x…`` for anything else."""
    try:
        return CommandId(command_id).name.lower()
    except ValueError:
        return f"unknown_0x{command_id:08x}"


class CommandStatus(IntEnum):
    """command_status values defined by SMPP 3.4 (carriers add vendor values above 0x400)."""

    ESME_ROK = 0x00000000
    ESME_RINVMSGLEN = 0x00000001
    ESME_RINVCMDLEN = 0x00000002
    ESME_RINVCMDID = 0x00000003
    ESME_RINVBNDSTS = 0x00000004
    ESME_RALYBND = 0x00000005
    ESME_RINVPRTFLG = 0x00000006
    ESME_RINVREGDLVFLG = 0x00000007
    ESME_RSYSERR = 0x00000008
    ESME_RINVSRCADR = 0x0000000A
    ESME_RINVDSTADR = 0x0000000B
    ESME_RINVMSGID = 0x0000000C
    ESME_RBINDFAIL = 0x0000000D
    ESME_RINVPASWD = 0x0000000E
    ESME_RINVSYSID = 0x0000000F
    ESME_RCANCELFAIL = 0x00000011
    ESME_RREPLACEFAIL = 0x00000013
    ESME_RMSGQFUL = 0x00000014
    ESME_RINVSERTYP = 0x00000015
    ESME_RINVNUMDESTS = 0x00000033
    ESME_RINVDLNAME = 0x00000034
    ESME_RINVDESTFLAG = 0x00000040
    ESME_RINVSUBREP = 0x00000042
    ESME_RINVESMCLASS = 0x00000043
    ESME_RCNTSUBDL = 0x00000044
    ESME_RSUBMITFAIL = 0x00000045
    ESME_RINVSRCTON = 0x00000048
    ESME_RINVSRCNPI = 0x00000049
    ESME_RINVDSTTON = 0x00000050
    ESME_RINVDSTNPI = 0x00000051
    ESME_RINVSYSTYP = 0x00000053
    ESME_RINVREPFLAG = 0x00000054
    ESME_RINVNUMMSGS = 0x00000055
    ESME_RTHROTTLED = 0x00000058
    ESME_RINVSCHED = 0x00000061
    ESME_RINVEXPIRY = 0x00000062
    ESME_RINVDFTMSGID = 0x00000063
    ESME_RX_T_APPN = 0x00000064
    ESME_RX_P_APPN = 0x00000065
    ESME_RX_R_APPN = 0x00000066
    ESME_RQUERYFAIL = 0x00000067
    ESME_RINVOPTPARSTREAM = 0x000000C0
    ESME_ROPTPARNOTALLWD = 0x000000C1
    ESME_RINVPARLEN = 0x000000C2
    ESME_RMISSINGOPTPARAM = 0x000000C3
    ESME_RINVOPTPARAMVAL = 0x000000C4
    ESME_RDELIVERYFAILURE = 0x000000FE
    ESME_RUNKNOWNERR = 0x000000FF


def status_name(command_status: int) -> str:
    """Specification name of a status, or ``vendor_0x…`` for a carrier-specific value."""
    try:
        return CommandStatus(command_status).name
    except ValueError:
        return f"vendor_0x{command_status:08x}"


class DataCoding(IntEnum):
    """The data_coding values this project produces or decodes specially."""

    SMSC_DEFAULT = 0x00  # GSM 03.38 default alphabet on (nearly) every SMSC
    IA5 = 0x01
    OCTET_UNSPECIFIED_2 = 0x02
    LATIN_1 = 0x03
    OCTET_UNSPECIFIED_4 = 0x04
    UCS2 = 0x08


class EsmClass:
    """Bits of esm_class."""

    MODE_MASK: Final = 0x03
    TYPE_MASK: Final = 0x3C
    DELIVERY_RECEIPT: Final = 0x04  # message type: SMSC delivery receipt
    INTERMEDIATE_NOTIFICATION: Final = 0x20
    UDHI: Final = 0x40  # short_message starts with a user data header
    REPLY_PATH: Final = 0x80


class RegisteredDelivery:
    """Bits of registered_delivery."""

    NONE: Final = 0x00
    SUCCESS_OR_FAILURE: Final = 0x01
    FAILURE_ONLY: Final = 0x02


class MessageState(IntEnum):
    """message_state values (query_sm_resp and the message_state TLV)."""

    ENROUTE = 1
    DELIVERED = 2
    EXPIRED = 3
    DELETED = 4
    UNDELIVERABLE = 5
    ACCEPTED = 6
    UNKNOWN = 7
    REJECTED = 8


class BindType(IntEnum):
    """The three ways an ESME binds; values are the bind command ids."""

    RECEIVER = CommandId.BIND_RECEIVER
    TRANSMITTER = CommandId.BIND_TRANSMITTER
    TRANSCEIVER = CommandId.BIND_TRANSCEIVER


INTERFACE_VERSION_34 = 0x34
