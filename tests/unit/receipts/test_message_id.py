"""Canonical carrier message ids: hex/decimal pairs, zeros, case, padding, opaque ids."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from parcelsms.protocol.smpp.message_id import message_id_candidates, normalize_message_id

# Pairs (submit_sm_resp id, receipt id) a carrier may send for ONE message. The values are
# Python literals in the other base, so the expectation does not come from the code under test.
SAME_MESSAGE_PAIRS = [
    pytest.param("0A1B2C3D", str(0x0A1B2C3D), id="kannel-msg-id-type-1-hex-then-decimal"),
    pytest.param(str(0x7F3E21AB), "7F3E21AB", id="kannel-msg-id-type-2-decimal-then-hex"),
    pytest.param("7f3e21ab", "7F3E21AB", id="hex-case-differs"),
    pytest.param("0000012345", "12345", id="logica-style-zero-padded-counter"),
    pytest.param(" 169552957\x00", "169552957", id="whitespace-and-nul-padding"),
    pytest.param("0x0A1B2C3D", "169552957", id="hex-with-0x-prefix"),
    pytest.param("FFFFFFFFFFFFFFFF", str(2**64 - 1), id="largest-64-bit-value"),
    pytest.param("00000000DEADBEEF", str(0xDEADBEEF), id="64-bit-field-zero-padded"),
    pytest.param(
        "8C1A4E1E-7D3B-4F0C-9B9E-3C1A2D4E5F60",
        "8c1a4e1e-7d3b-4f0c-9b9e-3c1a2d4e5f60",
        id="jasmin-style-uuid-case",
    ),
]


@pytest.mark.parametrize(("response_id", "receipt_id"), SAME_MESSAGE_PAIRS)
def test_both_forms_of_one_id_share_a_canonical_key(response_id: str, receipt_id: str) -> None:
    assert normalize_message_id(response_id) == normalize_message_id(receipt_id)


@pytest.mark.parametrize(
    ("raw", "canonical"),
    [
        ("0A1B2C3D", "169552957"),
        ("000123", "123"),
        ("0", "0"),
        ("000", "0"),
        ("0x10", "16"),
        ("ab", "171"),
        ("  4711\r\n", "4711"),
        ("MSG-0042-XY", "msg-0042-xy"),
        ("0118Z-0122I-2309U-57DGB", "0118z-0122i-2309u-57dgb"),
        ("", ""),
        (" \x00 ", ""),
    ],
)
def test_canonical_form_follows_the_documented_rules(raw: str, canonical: str) -> None:
    assert normalize_message_id(raw) == canonical


def test_ids_that_are_different_numbers_stay_different() -> None:
    assert normalize_message_id("169552957") != normalize_message_id("169552958")
    assert normalize_message_id("abc") != normalize_message_id("abd")


def test_non_ascii_digits_are_not_read_as_numbers() -> None:
    # Arabic-Indic digits pass str.isdigit() but are no carrier's decimal id.
    assert normalize_message_id("\u0661\u0662\u0663") == "\u0661\u0662\u0663"


def test_enormous_numeric_ids_do_not_hit_the_int_conversion_limit() -> None:
    digits = "0" + "7" * 5000
    assert normalize_message_id(digits) == "7" * 5000
    assert normalize_message_id("f" * 5000) == "f" * 5000
    assert message_id_candidates(digits)[0] == "7" * 5000


def test_all_digit_id_also_offers_its_hex_reading() -> None:
    assert message_id_candidates("12345678") == ("12345678", str(0x12345678))


def test_id_with_hex_letters_has_a_single_candidate() -> None:
    assert message_id_candidates("0A1B2C3D") == (str(0x0A1B2C3D),)


def test_opaque_id_has_a_single_lowercase_candidate() -> None:
    assert message_id_candidates(" Abc-123 ") == ("abc-123",)


def test_single_digit_id_reads_the_same_in_both_bases() -> None:
    assert message_id_candidates("7") == ("7",)


def test_empty_id_has_no_candidates() -> None:
    assert message_id_candidates("\x00 ") == ()


def test_hex_without_letters_in_response_matches_decimal_receipt_through_candidates() -> None:
    # A carrier printing hex in submit_sm_resp produced "12345678" (0x12345678), then sent
    # the decimal value in the receipt: only the cross-reading finds the pair.
    response_keys = set(message_id_candidates("12345678"))
    receipt_keys = set(message_id_candidates(str(0x12345678)))
    assert normalize_message_id("12345678") != normalize_message_id(str(0x12345678))
    assert response_keys & receipt_keys == {str(0x12345678)}


def test_decimal_response_matches_hex_receipt_without_letters() -> None:
    response_keys = set(message_id_candidates(str(0x10203040)))
    receipt_keys = set(message_id_candidates("10203040"))
    assert response_keys & receipt_keys == {str(0x10203040)}


@given(st.text())
def test_normalizing_is_idempotent_and_never_raises(raw: str) -> None:
    once = normalize_message_id(raw)
    assert normalize_message_id(once) == once


@given(st.text())
def test_first_candidate_is_the_canonical_form(raw: str) -> None:
    candidates = message_id_candidates(raw)
    if candidates:
        assert candidates[0] == normalize_message_id(raw)
    else:
        assert normalize_message_id(raw) == ""
    assert len(set(candidates)) == len(candidates)


@given(st.integers(min_value=0, max_value=2**64 - 1), st.integers(min_value=0, max_value=4))
def test_any_64_bit_value_matches_between_hex_and_decimal(value: int, padding: int) -> None:
    hex_form = "0" * padding + f"{value:X}"
    decimal_form = str(value)
    assert set(message_id_candidates(hex_form)) & set(message_id_candidates(decimal_form))
