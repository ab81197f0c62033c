"""UTF-16BE ("UCS-2") text and decoding of short_message by data_coding."""

from __future__ import annotations

import pytest

from parcelsms.errors import TextEncodingError
from parcelsms.protocol.text import (
    decode_latin1,
    decode_short_message,
    decode_ucs2,
    encode_ucs2,
    ucs2_unit_count,
)


@pytest.mark.parametrize(
    ("text", "units"),
    [("", 0), ("ж", 1), ("€", 1), ("😀", 2), ("👍🏽", 4), ("🇺🇸", 4), ("👨‍👩‍👧‍👦", 11)],
)
def test_units_are_utf16_code_units(text: str, units: int) -> None:
    assert ucs2_unit_count(text) == units


def test_encode_ucs2_writes_big_endian_without_bom_and_pairs_for_emoji() -> None:
    assert encode_ucs2("Aж") == b"\x00\x41\x04\x36"
    assert encode_ucs2("😀") == b"\xd8\x3d\xde\x00"


def test_encode_ucs2_rejects_a_lone_surrogate() -> None:
    with pytest.raises(TextEncodingError, match="lone surrogate U\\+D800 at index 1"):
        encode_ucs2("a\ud800b")


def test_a_lone_surrogate_still_counts_without_raising() -> None:
    assert ucs2_unit_count("a\ud800") == 2


def test_decode_ucs2_replaces_a_lone_surrogate_and_an_odd_byte() -> None:
    assert decode_ucs2(b"\xd8\x3d\x00\x41") == "\ufffdA"
    assert decode_ucs2(b"\x00\x41\x00") == "A\ufffd"


def test_decode_latin1_maps_every_byte() -> None:
    assert decode_latin1(bytes(range(256))) == "".join(map(chr, range(256)))


@pytest.mark.parametrize(
    ("data", "data_coding", "text"),
    [
        (b"\x1b\x65 5", 0x00, "€ 5"),
        (b"abc", 0x01, "abc"),
        (b"a\xe9", 0x01, "a\ufffd"),
        (b"caf\xe9", 0x03, "café"),
        (b"\xb4", 0x06, "Д"),
        (b"\xe0", 0x07, "א"),
        (b"\x04\x36", 0x08, "ж"),
        (b"\x41", 0x11, "A"),
        (b"\x1b\x65", 0xF0, "€"),
        (b"\x04\x36", 0x18, "ж"),
        (b"\x00\xff", 0x04, "\x00\xff"),
        (b"\xe9", 0xF4, "é"),
        (b"\xe9", 0x42, "é"),
    ],
)
def test_decode_short_message_follows_data_coding(data: bytes, data_coding: int, text: str) -> None:
    assert decode_short_message(data, data_coding) == text


@pytest.mark.parametrize("data_coding", [*range(0x00, 0x20), 0x42, 0xF0, 0xF4, 0xFF])
def test_decode_short_message_never_raises_on_garbage(data_coding: int) -> None:
    garbage = bytes(range(255, -1, -1)) + b"\xd8"
    assert isinstance(decode_short_message(garbage, data_coding), str)
