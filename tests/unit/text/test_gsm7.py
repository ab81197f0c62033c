"""GSM 03.38 default alphabet: membership, septet counts, unpacked and packed forms."""

from __future__ import annotations

import pytest

from parcelsms.errors import TextEncodingError
from parcelsms.protocol.text import (
    GSM7_BASIC_CHARACTERS,
    GSM7_EXTENSION_CHARACTERS,
    decode_gsm7,
    decode_gsm7_packed,
    encode_gsm7,
    encode_gsm7_packed,
    first_non_gsm7,
    gsm7_septet_count,
    is_gsm7,
)


def test_alphabet_has_127_basic_and_10_extension_characters() -> None:
    assert len(GSM7_BASIC_CHARACTERS) == 127
    assert frozenset("^{}\\[~]|€\f") == GSM7_EXTENSION_CHARACTERS
    assert not GSM7_BASIC_CHARACTERS & GSM7_EXTENSION_CHARACTERS


@pytest.mark.parametrize(
    "text",
    ["", "Hello World", "@£$¥èéùìòÇ\nØø\rÅå", "ΔΦΓΛΩΠΨΣΘΞ", "ÄÖÑÜäöñüà§¿¡", "[{~}]|^\\€\f"],
)
def test_texts_made_of_the_alphabet_are_gsm7(text: str) -> None:
    assert is_gsm7(text)


@pytest.mark.parametrize(
    "character",
    ["’", "“", "–", "…", "\u00a0", "\t", "ç", "á", "À", "`", "😀", "ж", "δ", "\x1b"],
)
def test_characters_outside_the_alphabet_are_not_gsm7(character: str) -> None:
    assert not is_gsm7(f"plain {character} text")


def test_first_non_gsm7_names_the_first_foreign_character_and_its_index() -> None:
    assert first_non_gsm7("Your parcel’s “here”") == (11, "’")
    assert first_non_gsm7("all fine") is None


@pytest.mark.parametrize(
    ("text", "septets"),
    [("", 0), ("abc", 3), ("€", 2), ("[]", 4), ("\f", 2), ("a|b", 4), ("^{}\\[~]|€\f", 20)],
)
def test_extension_characters_count_two_septets(text: str, septets: int) -> None:
    assert gsm7_septet_count(text) == septets


@pytest.mark.parametrize(
    ("text", "octets"),
    [
        ("@", b"\x00"),
        ("£$¥", b"\x01\x02\x03"),
        ("\n\r", b"\x0a\x0d"),
        ("Ç", b"\x09"),
        ("_", b"\x11"),
        ("¤", b"\x24"),
        ("¡", b"\x40"),
        ("§", b"\x5f"),
        ("¿", b"\x60"),
        ("à", b"\x7f"),
        ("Aa0", b"\x41\x61\x30"),
        ("€", b"\x1b\x65"),
        ("{}", b"\x1b\x28\x1b\x29"),
        ("\\", b"\x1b\x2f"),
        ("[~]", b"\x1b\x3c\x1b\x3d\x1b\x3e"),
        ("|", b"\x1b\x40"),
        ("^", b"\x1b\x14"),
        ("\f", b"\x1b\x0a"),
    ],
)
def test_encode_gsm7_gives_one_septet_per_octet_from_the_spec_table(
    text: str, octets: bytes
) -> None:
    assert encode_gsm7(text) == octets
    assert decode_gsm7(octets) == text


def test_encode_gsm7_rejects_a_foreign_character_naming_it() -> None:
    with pytest.raises(TextEncodingError, match=r"'’' \(U\+2019\) at index 6"):
        encode_gsm7("parcel’s")


def test_decode_gsm7_shows_the_basic_character_for_an_unknown_escape() -> None:
    assert decode_gsm7(b"\x1b\x41b") == "Ab"


def test_decode_gsm7_shows_a_space_for_double_escape_and_trailing_escape() -> None:
    assert decode_gsm7(b"a\x1b\x1bb") == "a b"
    assert decode_gsm7(b"ab\x1b") == "ab "


def test_decode_gsm7_replaces_octets_with_the_high_bit_set() -> None:
    assert decode_gsm7(b"a\x80\xffb") == "a??b"
    assert decode_gsm7(b"\x1b\x65\xc3") == "€?"


def test_packing_matches_the_classic_hellohello_vector() -> None:
    # The worked example of 7-bit packing found in GSM 03.38 tutorials.
    assert encode_gsm7_packed(encode_gsm7("hellohello")) == bytes.fromhex("E8329BFD4697D9EC37")
    assert decode_gsm7_packed(bytes.fromhex("E8329BFD4697D9EC37"), 10) == b"hellohello"


def test_eight_septets_pack_into_seven_octets() -> None:
    assert len(encode_gsm7_packed(b"\x7f" * 8)) == 7
    assert encode_gsm7_packed(b"\x7f" * 8) == b"\xff" * 7


def test_seven_spare_bits_are_filled_with_carriage_return() -> None:
    packed = encode_gsm7_packed(encode_gsm7("1234567"))
    assert len(packed) == 7
    assert packed[-1] >> 1 == 0x0D
    assert decode_gsm7_packed(packed, 8) == encode_gsm7("1234567\r")
    assert decode_gsm7_packed(packed, 7) == encode_gsm7("1234567")


def test_fill_bits_shift_the_first_septet() -> None:
    # One fill bit, as after a 6-octet UDH: "A" (0x41) starts at bit 1.
    assert encode_gsm7_packed(b"\x41", fill_bits=1) == bytes([0x41 << 1])
    assert decode_gsm7_packed(bytes([0x41 << 1]), 1, fill_bits=1) == b"\x41"


def test_packed_decoding_of_truncated_data_returns_what_is_there() -> None:
    assert decode_gsm7_packed(b"\xe8", 10) == b"\x68"
    assert decode_gsm7_packed(b"", 5) == b""


def test_packing_rejects_values_that_are_not_septets() -> None:
    with pytest.raises(ValueError, match="septet"):
        encode_gsm7_packed(b"\x80")
    with pytest.raises(ValueError, match="fill_bits"):
        encode_gsm7_packed(b"a", fill_bits=7)
