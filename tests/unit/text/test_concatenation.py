"""Splitting texts into submit_sm parts: UDH8, UDH16, SAR and message_payload."""

from __future__ import annotations

import pytest

from parcelsms.errors import TextEncodingError
from parcelsms.protocol.text import (
    ConcatenationMethod,
    Encoding,
    count_segments,
    encode_gsm7,
    encode_ucs2,
    part_limit,
    split_for_submit,
)

ALL_METHODS = list(ConcatenationMethod)


@pytest.mark.parametrize("method", ALL_METHODS)
@pytest.mark.parametrize("text", ["a" * 160, "€" * 80, "ж" * 70, "😀" * 35, ""])
def test_a_text_that_fits_one_sms_is_one_plain_part(text: str, method: ConcatenationMethod) -> None:
    (part,) = split_for_submit(text, method, reference=7)
    assert not part.esm_class_udhi
    assert part.sar is None
    assert part.message_payload is None
    assert part.text == text
    gsm = text == "" or text[0] in "a€"
    assert part.data_coding == (0 if gsm else 8)
    assert part.short_message == (encode_gsm7(text) if gsm else encode_ucs2(text))


def test_udh8_parts_carry_a_six_octet_header_and_153_septets() -> None:
    parts = split_for_submit("a" * 200, ConcatenationMethod.UDH8, reference=0x2A)
    assert [len(part.text) for part in parts] == [153, 47]
    assert parts[0].short_message == bytes([5, 0x00, 3, 0x2A, 2, 1]) + b"a" * 153
    assert parts[1].short_message == bytes([5, 0x00, 3, 0x2A, 2, 2]) + b"a" * 47
    assert all(part.esm_class_udhi and part.data_coding == 0 for part in parts)


def test_udh16_parts_carry_a_seven_octet_header_and_152_septets() -> None:
    parts = split_for_submit("a" * 200, ConcatenationMethod.UDH16, reference=0x1234)
    assert [len(part.text) for part in parts] == [152, 48]
    assert parts[0].short_message == bytes([6, 0x08, 4, 0x12, 0x34, 2, 1]) + b"a" * 152
    assert parts[1].short_message[:7] == bytes([6, 0x08, 4, 0x12, 0x34, 2, 2])


def test_ucs2_parts_hold_67_units_with_8_bit_reference_and_66_with_16_bit() -> None:
    udh8 = split_for_submit("ж" * 100, ConcatenationMethod.UDH8, reference=1)
    assert [len(part.text) for part in udh8] == [67, 33]
    assert len(udh8[0].short_message) == 140
    assert all(part.data_coding == 8 for part in udh8)
    udh16 = split_for_submit("ж" * 100, ConcatenationMethod.UDH16, reference=1)
    assert [len(part.text) for part in udh16] == [66, 34]
    assert len(udh16[0].short_message) == 7 + 132


def test_sar_parts_have_no_header_and_carry_the_tlv_values() -> None:
    parts = split_for_submit("a" * 320, ConcatenationMethod.SAR, reference=513)
    assert [part.sar for part in parts] == [(513, 3, 1), (513, 3, 2), (513, 3, 3)]
    assert [len(part.short_message) for part in parts] == [153, 153, 14]
    assert not any(part.esm_class_udhi for part in parts)


def test_payload_sends_the_whole_long_text_in_message_payload() -> None:
    text = "ж" * 500
    (part,) = split_for_submit(text, ConcatenationMethod.PAYLOAD, reference=0)
    assert part.short_message == b""
    assert part.message_payload == encode_ucs2(text)
    assert (part.data_coding, part.esm_class_udhi, part.sar, part.text) == (8, False, None, text)


@pytest.mark.parametrize("method", [ConcatenationMethod.UDH8, ConcatenationMethod.SAR])
def test_escape_pair_is_never_split_across_parts(method: ConcatenationMethod) -> None:
    parts = split_for_submit("a" * 152 + "€" + "b" * 10, method, reference=1)
    assert [part.text for part in parts] == ["a" * 152, "€" + "b" * 10]
    assert not parts[0].short_message.endswith(b"\x1b")


def test_escape_pair_moves_to_the_next_part_at_the_udh16_boundary() -> None:
    parts = split_for_submit("a" * 151 + "{" + "b" * 10, ConcatenationMethod.UDH16, 1)
    assert [part.text for part in parts] == ["a" * 151, "{" + "b" * 10]


@pytest.mark.parametrize("method", [ConcatenationMethod.UDH8, ConcatenationMethod.UDH16])
def test_surrogate_pair_is_never_split_across_parts(method: ConcatenationMethod) -> None:
    limit = part_limit(method, Encoding.UCS2)
    parts = split_for_submit("ж" * (limit - 1) + "😀" + "ж" * 10, method, reference=1)
    assert parts[0].text == "ж" * (limit - 1)
    assert parts[1].text.startswith("😀")


def test_udh8_part_count_equals_the_segment_count() -> None:
    for text in ["a" * 1000, "€" * 400, "ж" * 300, "👍🏽" * 60]:
        parts = split_for_submit(text, ConcatenationMethod.UDH8, reference=3)
        assert len(parts) == count_segments(text).segment_count


@pytest.mark.parametrize(
    ("method", "reference"),
    [
        (ConcatenationMethod.UDH8, 256),
        (ConcatenationMethod.UDH8, -1),
        (ConcatenationMethod.UDH16, 65536),
        (ConcatenationMethod.SAR, 65536),
    ],
)
def test_reference_out_of_range_is_a_caller_error(
    method: ConcatenationMethod, reference: int
) -> None:
    with pytest.raises(ValueError, match="reference"):
        split_for_submit("a" * 200, method, reference)


def test_more_than_255_parts_cannot_be_sent() -> None:
    with pytest.raises(TextEncodingError, match="256 parts"):
        split_for_submit("a" * 153 * 256, ConcatenationMethod.UDH8, reference=1)


def test_payload_above_65535_octets_cannot_be_sent() -> None:
    with pytest.raises(TextEncodingError, match="message_payload"):
        split_for_submit("ж" * 40_000, ConcatenationMethod.PAYLOAD, reference=0)


def test_lone_surrogate_cannot_be_sent() -> None:
    with pytest.raises(TextEncodingError, match="lone surrogate"):
        split_for_submit("a\ud800", ConcatenationMethod.UDH8, reference=0)
