"""The PDUs the simulated carrier sends, and what it remembers of the submits it gets."""

from __future__ import annotations

import calendar
from datetime import UTC, datetime

import pytest

from parcelsms.errors import ProtocolError
from parcelsms.protocol.smpp.constants import CommandId, CommandStatus, DataCoding, EsmClass
from parcelsms.protocol.smpp.pdu import Pdu, decode, encode
from parcelsms.protocol.smpp.receipt import ReceiptState, parse_receipt
from parcelsms.simulator import Concatenation, ErrorCode, SubmitRecord
from parcelsms.simulator.deliveries import malformed_copy, mo_pdu, receipt_pdu

SUBMITTED = calendar.timegm((2026, 11, 28, 15, 30, 12, 0, 0, 0))
DONE = SUBMITTED + 65


def _submit(text: bytes = b"Your parcel PX123456789CN is out for delivery") -> Pdu:
    return Pdu(
        CommandId.SUBMIT_SM,
        fields={
            "source_addr_ton": 5,
            "source_addr_npi": 0,
            "source_addr": "PARCELSMS",
            "dest_addr_ton": 1,
            "dest_addr_npi": 1,
            "destination_addr": "34600000001",
            "short_message": text,
        },
    )


def test_a_receipt_swaps_the_addresses_and_carries_id_and_state_tlvs() -> None:
    receipt = decode(
        encode(
            receipt_pdu(_submit(), "A0000001", "DELIVRD", ErrorCode("000", 0), SUBMITTED, DONE,
                        "Your parcel PX123456789CN is out")
        )
    )  # fmt: skip

    assert receipt.command_id == CommandId.DELIVER_SM
    assert receipt.int_field("esm_class") == EsmClass.DELIVERY_RECEIPT
    assert receipt.int_field("data_coding") == 0
    assert receipt.int_field("registered_delivery") == 0
    assert receipt.str_field("source_addr") == "34600000001"
    assert (receipt.int_field("source_addr_ton"), receipt.int_field("source_addr_npi")) == (1, 1)
    assert receipt.str_field("destination_addr") == "PARCELSMS"
    assert receipt.int_field("dest_addr_ton") == 5
    assert receipt.tlv("receipted_message_id") == "A0000001"
    assert receipt.tlv("message_state") == 2
    assert receipt.tlv("network_error_code") is None
    assert receipt.bytes_field("short_message") == (
        b"id:A0000001 sub:001 dlvrd:001 submit date:2611281530 done date:2611281531 "
        b"stat:DELIVRD err:000 text:Your parcel PX123456"
    )


def test_our_receipt_parser_reads_every_field_of_a_failure_receipt() -> None:
    pdu = receipt_pdu(_submit(), "2684354561", "UNDELIV", ErrorCode("0x0B", 11), SUBMITTED,
                      DONE, "¿Dónde? [] ok")  # fmt: skip

    receipt = parse_receipt(pdu.bytes_field("short_message"))
    from_tlvs = parse_receipt(
        b"",
        receipted_message_id=str(pdu.tlv("receipted_message_id")),
        message_state=int(pdu.tlv("message_state") or 0),
        network_error_code=pdu.tlv_raw("network_error_code"),
    )

    assert receipt.message_id == "2684354561"
    assert receipt.state is ReceiptState.UNDELIVERABLE
    assert receipt.err == "0x0B"
    assert receipt.delivered == 0
    assert receipt.submit_date == datetime(2026, 11, 28, 15, 30, tzinfo=UTC)
    assert receipt.done_date == datetime(2026, 11, 28, 15, 31, tzinfo=UTC)
    assert receipt.text == "?D?nde? ?? ok"  # only ASCII-and-GSM-safe characters are echoed
    assert from_tlvs.state is ReceiptState.UNDELIVERABLE
    assert from_tlvs.network_error == (3, 11)


def test_a_malformed_copy_is_well_framed_but_refused_with_invalid_parameter_length() -> None:
    receipt = receipt_pdu(_submit(), "A0000001", "DELIVRD", ErrorCode("000", 0), SUBMITTED,
                          DONE, "x")  # fmt: skip
    wire = encode(malformed_copy(receipt))

    assert int.from_bytes(wire[:4], "big") == len(wire)
    with pytest.raises(ProtocolError) as raised:
        decode(wire)
    assert raised.value.command_status == CommandStatus.ESME_RINVPARLEN
    assert not raised.value.fatal
    assert decode(encode(receipt)).tlv("message_state") == 2  # the original is untouched


def test_an_mo_in_gsm_text_is_data_coding_0_and_otherwise_ucs2() -> None:
    stop = decode(encode(mo_pdu("34600000001", "PARCELSMS", "STOP")))
    question = decode(encode(mo_pdu("34600000001", "PARCELSMS", "¿Dónde está? 你好")))

    assert stop.int_field("data_coding") == DataCoding.SMSC_DEFAULT
    assert stop.bytes_field("short_message") == b"STOP"
    assert stop.int_field("esm_class") == 0
    assert question.int_field("data_coding") == DataCoding.UCS2
    assert question.bytes_field("short_message").decode("utf-16-be") == "¿Dónde está? 你好"
    assert question.str_field("source_addr") == "34600000001"
    assert question.str_field("destination_addr") == "PARCELSMS"


def test_an_mo_too_long_for_short_message_travels_in_message_payload() -> None:
    text = "你" * 200  # 400 octets of UCS-2

    pdu = decode(encode(mo_pdu("34600000001", "PARCELSMS", text)))

    assert pdu.bytes_field("short_message") == b""
    payload = pdu.tlv("message_payload")
    assert isinstance(payload, bytes)
    assert payload.decode("utf-16-be") == text


def _record(short_message: bytes, esm_class: int = 0, data_coding: int = 0,
            tlvs: list[tuple[int, bytes]] | None = None) -> SubmitRecord:  # fmt: skip
    return SubmitRecord("sys", "PARCELSMS", "34600000001", short_message, data_coding,
                        esm_class, 1, tlvs or [], 0.0)  # fmt: skip


def test_a_record_reads_an_8_bit_concatenation_header_and_strips_it_from_the_text() -> None:
    record = _record(b"\x05\x00\x03\x2a\x03\x02" + b"part two", esm_class=EsmClass.UDHI)

    assert record.concatenation == Concatenation("udh8", 0x2A, 3, 2)
    assert record.text == "part two"


def test_a_record_reads_a_16_bit_concatenation_header_after_another_element() -> None:
    header = b"\x0c" + b"\x05\x04\x0b\x84\x23\xf0" + b"\x08\x04\x12\x34\x02\x01"
    record = _record(header + "你好".encode("utf-16-be"), EsmClass.UDHI, DataCoding.UCS2)

    assert record.concatenation == Concatenation("udh16", 0x1234, 2, 1)
    assert record.text == "你好"


def test_a_record_reads_sar_tlvs_and_message_payload() -> None:
    tlvs = [(0x020C, b"\x01\x02"), (0x020E, b"\x04"), (0x020F, b"\x03"), (0x0424, b"payload")]

    record = _record(b"", tlvs=tlvs)

    assert record.concatenation == Concatenation("sar", 0x0102, 4, 3)
    assert record.text == "payload"


def test_a_single_part_record_has_no_concatenation() -> None:
    assert _record(b"hello").concatenation is None
    assert _record(b"\x02\x70\x00hi", esm_class=EsmClass.UDHI).concatenation is None
