"""The deliver_sm PDUs a carrier sends: delivery receipts, MO replies, deliberate garbage.

Receipts follow SMPP 3.4 appendix B and what carriers actually send: esm_class 0x04,
data_coding 0, addresses swapped relative to the submit, the TLVs receipted_message_id
and message_state (plus network_error_code when the message failed), and the text::

    id:A0000000 sub:001 dlvrd:001 submit date:2611281530 done date:2611281531 stat:DELIVRD
    err:000 text:Your parcel PX12 is o
"""

from __future__ import annotations

import re
import time

from parcelsms.protocol.smpp.constants import CommandId, DataCoding, EsmClass
from parcelsms.protocol.smpp.pdu import Pdu
from parcelsms.protocol.text.concatenation import ConcatenationMethod, split_for_submit
from parcelsms.protocol.text.gsm7 import encode_gsm7, is_gsm7
from parcelsms.protocol.text.ucs2 import encode_ucs2
from parcelsms.simulator.scenario import FINAL_STATES, ErrorCode

__all__ = ["copy_request", "malformed_copy", "mo_pdu", "mo_pdus", "receipt_pdu", "receipt_text"]

_RECEIPTED_MESSAGE_ID, _MESSAGE_STATE, _NETWORK_ERROR_CODE = 0x001E, 0x0427, 0x0423
_MESSAGE_PAYLOAD = 0x0424
_NETWORK_TYPE_GSM = 3
_SHORT_MESSAGE_LIMIT = 254  # sm_length is one octet (SMPP 3.4 caps short_message at 254)

# The receipt's ``text:`` echoes the message start. Only characters that mean the same in
# ASCII and the GSM default alphabet are copied; the rest become "?" as many SMSCs do.
_NOT_SAFE = re.compile(r"[^A-Za-z0-9 .,:;!?'\"()+\-/#%&*<=>]")

_date_minute = -1
_date_text = ""


def _receipt_date(seconds: float) -> str:
    """``YYMMDDhhmm`` in UTC; cached per minute because every receipt needs two."""
    global _date_minute, _date_text
    minute = int(seconds // 60)
    if minute != _date_minute:
        _date_minute = minute
        _date_text = time.strftime("%y%m%d%H%M", time.gmtime(minute * 60))
    return _date_text


def receipt_text(
    message_id: str,
    state: str,
    error: ErrorCode,
    submitted_at: float,
    done_at: float,
    original_text: str,
) -> str:
    """The receipt's short_message text (wall-clock times in seconds since the epoch)."""
    excerpt = _NOT_SAFE.sub("?", original_text[:20])
    delivered = "001" if state == "DELIVRD" else "000"
    return (
        f"id:{message_id} sub:001 dlvrd:{delivered} submit date:{_receipt_date(submitted_at)}"
        f" done date:{_receipt_date(done_at)} stat:{state} err:{error.text} text:{excerpt}"
    )


def receipt_pdu(
    submit: Pdu,
    message_id: str,
    state: str,
    error: ErrorCode,
    submitted_at: float,
    done_at: float,
    original_text: str,
) -> Pdu:
    """The delivery receipt for ``submit`` (the submit_sm as received)."""
    fields = submit.fields
    text = receipt_text(message_id, state, error, submitted_at, done_at, original_text)
    tlvs = [
        (_RECEIPTED_MESSAGE_ID, message_id.encode("ascii") + b"\x00"),
        (_MESSAGE_STATE, bytes((FINAL_STATES[state],))),
    ]
    if state != "DELIVRD":
        tlvs.append(
            (_NETWORK_ERROR_CODE, bytes((_NETWORK_TYPE_GSM,)) + error.value.to_bytes(2, "big"))
        )
    return Pdu(
        CommandId.DELIVER_SM,
        fields={
            "service_type": "",
            "source_addr_ton": fields.get("dest_addr_ton", 0),
            "source_addr_npi": fields.get("dest_addr_npi", 0),
            "source_addr": fields.get("destination_addr", ""),
            "dest_addr_ton": fields.get("source_addr_ton", 0),
            "dest_addr_npi": fields.get("source_addr_npi", 0),
            "destination_addr": fields.get("source_addr", ""),
            "esm_class": EsmClass.DELIVERY_RECEIPT,
            "data_coding": DataCoding.SMSC_DEFAULT,
            "short_message": text.encode("ascii"),
        },
        tlvs=tlvs,
    )


def mo_pdu(
    source: str,
    destination: str,
    text: str,
    *,
    source_ton: int = 1,
    source_npi: int = 1,
    destination_ton: int = 0,
    destination_npi: int = 0,
) -> Pdu:
    """A mobile-originated message: GSM-7 when the text allows, else UCS-2; a text too long
    for short_message travels in message_payload."""
    if is_gsm7(text):
        data, data_coding = encode_gsm7(text), DataCoding.SMSC_DEFAULT
    else:
        data, data_coding = encode_ucs2(text), DataCoding.UCS2
    fields: dict[str, int | str | bytes] = {
        "service_type": "",
        "source_addr_ton": source_ton,
        "source_addr_npi": source_npi,
        "source_addr": source,
        "dest_addr_ton": destination_ton,
        "dest_addr_npi": destination_npi,
        "destination_addr": destination,
        "esm_class": 0,
        "data_coding": data_coding,
        "short_message": b"",
    }
    tlvs: list[tuple[int, bytes]] = []
    if len(data) <= _SHORT_MESSAGE_LIMIT:
        fields["short_message"] = data
    else:
        tlvs.append((_MESSAGE_PAYLOAD, data))
    return Pdu(CommandId.DELIVER_SM, fields=fields, tlvs=tlvs)


def mo_pdus(
    source: str,
    destination: str,
    text: str,
    *,
    concatenation: ConcatenationMethod = ConcatenationMethod.PAYLOAD,
    reference: int = 1,
    source_ton: int = 1,
    source_npi: int = 1,
    destination_ton: int = 0,
    destination_npi: int = 0,
) -> list[Pdu]:
    """The deliver_sm PDUs of a mobile-originated message a handset sends in parts.

    ``concatenation`` PAYLOAD (or a text that fits one SMS) is the single :func:`mo_pdu`;
    UDH8 / UDH16 / SAR split it as a handset does, tied together by ``reference``.
    """
    if concatenation is ConcatenationMethod.PAYLOAD:
        return [
            mo_pdu(
                source,
                destination,
                text,
                source_ton=source_ton,
                source_npi=source_npi,
                destination_ton=destination_ton,
                destination_npi=destination_npi,
            )
        ]
    pdus: list[Pdu] = []
    for part in split_for_submit(text, concatenation, reference):
        fields: dict[str, int | str | bytes] = {
            "service_type": "",
            "source_addr_ton": source_ton,
            "source_addr_npi": source_npi,
            "source_addr": source,
            "dest_addr_ton": destination_ton,
            "dest_addr_npi": destination_npi,
            "destination_addr": destination,
            "esm_class": EsmClass.UDHI if part.esm_class_udhi else 0,
            "data_coding": part.data_coding,
            "short_message": part.short_message,
        }
        pdu = Pdu(CommandId.DELIVER_SM, fields=fields)
        if part.sar is not None:
            pdu.set_tlv("sar_msg_ref_num", part.sar[0])
            pdu.set_tlv("sar_total_segments", part.sar[1])
            pdu.set_tlv("sar_segment_seqnum", part.sar[2])
        pdus.append(pdu)
    return pdus


def copy_request(pdu: Pdu) -> Pdu:
    """A fresh request with the same content (a new sequence number is given on sending)."""
    return Pdu(pdu.command_id, 0, 0, pdu.fields, list(pdu.tlvs))


def malformed_copy(receipt: Pdu) -> Pdu:
    """``receipt`` with a message_state TLV two octets long where the specification says
    one: well framed, so the stream survives, but undecodable — the ESME must answer
    generic_nack (ESME_RINVPARLEN) and carry on."""
    tlvs = [(tag, value) for tag, value in receipt.tlvs if tag != _MESSAGE_STATE]
    tlvs.append((_MESSAGE_STATE, b"\x00\x02"))
    return Pdu(receipt.command_id, 0, 0, receipt.fields, tlvs)
