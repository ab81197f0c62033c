"""Readings of carrier message ids: exact keys, hex and decimal values, writings."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from parcelsms.protocol.smpp.message_id import (
    IdWriting,
    decimal_value,
    exact_key,
    hex_value,
    id_writing,
)


@pytest.mark.parametrize(
    ("first", "second"),
    [
        pytest.param("7f3e21ab", "7F3E21AB", id="hex-case-differs"),
        pytest.param("0000012345", "12345", id="zero-padded-counter"),
        pytest.param(" 169552957\x00", "169552957", id="whitespace-and-nul-padding"),
        pytest.param("0x0A1B2C3D", "a1b2c3d", id="hex-with-0x-prefix"),
        pytest.param(
            "8C1A4E1E-7D3B-4F0C-9B9E-3C1A2D4E5F60",
            "8c1a4e1e-7d3b-4f0c-9b9e-3c1a2d4e5f60",
            id="uuid-case",
        ),
    ],
)
def test_two_writings_of_one_id_in_the_same_style_share_an_exact_key(
    first: str, second: str
) -> None:
    assert exact_key(first) == exact_key(second)


@pytest.mark.parametrize(
    ("first", "second"),
    [
        pytest.param("26", "1a", id="decimal-26-and-hex-1a-are-different-ids"),
        pytest.param("10", "a", id="ten-and-hex-a"),
        pytest.param("Xy1", "xY1", id="opaque-ids-keep-their-case"),
        pytest.param("169552957", "169552958", id="neighbours"),
    ],
)
def test_distinct_raw_ids_never_share_an_exact_key(first: str, second: str) -> None:
    assert exact_key(first) != exact_key(second)


@pytest.mark.parametrize(
    ("response_id", "receipt_id"),
    [
        pytest.param("0A1B2C3D", str(0x0A1B2C3D), id="kannel-msg-id-type-1"),
        pytest.param("FFFFFFFFFFFFFFFF", str(2**64 - 1), id="largest-64-bit-value"),
        pytest.param("1a", "26", id="lowercase-unpadded"),
    ],
)
def test_a_hex_response_and_a_decimal_receipt_name_one_value(
    response_id: str, receipt_id: str
) -> None:
    assert hex_value(response_id) == decimal_value(receipt_id)


@pytest.mark.parametrize(
    ("raw", "writing"),
    [
        ("26", IdWriting.DIGITS),
        ("1a", IdWriting.HEX),
        ("0x10", IdWriting.HEX),
        ("8c1a4e1e-7d3b", IdWriting.OPAQUE),
        ("MSG-0042-XY", IdWriting.OPAQUE),
        (" \x00 ", IdWriting.EMPTY),
    ],
)
def test_writing_says_what_an_id_can_be(raw: str, writing: IdWriting) -> None:
    assert id_writing(raw) == writing


def test_values_are_none_where_the_writing_does_not_allow_them() -> None:
    assert decimal_value("1a") is None
    assert hex_value("MSG-1") is None
    assert hex_value("zz") is None


def test_non_ascii_digits_are_not_read_as_numbers() -> None:
    assert decimal_value("١٢٣") is None  # Arabic-Indic digits
    assert hex_value("²") is None
    assert exact_key("١٢٣") == "١٢٣"


def test_very_long_numbers_are_not_converted() -> None:
    assert hex_value("f" * 200) is None
    assert decimal_value("9" * 200) == "9" * 200


@given(st.text(max_size=120))
def test_readings_never_raise(raw: str) -> None:
    exact_key(raw)
    hex_value(raw)
    decimal_value(raw)
    id_writing(raw)


@given(st.integers(min_value=0, max_value=2**64))
def test_hex_and_decimal_writings_of_a_number_agree(number: int) -> None:
    assert hex_value(f"{number:x}") == decimal_value(str(number)) == str(number)
    assert exact_key(str(number)) == str(number)
