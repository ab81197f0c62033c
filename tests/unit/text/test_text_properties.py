"""Property tests: splitting loses nothing, respects limits and reassembles."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from parcelsms.protocol.text import (
    GSM7_BASIC_CHARACTERS,
    GSM7_EXTENSION_CHARACTERS,
    ConcatenationMethod,
    Encoding,
    Reassembler,
    count_segments,
    decode_gsm7,
    decode_gsm7_packed,
    decode_ucs2,
    encode_gsm7,
    encode_gsm7_packed,
    encode_ucs2,
    split_for_submit,
)

GSM_ALPHABET = sorted(GSM7_BASIC_CHARACTERS | GSM7_EXTENSION_CHARACTERS)
# Characters that exercise every splitting rule: escapes, pairs, clusters, joiners.
TRICKY = [
    "a", "€", "{", "\f", "\r", "\n", "ж", "’", "😀", "\U0001f3fd", "\U0001f44d", "\u200d",
    "\U0001f469", "\U0001f4bb", "\U0001f1fa", "\U0001f1f8", "\u0301", "\ufe0f", "क", "ि",
    "\u1100", "\u1161", "\uac00",
]  # fmt: skip
gsm_texts = st.text(alphabet=st.sampled_from(GSM_ALPHABET), max_size=700)
tricky_texts = st.text(alphabet=st.sampled_from(TRICKY), max_size=400)
# Long padding followed by tricky characters puts them on part boundaries.
boundary_texts = st.builds(
    lambda padding, count, tail: padding * count + tail,
    st.sampled_from(["a", "ж", "😀", "€"]),
    st.integers(30, 330),
    st.text(alphabet=st.sampled_from(TRICKY), max_size=40),
)
any_texts = gsm_texts | tricky_texts | boundary_texts | st.text(max_size=300)
udh_methods = st.sampled_from(
    [ConcatenationMethod.UDH8, ConcatenationMethod.UDH16, ConcatenationMethod.SAR]
)

# Air-interface capacity: 140 octets. GSM-7 septets start after the UDH padded to a
# septet boundary; UCS-2 octets follow the UDH directly.
USER_DATA_OCTETS = 140


@given(text=any_texts, method=st.sampled_from(list(ConcatenationMethod)))
def test_joining_the_parts_gives_back_the_text(text: str, method: ConcatenationMethod) -> None:
    parts = split_for_submit(text, method, reference=200)
    assert "".join(part.text for part in parts) == text
    assert "".join(count_segments(text).segments) == text


@given(text=any_texts, method=udh_methods)
def test_no_part_exceeds_the_air_interface_capacity(text: str, method: ConcatenationMethod) -> None:
    for part in split_for_submit(text, method, reference=200):
        if part.esm_class_udhi:
            header_octets = part.short_message[0] + 1
            body = part.short_message[header_octets:]
        else:
            header_octets = 6 if part.sar else 0  # the SMSC adds an 8-bit-reference UDH
            body = part.short_message
        if part.data_coding == 0:
            header_septets = -(-header_octets * 8 // 7)
            assert header_septets + len(body) <= 160
            assert not body.endswith(b"\x1b") or body.endswith(b"\x1b\x1b")
        else:
            assert header_octets + len(body) <= USER_DATA_OCTETS
            assert len(body) % 2 == 0
            assert decode_ucs2(body) == part.text  # no surrogate pair was cut


@given(text=any_texts)
def test_segment_sizes_respect_their_limits_and_match_udh8_parts(text: str) -> None:
    info = count_segments(text)
    limit = info.segment_limit
    assert all(units <= limit for units in info.segment_units)
    assert sum(info.segment_units) == info.units
    parts = split_for_submit(text, ConcatenationMethod.UDH8, reference=1)
    assert [part.text for part in parts] == list(info.segments)


@settings(max_examples=60)
@given(text=any_texts, method=udh_methods, reference=st.integers(0, 255), data=st.data())
def test_shuffled_parts_reassemble_to_the_original_text(
    text: str, method: ConcatenationMethod, reference: int, data: st.DataObject
) -> None:
    parts = split_for_submit(text, method, reference)
    order = data.draw(st.permutations(range(len(parts))))
    reassembler = Reassembler(30.0, lambda: 0.0)
    results = []
    for index in order:
        part = parts[index]
        esm_class = 0x40 if part.esm_class_udhi else 0
        results.append(
            reassembler.add("src", "dst", part.short_message, esm_class, part.data_coding, part.sar)
        )
    assert all(result is None for result in results[:-1])
    completed = results[-1]
    assert completed is not None
    assert completed.text == text
    assert reassembler.pending_count == 0


@given(text=gsm_texts)
def test_gsm7_round_trips_unpacked_and_packed(text: str) -> None:
    septets = encode_gsm7(text)
    assert decode_gsm7(septets) == text
    assert len(septets) == count_segments(text).units
    for fill_bits in (0, 1, 6):
        packed = encode_gsm7_packed(septets, fill_bits=fill_bits)
        assert len(packed) == -(-(len(septets) * 7 + fill_bits) // 8) or not septets
        assert decode_gsm7_packed(packed, len(septets), fill_bits=fill_bits) == septets


@given(text=st.text(max_size=300) | tricky_texts)
def test_ucs2_round_trips(text: str) -> None:
    assert decode_ucs2(encode_ucs2(text)) == text
    if count_segments(text).encoding is Encoding.UCS2:
        assert len(encode_ucs2(text)) == 2 * count_segments(text).units


@given(
    text=st.text(
        alphabet=st.characters(min_codepoint=0xD780, max_codepoint=0xE020)
        | st.sampled_from(TRICKY),
        max_size=300,
    )
)
def test_counting_invalid_text_with_surrogates_never_raises_and_loses_nothing(
    text: str,
) -> None:
    info = count_segments(text)
    assert "".join(info.segments) == text
    assert all(units <= info.segment_limit for units in info.segment_units)
