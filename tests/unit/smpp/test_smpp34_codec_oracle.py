"""Our codec against an independent one: the Rust-backed ``smpp34`` package.

smpp34's Python codec has typed classes for submit_sm and deliver_sm only; every other
command decodes to a ``RawPdu`` (header and raw body). So the typed cross-check covers
submit_sm/deliver_sm in both directions, and the other commands are checked on framing
(header and body octets). smpp34 reads C-strings as UTF-8 (invalid octets become U+FFFD),
so the generated strings are ASCII, the common ground of both readings.
"""

from __future__ import annotations

import struct

import pytest
import smpp34
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from parcelsms.errors import ProtocolError
from parcelsms.protocol.smpp.constants import CommandId
from parcelsms.protocol.smpp.pdu import Pdu, decode, encode
from parcelsms.protocol.smpp.tables import LAYOUTS, TLV_BY_NAME, FieldKind

ORACLE_SETTINGS = settings(
    max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
SM_FIELDS = [field for field in LAYOUTS[CommandId.SUBMIT_SM].fields if field.name != "sm_length"]
ascii_text = st.characters(min_codepoint=0x20, max_codepoint=0x7E)
tlvs = st.lists(
    st.tuples(st.integers(0, 0xFFFF), st.binary(max_size=40)).filter(
        # Known tags get a value valid for their type so that our decoder accepts them.
        lambda tlv: tlv[0] not in {spec.tag for spec in TLV_BY_NAME.values()}
    )
    | st.sampled_from(
        [(0x001E, b"4f2a\x00"), (0x0427, b"\x02"), (0x0423, b"\x03\x00\x01"), (0x0424, b"x")]
    ),
    max_size=4,
)


@st.composite
def short_message_fields(draw: st.DrawFn) -> dict[str, int | str | bytes]:
    """The mandatory fields of a submit_sm/deliver_sm, as both libraries name them."""
    fields: dict[str, int | str | bytes] = {}
    for field in SM_FIELDS:
        if field.kind is FieldKind.CSTRING:
            fields[field.name] = draw(st.text(ascii_text, max_size=field.size - 1))
        elif field.kind is FieldKind.OCTETS:
            fields[field.name] = draw(st.binary(max_size=254))
        else:
            fields[field.name] = draw(st.integers(0, 255))
    return fields


def oracle_class(command_id: int) -> type[smpp34.SubmitSm] | type[smpp34.DeliverSm]:
    return smpp34.SubmitSm if command_id == CommandId.SUBMIT_SM else smpp34.DeliverSm


def oracle_fields(decoded: smpp34.SubmitSm | smpp34.DeliverSm) -> dict[str, int | str | bytes]:
    return {field.name: getattr(decoded, field.name) for field in SM_FIELDS}


command_ids = st.sampled_from([CommandId.SUBMIT_SM, CommandId.DELIVER_SM])
sequences = st.integers(1, 0x7FFFFFFF)


@ORACLE_SETTINGS
@given(command_ids, sequences, short_message_fields(), tlvs)
def test_smpp34_reads_our_submit_and_deliver_sm_field_for_field(
    command_id: int,
    sequence: int,
    fields: dict[str, int | str | bytes],
    tlv_list: list[tuple[int, bytes]],
) -> None:
    wire = encode(Pdu(command_id, sequence, 0, dict(fields), list(tlv_list)))
    theirs = smpp34.decode(wire)
    assert isinstance(theirs, oracle_class(command_id))
    assert theirs.sequence_number == sequence
    assert oracle_fields(theirs) == fields
    assert theirs.sm_length == len(fields["short_message"])  # type: ignore[arg-type]
    assert [(tlv.tag, tlv.value) for tlv in theirs.tlvs] == tlv_list
    # Both encoders produce the very same octets for the same PDU.
    assert theirs.encode() == wire


@ORACLE_SETTINGS
@given(command_ids, sequences, short_message_fields(), tlvs)
def test_we_read_smpp34_encodings_field_for_field(
    command_id: int,
    sequence: int,
    fields: dict[str, int | str | bytes],
    tlv_list: list[tuple[int, bytes]],
) -> None:
    arguments = dict(fields)
    source = arguments.pop("source_addr")
    destination = arguments.pop("destination_addr")
    message = arguments.pop("short_message")
    theirs = oracle_class(command_id)(
        source,
        destination,
        message,
        tlvs=[smpp34.Tlv(tag, value) for tag, value in tlv_list],
        sequence_number=sequence,
        **arguments,
    )
    ours = decode(theirs.encode())
    assert ours.command_id == command_id
    assert ours.sequence_number == sequence
    assert {name: ours.fields[name] for name in fields} == fields
    assert ours.tlvs == tlv_list
    assert encode(ours) == theirs.encode()


OTHER_COMMANDS = sorted(set(LAYOUTS) - {CommandId.SUBMIT_SM, CommandId.DELIVER_SM})


@ORACLE_SETTINGS
@given(st.sampled_from(OTHER_COMMANDS), sequences, st.integers(0, 0xFFFFFFFF))
def test_smpp34_frames_our_other_pdus_with_the_same_header_and_body(
    command_id: int, sequence: int, status: int
) -> None:
    layout = LAYOUTS[command_id]
    fields: dict[str, int | str | bytes] = {
        field.name: ("ab" if field.kind is FieldKind.CSTRING else 1) for field in layout.fields
    }
    pdu = Pdu(command_id, sequence, status, fields)
    if layout.has_tlvs:
        pdu.set_tlv("additional_status_info_text", "ok")
    wire = encode(pdu)
    theirs = smpp34.decode(wire)
    assert isinstance(theirs, smpp34.RawPdu)
    assert (theirs.command_length, theirs.command_id) == (len(wire), command_id)
    assert (theirs.command_status, theirs.sequence_number) == (status, sequence)
    assert theirs.body == wire[16:]


@ORACLE_SETTINGS
@given(
    command_ids,
    short_message_fields(),
    st.lists(st.tuples(st.integers(0, 200), st.integers(0, 255)), min_size=1, max_size=4),
)
def test_where_both_codecs_accept_a_damaged_pdu_they_read_the_same_fields(
    command_id: int,
    fields: dict[str, int | str | bytes],
    damage: list[tuple[int, int]],
) -> None:
    wire = bytearray(encode(Pdu(command_id, 1, 0, dict(fields))))
    for offset, value in damage:
        position = 16 + offset % max(1, len(wire) - 16)
        if position < len(wire):
            wire[position] = value
    data = bytes(wire)
    try:
        ours = decode(data)
    except ProtocolError:
        return  # we are the stricter reader (see the test below); nothing to compare
    try:
        theirs = smpp34.decode(data)
    except smpp34.SmppError:
        pytest.fail(f"smpp34 refused what we accepted: {data.hex()}")
    assert isinstance(theirs, oracle_class(command_id))
    for field in SM_FIELDS:
        value = ours.fields[field.name]
        if isinstance(value, str) and not value.isascii():
            continue  # smpp34 reads UTF-8, we read Latin-1: both are right for ASCII only
        assert getattr(theirs, field.name) == value, field.name
    assert [(tlv.tag, tlv.value) for tlv in theirs.tlvs] == ours.tlvs


def test_smpp34_tolerates_what_we_refuse_and_we_refuse_it_on_purpose() -> None:
    """Differences found by the oracle tests, pinned so a change on either side shows."""
    base = encode(Pdu(CommandId.SUBMIT_SM, 1, 0, {"short_message": b"a"}))

    def framed(extra: bytes) -> bytes:
        return struct.pack(">I", len(base) + len(extra)) + base[4:] + extra

    # A TLV whose length runs past the body: smpp34 drops it silently; we answer
    # ESME_RINVOPTPARSTREAM so the sender learns its PDU was damaged.
    claims_too_much = framed(bytes.fromhex("04270005"))
    assert smpp34.decode(claims_too_much).tlvs == []
    with pytest.raises(ProtocolError):
        decode(claims_too_much)
    # message_state with two octets instead of one: smpp34 keeps it; we answer
    # ESME_RINVPARLEN, since the value cannot be read as the specification defines it.
    wrong_size = framed(bytes.fromhex("042700020101"))
    assert [tlv.value for tlv in smpp34.decode(wrong_size).tlvs] == [b"\x01\x01"]
    with pytest.raises(ProtocolError):
        decode(wrong_size)
    # Both refuse a short_message over the 254-octet limit.
    with pytest.raises(ValueError, match="254"):
        smpp34.SubmitSm("1", "2", b"x" * 255)
