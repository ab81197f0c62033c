"""Property tests of the codec: valid PDUs round-trip; any byte stream raises only ProtocolError."""

from __future__ import annotations

import struct

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from parcelsms.errors import ProtocolError
from parcelsms.protocol.smpp.codec import PduReader
from parcelsms.protocol.smpp.pdu import Pdu, decode, encode
from parcelsms.protocol.smpp.tables import (
    LAYOUTS,
    TLV_BY_TAG,
    BodyLayout,
    FieldKind,
    TlvKind,
    TlvSpec,
)

MAX_LENGTH = 4096
FUZZ_SETTINGS = settings(
    max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)

# Latin-1 without NUL: what a C-octet string can carry.
c_string_chars = st.characters(min_codepoint=1, max_codepoint=255)


def known_tlv_value(spec: TlvSpec) -> st.SearchStrategy[bytes]:
    kind = spec.kind
    if kind in (TlvKind.INT1, TlvKind.INT2, TlvKind.INT4):
        return st.binary(min_size=kind.value, max_size=kind.value)
    if kind is TlvKind.EMPTY:
        return st.just(b"")
    if kind is TlvKind.CSTRING:
        return st.text(c_string_chars, max_size=spec.max_length - 1).map(
            lambda text: text.encode("latin-1") + b"\x00"
        )
    return st.binary(min_size=spec.min_length, max_size=min(spec.max_length, 300))


known_tlvs = st.sampled_from(sorted(TLV_BY_TAG)).flatmap(
    lambda tag: known_tlv_value(TLV_BY_TAG[tag]).map(lambda raw: (tag, raw))
)
vendor_tlvs = st.tuples(
    st.integers(0, 0xFFFF).filter(lambda tag: tag not in TLV_BY_TAG), st.binary(max_size=64)
)
tlv_lists = st.lists(st.one_of(known_tlvs, vendor_tlvs), max_size=5)


@st.composite
def valid_pdus(draw: st.DrawFn, layout: BodyLayout | None = None) -> Pdu:
    """Any well-formed PDU of the tables (every field within its specification limit)."""
    if layout is None:
        layout = draw(st.sampled_from(list(LAYOUTS.values())))
    sequence = draw(st.integers(0, 0xFFFFFFFF))
    status = draw(st.one_of(st.just(0), st.integers(0, 0xFFFFFFFF)))
    if layout.body_optional and status != 0 and draw(st.booleans()):
        return Pdu(layout.command_id, sequence, status)  # an error answer without a body
    fields: dict[str, int | str | bytes] = {}
    for field in layout.fields:
        if field.kind is FieldKind.CSTRING:
            fields[field.name] = draw(st.text(c_string_chars, max_size=field.size - 1))
        elif field.kind is FieldKind.OCTETS:
            value = draw(st.binary(max_size=field.size))
            fields[field.name] = value
            if field.length_field:
                fields[field.length_field] = len(value)
        elif field.name not in fields:
            fields[field.name] = draw(st.integers(0, 255))
    tlvs = draw(tlv_lists) if layout.has_tlvs else []
    return Pdu(layout.command_id, sequence, status, fields, tlvs)


unknown_pdus = st.builds(
    lambda command_id, sequence, body: Pdu(command_id, sequence, 0, {"body": body}),
    st.integers(0, 0xFFFFFFFF).filter(lambda command_id: command_id not in LAYOUTS),
    st.integers(0, 0x7FFFFFFF),
    st.binary(max_size=64),
)


@FUZZ_SETTINGS
@given(valid_pdus())
def test_every_valid_pdu_round_trips(pdu: Pdu) -> None:
    wire = encode(pdu)
    decoded = decode(wire)
    assert decoded == pdu
    assert encode(decoded) == wire


@FUZZ_SETTINGS
@given(unknown_pdus)
def test_pdus_of_unknown_commands_round_trip(pdu: Pdu) -> None:
    wire = encode(pdu)
    assert decode(wire) == pdu


# ---- hostile streams ---------------------------------------------------------------------

Outcome = tuple[str, object]


def read_everything(reader: PduReader, outcomes: list[Outcome]) -> bool:
    """Drain the reader into ``outcomes``; False once the stream is lost."""
    while True:
        try:
            pdu = reader.read()
        except ProtocolError as error:
            outcomes.append(("error", (error.command_status, error.sequence_number, error.fatal)))
            if error.fatal:
                return False
            continue
        if pdu is None:
            return True
        outcomes.append(("pdu", pdu))


def outcomes_all_at_once(stream: bytes) -> list[Outcome]:
    reader = PduReader(MAX_LENGTH)
    reader.feed(stream)
    outcomes: list[Outcome] = []
    read_everything(reader, outcomes)
    return outcomes


def outcomes_in_chunks(stream: bytes, cuts: list[int]) -> list[Outcome]:
    reader = PduReader(MAX_LENGTH)
    outcomes: list[Outcome] = []
    start = 0
    for cut in [*sorted(cuts), len(stream)]:
        reader.feed(stream[start:cut])
        start = max(start, cut)
        if not read_everything(reader, outcomes):
            break
    return outcomes


def check_decoded_pdus_re_encode(outcomes: list[Outcome]) -> None:
    """What the codec accepted re-encodes stably and reads back as the same PDU.

    The one exception: a successful response received with an empty body (tolerated) is
    re-encoded with the empty fields the specification requires, e.g. a lone NUL.
    """
    for kind, value in outcomes:
        if kind == "pdu":
            assert isinstance(value, Pdu)
            wire = encode(value)
            again = decode(wire)
            assert encode(again) == wire
            assert again == value or (not value.fields and value.command_status == 0)


@st.composite
def mutated_streams(draw: st.DrawFn) -> bytes:
    """Valid PDUs concatenated, then bit flips, cuts, splices and inserted garbage."""
    parts = [encode(pdu) for pdu in draw(st.lists(valid_pdus(), min_size=1, max_size=4))]
    stream = bytearray(b"".join(parts))
    for _ in range(draw(st.integers(0, 6))):
        if not stream:
            break
        operation = draw(st.sampled_from(["flip", "cut", "splice", "insert", "length"]))
        position = draw(st.integers(0, len(stream) - 1))
        if operation == "flip":
            stream[position] ^= 1 << draw(st.integers(0, 7))
        elif operation == "cut":
            end = draw(st.integers(position, len(stream)))
            del stream[position:end]
        elif operation == "splice":
            other = encode(draw(valid_pdus()))
            stream[position:position] = other[: draw(st.integers(0, len(other)))]
        elif operation == "insert":
            stream[position:position] = draw(st.binary(min_size=1, max_size=8))
        else:
            # Rewrite a command_length-sized word with a small value, the likeliest slip.
            value = draw(st.integers(0, 300))
            stream[position : position + 4] = struct.pack(">I", value)
    return bytes(stream)


chunk_cuts = st.lists(st.integers(0, 6000), max_size=30)


@FUZZ_SETTINGS
@given(st.binary(max_size=2000), chunk_cuts)
def test_arbitrary_bytes_raise_only_protocol_error_however_they_are_split(
    stream: bytes, cuts: list[int]
) -> None:
    whole = outcomes_all_at_once(stream)
    assert outcomes_in_chunks(stream, cuts) == whole
    check_decoded_pdus_re_encode(whole)


@FUZZ_SETTINGS
@given(mutated_streams(), chunk_cuts)
def test_mutated_pdu_streams_raise_only_protocol_error_however_they_are_split(
    stream: bytes, cuts: list[int]
) -> None:
    whole = outcomes_all_at_once(stream)
    assert outcomes_in_chunks(stream, cuts) == whole
    check_decoded_pdus_re_encode(whole)


@FUZZ_SETTINGS
@given(st.lists(valid_pdus(), min_size=1, max_size=6), chunk_cuts)
def test_a_stream_of_valid_pdus_reads_back_in_order_whatever_the_chunking(
    pdus: list[Pdu], cuts: list[int]
) -> None:
    stream = b"".join(encode(pdu) for pdu in pdus)
    assert outcomes_in_chunks(stream, cuts) == [("pdu", pdu) for pdu in pdus]


@FUZZ_SETTINGS
@given(st.binary(min_size=16, max_size=600))
def test_decode_of_one_buffer_raises_only_protocol_error(data: bytes) -> None:
    body = data[16:]
    framed = struct.pack(">I", len(data)) + data[4:16] + body
    try:
        pdu = decode(framed)
    except ProtocolError as error:
        status = error.command_status
        assert status != 0
        return
    # Whatever is accepted is re-encoded to the same bytes, except an empty successful
    # response body, which the encoder fills with the fields the specification requires.
    again = encode(pdu)
    if again != framed:
        assert len(framed) == 16
        assert pdu.command_status == 0
        assert LAYOUTS[pdu.command_id].body_optional
