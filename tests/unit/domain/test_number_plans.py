"""The hand-written reading and typing of numbers against the library they stand in for.

``number_plans`` reads ``+`` and digits and types the number with its own compiled patterns,
for speed; these tests hold every answer to ``phonenumbers``' public functions over the
numbers the metadata names and over random digits behind every calling code.
"""

from __future__ import annotations

from types import SimpleNamespace
from typing import cast

import phonenumbers
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from phonenumbers import (
    NumberParseException,
    PhoneMetadata,
    PhoneNumber,
    PhoneNumberDesc,
    PhoneNumberType,
)

from parcelsms.domain.number_plans import (
    _SPECIAL_TYPES,
    Plan,
    parse_e164,
    read_international,
    region_and_type,
)

CALLING_CODES = sorted(phonenumbers.COUNTRY_CODE_TO_REGION_CODE)


def _example_numbers() -> list[PhoneNumber]:
    """Every region's and non-geographic calling code's example number of every type, and
    each with its last digit changed (often a number of another type, or an invalid one)."""
    examples: list[PhoneNumber] = []
    for region in sorted(phonenumbers.SUPPORTED_REGIONS):
        for kind in PhoneNumberType.values():
            example = phonenumbers.example_number_for_type(region, kind)
            if example is not None:
                examples.append(example)
    for code in sorted(phonenumbers.COUNTRY_CODES_FOR_NON_GEO_REGIONS):
        example = phonenumbers.example_number_for_non_geo_entity(code)
        if example is not None:
            examples.append(example)
    found: list[PhoneNumber] = []
    for example in examples:
        found.append(example)
        national = phonenumbers.national_significant_number(example)
        changed = national[:-1] + str((int(national[-1]) + 1) % 10)
        found.append(phonenumbers.parse(f"+{example.country_code}{changed}", None))
    return found


EXAMPLES = _example_numbers()


def _digits(number: PhoneNumber) -> str:
    return f"{number.country_code}{phonenumbers.national_significant_number(number)}"


def _library_reading(digits: str) -> PhoneNumber | None:
    try:
        return phonenumbers.parse("+" + digits, None)
    except NumberParseException:
        return None


def _assert_read_as_the_library_reads(digits: str) -> PhoneNumber | None:
    """``read_international`` gives ``parse``'s number or leaves the digits to it."""
    read = read_international(digits)
    if read is not None:
        assert read == _library_reading(digits), digits
    return read


def _assert_typed_as_the_library_types(number: PhoneNumber) -> None:
    expected = (phonenumbers.region_code_for_number(number), phonenumbers.number_type(number))
    assert region_and_type(number) == expected, number


def test_the_examples_cover_every_kind_of_plan() -> None:
    shared = [
        n
        for n in EXAMPLES
        if len(phonenumbers.region_codes_for_country_code(n.country_code or 0)) > 1
    ]
    assert len(EXAMPLES) > 2000
    assert len(shared) > 300  # the search among the regions of one calling code is exercised
    assert any(n.italian_leading_zero for n in EXAMPLES)
    kinds = {phonenumbers.number_type(n) for n in EXAMPLES}
    assert kinds >= set(PhoneNumberType.values())


def test_every_example_number_is_read_as_the_library_reads_it() -> None:
    read = [_assert_read_as_the_library_reads(_digits(number)) for number in EXAMPLES]
    # Most are read here, not left to parse (the speed this module is for).
    assert sum(number is not None for number in read) > 0.8 * len(read)


def test_every_example_number_is_typed_as_the_library_types_it() -> None:
    for number in EXAMPLES:
        _assert_typed_as_the_library_types(number)


@pytest.mark.parametrize("region", ["ES", "US", "GB", "DE", "FR", "MX", "BR", "IT", "CN", "IN"])
def test_a_mobile_number_of_a_busy_destination_is_read_here(region: str) -> None:
    example = phonenumbers.example_number_for_type(region, PhoneNumberType.MOBILE)
    assert example is not None
    read = read_international(_digits(example))
    assert read == example
    assert region_and_type(example) == (region, phonenumbers.number_type(example))


@settings(max_examples=1500)
@given(
    code=st.sampled_from(CALLING_CODES),
    national=st.text(alphabet="0123456789", min_size=0, max_size=19),
)
def test_random_digits_behind_a_calling_code_agree_with_the_library(
    code: int, national: str
) -> None:
    digits = f"{code}{national}"
    _assert_read_as_the_library_reads(digits)
    number = _library_reading(digits)
    if number is not None:
        _assert_typed_as_the_library_types(number)


@settings(max_examples=500)
@given(st.text(alphabet="0123456789", min_size=0, max_size=22))
def test_any_digits_agree_with_the_library(digits: str) -> None:
    _assert_read_as_the_library_reads(digits)
    number = _library_reading(digits)
    if number is not None:
        _assert_typed_as_the_library_types(number)


@pytest.mark.parametrize("digits", ["390612345678", "390012345678", "3900012345", "39000000"])
def test_leading_zeros_of_the_national_number_are_kept_as_the_library_keeps_them(
    digits: str,
) -> None:
    read = _assert_read_as_the_library_reads(digits)
    assert read is not None
    assert read.italian_leading_zero


def test_a_number_the_library_would_strip_a_national_prefix_from_is_left_to_it() -> None:
    # Brazil's metadata strips a leading 0 and a carrier code ("0 21 ..."): parse decides.
    assert read_international("55021987654321") is None
    assert _library_reading("55021987654321") is not None


def test_digits_without_a_calling_code_are_left_to_the_library() -> None:
    assert read_international("0447400123456") is None
    assert read_international("999123456789") is None  # +999 is no calling code


def _plan(**descs: PhoneNumberDesc | bool | None) -> Plan:
    """A plan of a made-up region: what the real metadata rarely shows (overlapping types)."""
    fields: dict[str, object] = {name: None for name, _ in _SPECIAL_TYPES}
    fields |= {
        "general_desc": PhoneNumberDesc(national_number_pattern=r"\d{6,10}"),
        "fixed_line": None,
        "mobile": None,
        "same_mobile_and_fixed_line_pattern": False,
        "leading_digits": None,
        "national_prefix_for_parsing": None,
    }
    fields |= descs
    return Plan(cast(PhoneMetadata, SimpleNamespace(**fields)))


def _any(lengths: tuple[int, ...] = ()) -> PhoneNumberDesc:
    return PhoneNumberDesc(national_number_pattern=r"\d+", possible_length=lengths)


def test_a_number_of_two_special_types_takes_the_first_in_the_librarys_order() -> None:
    plan = _plan(premium_rate=_any(), toll_free=_any(), voip=_any(), mobile=_any())
    assert plan.number_type("12345678") == PhoneNumberType.PREMIUM_RATE
    plan = _plan(voip=_any(), pager=_any(), mobile=_any())
    assert plan.number_type("12345678") == PhoneNumberType.VOIP


def test_a_plan_with_one_pattern_for_fixed_lines_and_mobiles_calls_them_both() -> None:
    plan = _plan(fixed_line=_any(), same_mobile_and_fixed_line_pattern=True)
    assert plan.number_type("12345678") == PhoneNumberType.FIXED_LINE_OR_MOBILE
    plan = _plan(fixed_line=_any(), mobile=PhoneNumberDesc(national_number_pattern="9\\d+"))
    assert plan.number_type("12345678") == PhoneNumberType.FIXED_LINE
    assert plan.number_type("92345678") == PhoneNumberType.FIXED_LINE_OR_MOBILE


def test_a_number_of_a_length_the_type_does_not_have_is_not_of_that_type() -> None:
    plan = _plan(mobile=_any(lengths=(9,)))
    assert plan.number_type("123456789") == PhoneNumberType.MOBILE
    assert plan.number_type("12345678") == PhoneNumberType.UNKNOWN


def test_a_checked_number_is_parsed_as_the_library_parses_it() -> None:
    for number in EXAMPLES:
        e164 = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
        assert parse_e164(e164) == phonenumbers.parse(e164, None), e164
    with pytest.raises(NumberParseException):
        parse_e164("+999123456789")
