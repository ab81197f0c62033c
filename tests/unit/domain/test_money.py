"""Amounts: one parser for every amount the API, the CLI and the configuration take, and
the plain decimal text every amount is written as."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from parcelsms.domain.money import MAX_MICROS, format_micros, parse_amount, parse_currency
from parcelsms.errors import CatalogueError


@pytest.mark.parametrize(
    ("text", "micros"),
    [
        ("25.00", 25_000_000),
        ("0.0425", 42_500),
        (".5", 500_000),
        ("5.", 5_000_000),
        ("2.5e1", 25_000_000),
        ("0.0000005", 1),
        ("0", 0),
        ("-0", 0),
        ("1000000000", MAX_MICROS),
        ("1e-999999999999999999", 0),
    ],
)
def test_a_decimal_amount_is_parsed_to_micros_rounding_half_up(text: str, micros: int) -> None:
    assert parse_amount(text, "amount") == micros


@pytest.mark.parametrize(
    "text", ["", " 5", "5 ", "1_000", "NaN", "Infinity", "0x10", "١٢", "5,00", "+5", "e5", "1e"]
)
def test_what_is_not_a_plain_decimal_number_is_an_invalid_request(text: str) -> None:
    with pytest.raises(CatalogueError) as raised:
        parse_amount(text, "amount")

    assert (raised.value.code, raised.value.field) == ("invalid_request", "amount")


@pytest.mark.parametrize("text", ["1000000000.000001", "1e10", "1e9999", "1e999999999999999999"])
def test_an_amount_above_the_maximum_is_out_of_range(text: str) -> None:
    with pytest.raises(CatalogueError) as raised:
        parse_amount(text, "price")

    assert (raised.value.code, raised.value.field, raised.value.status) == (
        "amount_out_of_range",
        "price",
        422,
    )


def test_negative_amounts_and_zero_where_a_positive_amount_is_needed_are_refused() -> None:
    for text, allow_zero in (("-1", True), ("0", False), ("0.0000004", False)):
        with pytest.raises(CatalogueError) as raised:
            parse_amount(text, "amount", allow_zero=allow_zero)
        assert raised.value.code == "invalid_request"


_AMOUNT_LIKE = st.from_regex(
    r"-?[0-9]{0,30}(\.[0-9]{0,30})?([eE][-+]?[0-9]{1,25})?", fullmatch=True
)


@given(st.one_of(st.text(), _AMOUNT_LIKE))
def test_any_string_parses_within_bounds_or_raises_a_catalogued_error(text: str) -> None:
    outcome: int | CatalogueError
    try:
        outcome = parse_amount(text, "amount")
    except CatalogueError as problem:
        outcome = problem

    if isinstance(outcome, CatalogueError):
        assert (outcome.code, outcome.field) in {
            ("invalid_request", "amount"),
            ("amount_out_of_range", "amount"),
        }
    else:
        assert 0 <= outcome <= MAX_MICROS


@pytest.mark.parametrize("code", ["EUR", "USD", "GBP", "CNY", "JPY"])
def test_iso_4217_currency_codes_are_accepted(code: str) -> None:
    assert parse_currency(code) == code


@pytest.mark.parametrize("code", ["ABC", "eur", "XXX", "EURO", ""])
def test_other_currency_codes_are_refused_naming_the_field(code: str) -> None:
    with pytest.raises(CatalogueError) as raised:
        parse_currency(code, "currency")

    assert (raised.value.code, raised.value.field) == ("invalid_request", "currency")


@pytest.mark.parametrize(
    ("micros", "text"),
    [
        (0, "0"),
        (42_500, "0.0425"),
        (1_000_000, "1"),
        (1_500_000, "1.5"),
        (1, "0.000001"),
        (-42_500, "-0.0425"),
        (-3_000_000, "-3"),
        (123_456_789_012, "123456.789012"),
    ],
)
def test_micros_are_written_as_plain_decimals_without_trailing_zeros(
    micros: int, text: str
) -> None:
    assert format_micros(micros) == text


@given(st.integers(min_value=-(10**21), max_value=10**21))
def test_the_written_amount_is_exactly_the_amount(micros: int) -> None:
    text = format_micros(micros)
    assert Decimal(text) * 1_000_000 == micros
    assert "e" not in text.lower()
    if "." in text:
        assert not text.endswith(("0", "."))
