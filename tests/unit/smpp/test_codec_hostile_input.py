"""The framing codec under hostile input: one ProtocolError with the right status, never a crash."""

from __future__ import annotations

import struct

import pytest

from parcelsms.errors import ProtocolError
from parcelsms.protocol.smpp.codec import DEFAULT_MAX_PDU_LENGTH, PduReader
from parcelsms.protocol.smpp.constants import CommandId, CommandStatus
from parcelsms.protocol.smpp.pdu import Pdu, encode, make

ENQUIRE_LINK = bytes.fromhex("00000010 00000015 00000000 00000063")  # seq 99


def header(length: int, command_id: int, sequence: int = 7, status: int = 0) -> bytes:
    return struct.pack(">IIII", length, command_id, status, sequence)


def pdu_bytes(command_id: int, body: bytes, sequence: int = 7) -> bytes:
    return header(16 + len(body), command_id, sequence) + body


def submit_body(
    destination: bytes = b"447700900123\x00", sm_length: int = 2, message: bytes = b"hi"
) -> bytes:
    return (
        b"\x00"  # service_type
        + b"\x01\x01"
        + b"123\x00"
        + b"\x01\x01"
        + destination
        + b"\x00\x00\x00"  # esm_class, protocol_id, priority_flag
        + b"\x00\x00"  # schedule_delivery_time, validity_period
        + b"\x01\x00\x00\x00"  # registered_delivery .. sm_default_msg_id
        + bytes((sm_length,))
        + message
    )


def read_error(data: bytes, max_length: int = DEFAULT_MAX_PDU_LENGTH) -> ProtocolError:
    reader = PduReader(max_length)
    reader.feed(data)
    with pytest.raises(ProtocolError) as caught:
        reader.read()
    return caught.value


def test_a_well_formed_submit_sm_body_decodes() -> None:
    reader = PduReader()
    reader.feed(pdu_bytes(CommandId.SUBMIT_SM, submit_body()))
    pdu = reader.read()
    assert pdu is not None
    assert pdu.bytes_field("short_message") == b"hi"


@pytest.mark.parametrize("length", [0, 1, 15])
def test_command_length_below_sixteen_is_fatal(length: int) -> None:
    error = read_error(header(length, CommandId.ENQUIRE_LINK) + ENQUIRE_LINK)
    assert error.command_status == CommandStatus.ESME_RINVCMDLEN
    assert error.fatal
    assert error.sequence_number == 7
    assert error.command_id == CommandId.ENQUIRE_LINK


def test_command_length_above_the_maximum_is_fatal_before_the_body_arrives() -> None:
    error = read_error(header(1025, CommandId.SUBMIT_SM), max_length=1024)
    assert error.command_status == CommandStatus.ESME_RINVCMDLEN
    assert error.fatal


def test_after_a_fatal_error_the_reader_refuses_everything() -> None:
    reader = PduReader()
    reader.feed(header(0xFFFFFFFF, CommandId.SUBMIT_SM))
    with pytest.raises(ProtocolError) as first:
        reader.read()
    reader.feed(ENQUIRE_LINK)
    assert reader.buffered == 0
    with pytest.raises(ProtocolError) as again:
        reader.read()
    assert again.value is first.value


def test_a_truncated_header_waits_for_more_bytes() -> None:
    reader = PduReader()
    reader.feed(ENQUIRE_LINK[:15])
    assert reader.read() is None
    reader.feed(ENQUIRE_LINK[15:])
    assert reader.read() == Pdu(CommandId.ENQUIRE_LINK, 99)


def test_a_body_shorter_than_command_length_waits_for_more_bytes() -> None:
    wire = pdu_bytes(CommandId.SUBMIT_SM, submit_body())
    reader = PduReader()
    reader.feed(wire[:-1])
    assert reader.read() is None
    assert reader.buffered == len(wire) - 1
    reader.feed(wire[-1:])
    assert reader.read() is not None


@pytest.mark.parametrize(
    ("name", "body"),
    [
        ("empty body", b""),
        ("ends inside the integers", submit_body()[:6]),
        ("ends before short_message", submit_body()[:-2]),
        ("ends inside short_message", submit_body()[:-1]),
        ("ends inside a C-string", b"\x00\x01\x01" + b"12"),
    ],
)
def test_a_body_cut_short_is_an_invalid_command_length(name: str, body: bytes) -> None:
    error = read_error(pdu_bytes(CommandId.SUBMIT_SM, body))
    assert error.command_status == CommandStatus.ESME_RINVCMDLEN, name
    assert not error.fatal
    assert error.sequence_number == 7
    assert error.command_id == CommandId.SUBMIT_SM


def test_a_c_string_without_its_nul_within_the_maximum_is_an_invalid_parameter_length() -> None:
    # destination_addr may hold 20 octets and the NUL; 30 digits follow without one.
    body = submit_body(destination=b"1" * 30 + b"\x00")
    error = read_error(pdu_bytes(CommandId.SUBMIT_SM, body))
    assert error.command_status == CommandStatus.ESME_RINVPARLEN
    assert "destination_addr" in str(error)


def test_an_over_long_system_id_in_a_bind_is_an_invalid_parameter_length() -> None:
    body = b"A" * 16 + b"\x00" + b"pw\x00" + b"\x00" + b"\x34\x00\x00\x00"
    error = read_error(pdu_bytes(CommandId.BIND_TRANSCEIVER, body))
    assert error.command_status == CommandStatus.ESME_RINVPARLEN


def test_sm_length_above_254_is_an_invalid_message_length() -> None:
    error = read_error(
        pdu_bytes(CommandId.SUBMIT_SM, submit_body(sm_length=255, message=b"x" * 255))
    )
    assert error.command_status == CommandStatus.ESME_RINVMSGLEN


def test_extra_octets_after_a_body_without_tlvs_are_an_invalid_command_length() -> None:
    error = read_error(pdu_bytes(CommandId.ENQUIRE_LINK, b"\x00"))
    assert error.command_status == CommandStatus.ESME_RINVCMDLEN
    error = read_error(pdu_bytes(CommandId.SUBMIT_SM_RESP, b"id\x00\x02\x10\x00\x01\x34"))
    assert error.command_status == CommandStatus.ESME_RINVCMDLEN


def test_a_truncated_tlv_header_is_an_invalid_tlv_stream() -> None:
    error = read_error(pdu_bytes(CommandId.SUBMIT_SM, submit_body() + b"\x04\x24\x00"))
    assert error.command_status == CommandStatus.ESME_RINVOPTPARSTREAM


def test_a_tlv_length_beyond_the_body_is_an_invalid_tlv_stream() -> None:
    error = read_error(pdu_bytes(CommandId.SUBMIT_SM, submit_body() + b"\x04\x24\x00\x10abc"))
    assert error.command_status == CommandStatus.ESME_RINVOPTPARSTREAM
    assert not error.fatal


@pytest.mark.parametrize(
    ("tag", "value"),
    [
        (0x0427, b""),  # message_state: one octet
        (0x0427, b"\x02\x00"),
        (0x0204, b"\x01"),  # user_message_reference: two octets
        (0x0017, b"\x00\x00\x01"),  # qos_time_to_live: four octets
        (0x130C, b"\x01"),  # alert_on_message_delivery: no value at all
        (0x0423, b"\x03\x00"),  # network_error_code: exactly three octets
        (0x0381, b"\x01\x02\x03"),  # callback_num: at least four octets
        (0x001E, b"x" * 66),  # receipted_message_id: at most 65 octets
    ],
)
def test_a_known_tlv_of_the_wrong_length_is_an_invalid_parameter_length(
    tag: int, value: bytes
) -> None:
    tlv = struct.pack(">HH", tag, len(value)) + value
    error = read_error(pdu_bytes(CommandId.DELIVER_SM, submit_body() + tlv))
    assert error.command_status == CommandStatus.ESME_RINVPARLEN
    assert f"{tag:04x}" in str(error) or "invalid length" in str(error)


def test_an_unknown_tlv_of_any_length_is_accepted() -> None:
    tlv = struct.pack(">HH", 0x2001, 3) + b"abc"
    reader = PduReader()
    reader.feed(pdu_bytes(CommandId.DELIVER_SM, submit_body() + tlv))
    pdu = reader.read()
    assert pdu is not None
    assert pdu.tlvs == [(0x2001, b"abc")]


def test_an_unknown_command_id_is_decoded_and_kept_raw() -> None:
    reader = PduReader()
    reader.feed(pdu_bytes(0x00000099, b"anything\x00at all"))
    pdu = reader.read()
    assert pdu is not None
    assert pdu.command_id == 0x99
    assert pdu.fields == {"body": b"anything\x00at all"}


def test_a_vendor_command_status_is_carried_through() -> None:
    reader = PduReader()
    reader.feed(header(17, CommandId.SUBMIT_SM_RESP, 3, status=0x0000040C) + b"\x00")
    pdu = reader.read()
    assert pdu is not None
    assert pdu.command_status == 0x40C


@pytest.mark.parametrize(
    "bad",
    [
        pdu_bytes(CommandId.SUBMIT_SM, b""),
        pdu_bytes(CommandId.SUBMIT_SM, submit_body() + b"\x04"),
        pdu_bytes(CommandId.DELIVER_SM, submit_body() + b"\x04\x27\x00\x02\x01\x01"),
        pdu_bytes(CommandId.BIND_TRANSMITTER, b"\xff" * 40),
        pdu_bytes(CommandId.ENQUIRE_LINK, b"junk"),
    ],
    ids=["empty-submit", "tlv-header", "tlv-size", "bind-no-nul", "trailing-junk"],
)
def test_the_reader_continues_with_the_next_pdu_after_a_non_fatal_error(bad: bytes) -> None:
    good = encode(make(CommandId.SUBMIT_SM_RESP, 8, message_id="m-1"))
    reader = PduReader()
    reader.feed(bad + good + ENQUIRE_LINK)
    with pytest.raises(ProtocolError) as caught:
        reader.read()
    assert not caught.value.fatal
    assert reader.read_all() == [
        make(CommandId.SUBMIT_SM_RESP, 8, message_id="m-1"),
        Pdu(CommandId.ENQUIRE_LINK, 99),
    ]
    assert reader.buffered == 0


def test_read_all_returns_every_pdu_fed_in_one_piece() -> None:
    reader = PduReader()
    reader.feed(ENQUIRE_LINK * 3)
    assert len(reader.read_all()) == 3
    assert reader.read_all() == []
