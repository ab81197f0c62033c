"""Every SMPP 3.4 PDU body and optional parameter (TLV), declared once, as data.

The encoder, the decoder and the readable dump (``parcelsms.protocol.smpp.pdu``) are all
derived from these tables; nothing else in the package knows a PDU's layout. A body is a
sequence of mandatory fields, each one of:

* ``INT1`` / ``INT2`` / ``INT4`` — big-endian unsigned integers of 1, 2 or 4 octets;
* ``CSTRING`` — a NUL-terminated string; ``size`` is the maximum length INCLUDING the NUL,
  as the specification states it (``system_id`` is 16: 15 characters and the NUL);
* ``OCTETS`` — raw octets whose length is the value of the previous field named in
  ``length_field`` (``short_message`` sized by ``sm_length``);

followed, where the specification allows it, by a block of TLVs (``has_tlvs``).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

from parcelsms.protocol.smpp.constants import CommandId


class FieldKind(Enum):
    INT1 = 1
    INT2 = 2
    INT4 = 4
    CSTRING = 10
    OCTETS = 11


@dataclass(frozen=True, slots=True)
class Field:
    """One mandatory field of a PDU body."""

    name: str
    kind: FieldKind
    size: int = 0  # CSTRING: maximum length including the NUL; OCTETS: maximum length
    length_field: str | None = None  # OCTETS: the field holding the length


@dataclass(frozen=True, slots=True)
class BodyLayout:
    """The body of one command: its mandatory fields and whether TLVs may follow."""

    command_id: int
    fields: tuple[Field, ...]
    has_tlvs: bool
    # Responses to failed requests are often sent with an empty body (the specification
    # says the body of a non-zero-status bind/submit response "shall not" be returned).
    body_optional: bool = False


I1, I2, I4, CS, OC = (
    FieldKind.INT1,
    FieldKind.INT2,
    FieldKind.INT4,
    FieldKind.CSTRING,
    FieldKind.OCTETS,
)

_BIND_FIELDS = (
    Field("system_id", CS, 16),
    Field("password", CS, 9),
    Field("system_type", CS, 13),
    Field("interface_version", I1),
    Field("addr_ton", I1),
    Field("addr_npi", I1),
    Field("address_range", CS, 41),
)

_SM_FIELDS = (
    Field("service_type", CS, 6),
    Field("source_addr_ton", I1),
    Field("source_addr_npi", I1),
    Field("source_addr", CS, 21),
    Field("dest_addr_ton", I1),
    Field("dest_addr_npi", I1),
    Field("destination_addr", CS, 21),
    Field("esm_class", I1),
    Field("protocol_id", I1),
    Field("priority_flag", I1),
    Field("schedule_delivery_time", CS, 17),
    Field("validity_period", CS, 17),
    Field("registered_delivery", I1),
    Field("replace_if_present_flag", I1),
    Field("data_coding", I1),
    Field("sm_default_msg_id", I1),
    Field("sm_length", I1),
    Field("short_message", OC, 254, "sm_length"),
)

_EMPTY: tuple[Field, ...] = ()

_LAYOUT_LIST = (
    BodyLayout(CommandId.GENERIC_NACK, _EMPTY, False),
    BodyLayout(CommandId.BIND_RECEIVER, _BIND_FIELDS, False),
    BodyLayout(CommandId.BIND_TRANSMITTER, _BIND_FIELDS, False),
    BodyLayout(CommandId.BIND_TRANSCEIVER, _BIND_FIELDS, False),
    BodyLayout(CommandId.BIND_RECEIVER_RESP, (Field("system_id", CS, 16),), True, True),
    BodyLayout(CommandId.BIND_TRANSMITTER_RESP, (Field("system_id", CS, 16),), True, True),
    BodyLayout(CommandId.BIND_TRANSCEIVER_RESP, (Field("system_id", CS, 16),), True, True),
    BodyLayout(CommandId.OUTBIND, (Field("system_id", CS, 16), Field("password", CS, 9)), False),
    BodyLayout(CommandId.UNBIND, _EMPTY, False),
    BodyLayout(CommandId.UNBIND_RESP, _EMPTY, False),
    BodyLayout(CommandId.ENQUIRE_LINK, _EMPTY, False),
    BodyLayout(CommandId.ENQUIRE_LINK_RESP, _EMPTY, False),
    BodyLayout(CommandId.SUBMIT_SM, _SM_FIELDS, True),
    BodyLayout(CommandId.SUBMIT_SM_RESP, (Field("message_id", CS, 65),), False, True),
    BodyLayout(CommandId.DELIVER_SM, _SM_FIELDS, True),
    BodyLayout(CommandId.DELIVER_SM_RESP, (Field("message_id", CS, 65),), False, True),
    BodyLayout(
        CommandId.DATA_SM,
        (
            Field("service_type", CS, 6),
            Field("source_addr_ton", I1),
            Field("source_addr_npi", I1),
            Field("source_addr", CS, 65),
            Field("dest_addr_ton", I1),
            Field("dest_addr_npi", I1),
            Field("destination_addr", CS, 65),
            Field("esm_class", I1),
            Field("registered_delivery", I1),
            Field("data_coding", I1),
        ),
        True,
    ),
    BodyLayout(CommandId.DATA_SM_RESP, (Field("message_id", CS, 65),), True, True),
    BodyLayout(
        CommandId.QUERY_SM,
        (
            Field("message_id", CS, 65),
            Field("source_addr_ton", I1),
            Field("source_addr_npi", I1),
            Field("source_addr", CS, 21),
        ),
        False,
    ),
    BodyLayout(
        CommandId.QUERY_SM_RESP,
        (
            Field("message_id", CS, 65),
            Field("final_date", CS, 17),
            Field("message_state", I1),
            Field("error_code", I1),
        ),
        False,
        True,
    ),
    BodyLayout(
        CommandId.CANCEL_SM,
        (
            Field("service_type", CS, 6),
            Field("message_id", CS, 65),
            Field("source_addr_ton", I1),
            Field("source_addr_npi", I1),
            Field("source_addr", CS, 21),
            Field("dest_addr_ton", I1),
            Field("dest_addr_npi", I1),
            Field("destination_addr", CS, 21),
        ),
        False,
    ),
    BodyLayout(CommandId.CANCEL_SM_RESP, _EMPTY, False),
    BodyLayout(
        CommandId.ALERT_NOTIFICATION,
        (
            Field("source_addr_ton", I1),
            Field("source_addr_npi", I1),
            Field("source_addr", CS, 65),
            Field("esme_addr_ton", I1),
            Field("esme_addr_npi", I1),
            Field("esme_addr", CS, 65),
        ),
        True,
    ),
)

LAYOUTS: dict[int, BodyLayout] = {layout.command_id: layout for layout in _LAYOUT_LIST}


class TlvKind(Enum):
    INT1 = 1
    INT2 = 2
    INT4 = 4
    CSTRING = 10
    OCTETS = 11
    EMPTY = 12  # a flag: present or absent, no value


@dataclass(frozen=True, slots=True)
class TlvSpec:
    """An optional parameter of SMPP 3.4 section 5.3.2."""

    tag: int
    name: str
    kind: TlvKind
    max_length: int = 65535  # of the value, octets (CSTRING includes the NUL)
    min_length: int = 0


_T1, _T2, _T4, _TC, _TO, _TE = (
    TlvKind.INT1,
    TlvKind.INT2,
    TlvKind.INT4,
    TlvKind.CSTRING,
    TlvKind.OCTETS,
    TlvKind.EMPTY,
)

_TLV_LIST = (
    TlvSpec(0x0005, "dest_addr_subunit", _T1),
    TlvSpec(0x0006, "dest_network_type", _T1),
    TlvSpec(0x0007, "dest_bearer_type", _T1),
    TlvSpec(0x0008, "dest_telematics_id", _T2),
    TlvSpec(0x000D, "source_addr_subunit", _T1),
    TlvSpec(0x000E, "source_network_type", _T1),
    TlvSpec(0x000F, "source_bearer_type", _T1),
    TlvSpec(0x0010, "source_telematics_id", _T1),
    TlvSpec(0x0017, "qos_time_to_live", _T4),
    TlvSpec(0x0019, "payload_type", _T1),
    TlvSpec(0x001D, "additional_status_info_text", _TC, 256),
    TlvSpec(0x001E, "receipted_message_id", _TC, 65),
    TlvSpec(0x0030, "ms_msg_wait_facilities", _T1),
    TlvSpec(0x0201, "privacy_indicator", _T1),
    TlvSpec(0x0202, "source_subaddress", _TO, 23, 2),
    TlvSpec(0x0203, "dest_subaddress", _TO, 23, 2),
    TlvSpec(0x0204, "user_message_reference", _T2),
    TlvSpec(0x0205, "user_response_code", _T1),
    TlvSpec(0x020A, "source_port", _T2),
    TlvSpec(0x020B, "destination_port", _T2),
    TlvSpec(0x020C, "sar_msg_ref_num", _T2),
    TlvSpec(0x020D, "language_indicator", _T1),
    TlvSpec(0x020E, "sar_total_segments", _T1),
    TlvSpec(0x020F, "sar_segment_seqnum", _T1),
    TlvSpec(0x0210, "sc_interface_version", _T1),
    TlvSpec(0x0302, "callback_num_pres_ind", _T1),
    TlvSpec(0x0303, "callback_num_atag", _TO, 65),
    TlvSpec(0x0304, "number_of_messages", _T1),
    TlvSpec(0x0381, "callback_num", _TO, 19, 4),
    TlvSpec(0x0420, "dpf_result", _T1),
    TlvSpec(0x0421, "set_dpf", _T1),
    TlvSpec(0x0422, "ms_availability_status", _T1),
    TlvSpec(0x0423, "network_error_code", _TO, 3, 3),
    TlvSpec(0x0424, "message_payload", _TO),
    TlvSpec(0x0425, "delivery_failure_reason", _T1),
    TlvSpec(0x0426, "more_messages_to_send", _T1),
    TlvSpec(0x0427, "message_state", _T1),
    TlvSpec(0x0501, "ussd_service_op", _T1),
    TlvSpec(0x1201, "display_time", _T1),
    TlvSpec(0x1203, "sms_signal", _T2),
    TlvSpec(0x1204, "ms_validity", _T1),
    TlvSpec(0x130C, "alert_on_message_delivery", _TE),
    TlvSpec(0x1380, "its_reply_type", _T1),
    TlvSpec(0x1383, "its_session_info", _TO, 2, 2),
)

TLV_BY_TAG: dict[int, TlvSpec] = {spec.tag: spec for spec in _TLV_LIST}
TLV_BY_NAME: dict[str, TlvSpec] = {spec.name: spec for spec in _TLV_LIST}
