"""Recipient numbers: messy input to E.164, refusals, masking."""

from __future__ import annotations

import phonenumbers
import pytest
from hypothesis import given
from hypothesis import strategies as st
from phonenumbers import PhoneNumberFormat, PhoneNumberType

from parcelsms.domain.numbers import (
    DIGITS_CACHE_SIZE,
    KNOWN_REGIONS,
    _verdict,
    mask_number,
    parse_recipient,
)
from parcelsms.errors import CatalogueError

# Spellings of the same numbers that people paste; the expected E.164 is the digits after
# the country indication, which is what "messy" must not change.
MESSY = [
    ("+44 7400 123456", "+447400123456", "GB"),
    ("0044 7400 123456", "+447400123456", "GB"),
    ("  +44 7400 123456  ", "+447400123456", "GB"),
    ("+44\u00a07400\u00a0123456", "+447400123456", "GB"),
    ("+44 (0) 7400 123456", "+447400123456", "GB"),
    ("+44–7400—123456", "+447400123456", "GB"),
    ("tel:+447400123456", "+447400123456", "GB"),
    ("TEL: +44 7400 123456", "+447400123456", "GB"),
    ("(+86) 138-0013-8000", "+8613800138000", "CN"),
    ("0086 138 0013 8000", "+8613800138000", "CN"),
    ("+1 (415) 555-2671", "+14155552671", "US"),
    ("+1.415.555.2671", "+14155552671", "US"),
    ("+34 612.34.56.78", "+34612345678", "ES"),
    ("\u200e+52 222 123 4567", "+522221234567", "MX"),
    ("＋８６ １３８ ００１３ ８０００", "+8613800138000", "CN"),
]


@pytest.mark.parametrize(("raw", "e164", "country"), MESSY)
def test_messy_forms_parse_to_e164(raw: str, e164: str, country: str) -> None:
    recipient = parse_recipient(raw)
    assert recipient.e164 == e164
    assert recipient.country == country


def example_number(region: str, number_type: int) -> phonenumbers.PhoneNumber:
    """libphonenumber's documented example number: an oracle independent of our code."""
    number = phonenumbers.example_number_for_type(region, number_type)
    assert number is not None
    return number


COUNTRIES = ["GB", "DE", "FR", "ES", "IT", "NL", "PL", "US", "CA", "MX", "BR", "CN"]
COUNTRIES += ["IN", "JP", "AU", "ZA", "NG", "AE", "TR", "KR", "SG"]


@pytest.mark.parametrize("region", COUNTRIES)
def test_documented_example_mobile_numbers_are_accepted(region: str) -> None:
    example = example_number(region, PhoneNumberType.MOBILE)
    international = phonenumbers.format_number(example, PhoneNumberFormat.INTERNATIONAL)
    e164 = phonenumbers.format_number(example, PhoneNumberFormat.E164)
    for spelling in (international, "00" + international[1:], e164):
        recipient = parse_recipient(spelling)
        assert recipient.e164 == e164
        assert recipient.country == region
        assert recipient.country_calling_code == example.country_code
        assert recipient.number_type in {"mobile", "fixed_line_or_mobile"}


def test_north_american_numbers_are_accepted_as_fixed_line_or_mobile() -> None:
    assert parse_recipient("+1 201-555-0123").number_type == "fixed_line_or_mobile"


@pytest.mark.parametrize("region", ["GB", "DE", "FR", "ES", "CN", "JP", "AU", "BR"])
def test_fixed_line_numbers_are_not_mobile(region: str) -> None:
    example = example_number(region, PhoneNumberType.FIXED_LINE)
    e164 = phonenumbers.format_number(example, PhoneNumberFormat.E164)
    with pytest.raises(CatalogueError) as caught:
        parse_recipient(e164)
    assert caught.value.code == "not_mobile"
    assert caught.value.status == 422


@pytest.mark.parametrize(
    ("region", "number_type"),
    [
        ("US", PhoneNumberType.TOLL_FREE),
        ("GB", PhoneNumberType.TOLL_FREE),
        ("GB", PhoneNumberType.PREMIUM_RATE),
        ("GB", PhoneNumberType.VOIP),
        ("GB", PhoneNumberType.PAGER),
        ("GB", PhoneNumberType.PERSONAL_NUMBER),
        ("GB", PhoneNumberType.UAN),
        ("FR", PhoneNumberType.SHARED_COST),
    ],
)
def test_other_non_mobile_types_are_refused(region: str, number_type: int) -> None:
    example = example_number(region, number_type)
    with pytest.raises(CatalogueError) as caught:
        parse_recipient(phonenumbers.format_number(example, PhoneNumberFormat.E164))
    assert caught.value.code == "not_mobile"


@pytest.mark.parametrize(
    ("raw", "words"),
    [
        ("", "empty"),
        ("   ", "empty"),
        ("tel:", "empty"),
        ("+", "no digits"),
        ("call me", "letters"),
        ("+44 7400 ABC456", "letters"),
        ("+44 7400 123456 ext 2", "letters"),
        ("07400 123456", "country code"),
        ("7400123456", "country code"),
        ("++447400123456", "+"),
        ("+44 7400 +123456", "+"),
        ("+44#7400123456", "character"),
        ("+999 1234567", "country code"),
        ("+44 74", "too short"),
        ("+44 7400 1234567890123", "too long"),
        ("+44 7400 12345", "+44"),
    ],
)
def test_invalid_input_is_invalid_number_with_a_reason(raw: str, words: str) -> None:
    with pytest.raises(CatalogueError) as caught:
        parse_recipient(raw)
    assert caught.value.code == "invalid_number"
    assert caught.value.field == "to"
    assert words in caught.value.message


def test_missing_country_code_message_says_there_is_no_default_country() -> None:
    with pytest.raises(CatalogueError) as caught:
        parse_recipient("07400 123456")
    assert "+ or 00" in caught.value.message
    assert "default country" in caught.value.message


def test_field_is_the_one_the_caller_names() -> None:
    with pytest.raises(CatalogueError) as caught:
        parse_recipient("nope", field="messages[3].to")
    assert caught.value.field == "messages[3].to"


def test_non_geographic_numbers_have_no_country_to_route() -> None:
    example = phonenumbers.example_number_for_non_geo_entity(881)
    assert example is not None
    with pytest.raises(CatalogueError) as caught:
        parse_recipient(phonenumbers.format_number(example, PhoneNumberFormat.E164))
    assert caught.value.code == "unsupported_country"


def test_overlong_input_is_refused_before_phonenumbers_sees_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def refuse(*_: object) -> None:
        raise AssertionError("phonenumbers.parse must not be called")

    monkeypatch.setattr(phonenumbers, "parse", refuse)
    with pytest.raises(CatalogueError) as caught:
        parse_recipient("+44 7400 123456" + " " * 60)
    assert caught.value.code == "invalid_number"
    assert "64" in caught.value.message


@pytest.mark.parametrize("raw", ["+44 7400 98765", "07400 987654", "+44 20 7946 0958"])
def test_error_messages_never_repeat_the_number(raw: str) -> None:
    with pytest.raises(CatalogueError) as caught:
        parse_recipient(raw)
    digits = "".join(c for c in raw if c.isdigit())
    assert digits[-6:] not in caught.value.message


@given(st.text(max_size=80))
def test_arbitrary_text_raises_only_catalogue_errors(raw: str) -> None:
    code: str | None
    try:
        recipient = parse_recipient(raw)
    except CatalogueError as exc:
        code = exc.code
    else:
        code = None
        assert recipient.e164.startswith("+")
        assert recipient.e164[1:].isdigit()
        assert recipient.country in KNOWN_REGIONS
    assert code in {None, "invalid_number", "not_mobile", "unsupported_country"}


@given(st.text(alphabet="0123456789+ -().", max_size=30))
def test_accepted_numbers_parse_again_to_themselves(raw: str) -> None:
    try:
        recipient = parse_recipient(raw)
    except CatalogueError:
        return
    assert parse_recipient(recipient.e164) == recipient


def test_mask_keeps_country_and_prefix_and_last_three_digits() -> None:
    assert mask_number("+447911123456") == "+44791****456"
    assert mask_number("+14155552671") == "+1415****671"


@given(st.text(alphabet="0123456789", min_size=1, max_size=15))
def test_mask_hides_some_digits_and_keeps_the_length(digits: str) -> None:
    masked = mask_number("+" + digits)
    assert len(masked) == len(digits) + 1
    assert masked.startswith("+")
    hidden = masked.count("*")
    assert hidden >= 1
    if len(digits) >= 10:
        assert hidden == 4
        assert masked.endswith(digits[-3:])
        assert masked[-7:-3] == "****"


def test_mask_never_raises_on_odd_input() -> None:
    assert mask_number("") == ""
    assert mask_number("+") == "+"
    assert "*" in mask_number("abc")


def test_a_remembered_refusal_names_the_field_of_each_call() -> None:
    """The verdict on the digits is remembered; the field is the caller's, every time."""
    for field in ("messages[0].to", "messages[7].to", "to"):
        with pytest.raises(CatalogueError) as refused:
            parse_recipient("+44 20 7946 0958", field=field)  # a London fixed line
        assert refused.value.code == "not_mobile"
        assert refused.value.field == field
        assert "GB" in refused.value.message


def test_spellings_of_one_number_share_the_remembered_verdict() -> None:
    cache = _verdict.cache_info()
    first = parse_recipient("+34 699 12 34 56")
    again = parse_recipient("0034699123456", field="messages[1].to")
    assert again == first
    assert _verdict.cache_info().hits > cache.hits
    assert again.e164 == "+34699123456"
    assert again.country == "ES"


def test_the_remembered_verdicts_are_bounded() -> None:
    assert _verdict.cache_info().maxsize == DIGITS_CACHE_SIZE
