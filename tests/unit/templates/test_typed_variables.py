"""Typed variables: each value is checked by its type and written for the recipient.

Expected texts follow the Unicode CLDR conventions (US English writes the month first,
British English and German the day first; Japanese writes 年月日) and the IANA zone
offsets for 15 June 2025 (New York UTC-4, Los Angeles UTC-7, Berlin UTC+2, Tokyo UTC+9).
"""

from __future__ import annotations

import pytest

from parcelsms.domain.content.variables import VariableSpec
from parcelsms.domain.templates import parse_template
from parcelsms.domain.variable_values import RecipientLocale, format_value, render_typed
from parcelsms.errors import CatalogueError
from parcelsms.protocol.text import is_gsm7

NEW_YORK = RecipientLocale("en", "US", "America/New_York", ("shop.example",))
LONDON = RecipientLocale("en", "GB", "Europe/London", ("shop.example",))
BERLIN = RecipientLocale("de", "DE", "Europe/Berlin")
PARIS = RecipientLocale("fr", "FR", "Europe/Paris")
TOKYO = RecipientLocale("ja", "JP", "Asia/Tokyo")


def written(
    kind: str, value: object, where: RecipientLocale = NEW_YORK, max_length: int = 80
) -> str:
    return format_value("value", VariableSpec("value", kind, max_length), value, where)  # type: ignore[arg-type]


def refused(
    kind: str, value: object, where: RecipientLocale = NEW_YORK, max_length: int = 80
) -> CatalogueError:
    with pytest.raises(CatalogueError) as caught:
        written(kind, value, where, max_length)
    assert caught.value.field == "params.value"
    return caught.value


@pytest.mark.parametrize(
    ("where", "expected"),
    [
        (NEW_YORK, "Jun 15, 2025"),
        (LONDON, "15 Jun 2025"),
        (BERLIN, "15. Juni 2025"),
        (PARIS, "15 juin 2025"),
        (TOKYO, "2025年6月15日"),
    ],
)
def test_a_date_is_written_the_way_the_recipients_locale_writes_it(
    where: RecipientLocale, expected: str
) -> None:
    assert written("date", "2025-06-15", where) == expected


@pytest.mark.parametrize(
    ("where", "hour"),
    [(NEW_YORK, "10:30"), (LONDON, "15:30"), (BERLIN, "16:30"), (TOKYO, "23:30")],
)
def test_a_date_time_is_shown_in_the_recipients_time_zone(
    where: RecipientLocale, hour: str
) -> None:
    text = written("date_time", "2025-06-15T14:30:00Z", where)
    assert hour in text


def test_a_date_time_crossing_midnight_shows_the_local_date() -> None:
    assert written("date", "2025-06-15T22:00:00-07:00", TOKYO) == "2025年6月16日"


def test_us_english_times_use_a_plain_space_so_the_message_stays_gsm7() -> None:
    text = written("date_time", "2025-06-15T14:30:00Z", NEW_YORK)
    assert text == "Jun 15, 2025, 10:30 AM"
    assert is_gsm7(text)


def test_amounts_follow_the_locale_without_no_break_spaces() -> None:
    assert written("money", "1234.50 EUR", NEW_YORK) == "€1,234.50"
    german = written("money", "EUR 1234.5", BERLIN)
    assert german == "1.234,50 €"
    assert "\u00a0" not in german
    assert written("money", "12.50 EUR", PARIS) == "12,50 €"
    assert written("money", "1500 JPY", TOKYO) in {"￥1,500", "¥1,500"}


@pytest.mark.parametrize(
    ("value", "problem"),
    [
        ("12.50", "currency"),
        (12.5, "currency"),
        ("12.50 XYZ", "currency"),
        ("12,50 EUR", "currency"),
        ("12.505 EUR", "decimals"),
        ("100.5 JPY", "decimals"),
    ],
)
def test_an_amount_needs_its_currency_and_at_most_its_decimals(value: object, problem: str) -> None:
    error = refused("money", value)
    assert error.code == "invalid_param"
    assert problem in error.message


@pytest.mark.parametrize("value", ["15/06/2025", "June 15", "2025-13-01", "tomorrow"])
def test_a_date_that_is_not_iso_8601_is_refused(value: str) -> None:
    assert refused("date", value).code == "invalid_param"


def test_a_date_time_without_an_offset_is_refused_as_ambiguous() -> None:
    error = refused("date_time", "2025-06-15T14:30:00")
    assert error.code == "invalid_param"
    assert "offset" in error.message


@pytest.mark.parametrize(
    "value", ["1Z999AA10123456784", "LX123456789CN", "JD0001 2345 678", "9400-1000-0000"]
)
def test_real_tracking_numbers_are_accepted_as_sent(value: str) -> None:
    assert written("tracking_number", value) == value


@pytest.mark.parametrize("value", ["ABCDEFG", "12", "1Z99/AA", "LX123 ", "№12345"])
def test_what_cannot_be_a_tracking_number_is_refused(value: str) -> None:
    assert refused("tracking_number", value).code == "invalid_param"


@pytest.mark.parametrize(
    "value",
    [
        "https://evil.example/x",
        "see www.example.org",
        "bit.ly/3xYz",
        "go to shop.example/track",
        "visit parcels.com",
        "HTTP://WINNER.EXAMPLE",
    ],
)
def test_a_link_in_a_text_variable_is_refused(value: str) -> None:
    error = refused("text", value)
    assert error.code == "invalid_param"
    assert "link" in error.message


@pytest.mark.parametrize(
    "value",
    [
        "Sig.ra Rossi",
        "J. Smith",
        "3.5 kg",
        "Müller GmbH",
        "東京都渋谷区",
        "محمد",
        "Ship 📦 soon",
        "Иван Петров",
        "Paket für Zoë",
    ],
)
def test_names_and_texts_of_many_scripts_are_not_mistaken_for_links(value: str) -> None:
    assert written("text", value) == value


@pytest.mark.parametrize(
    ("value", "what"),
    [
        ("line one\nline two", "newline"),
        ("tab\there", "tab"),
        ("bell\x07", "control"),
        ("a\u200bb", "invisible"),
        ("{{ user }}", "brace"),
        ("${name}", "brace"),
        ("<% name %>", "template syntax"),
    ],
)
def test_control_characters_newlines_and_template_syntax_are_refused(value: str, what: str) -> None:
    error = refused("text", value)
    assert error.code == "invalid_param"
    assert what in error.message


def test_a_link_variable_takes_one_link_on_the_accounts_domains() -> None:
    assert written("link", "https://track.shop.example/p/1Z999") == (
        "https://track.shop.example/p/1Z999"
    )
    assert (
        "not one of the account's link domains"
        in refused("link", "https://evil.example/p/1").message
    )
    assert "shortener" in refused("link", "https://bit.ly/abc").message
    assert refused("link", "track.shop.example/p/1").code == "invalid_param"
    assert refused("link", "https://shop.example/a https://shop.example/b").code == "invalid_param"
    assert "none declared" in refused("link", "https://shop.example/x", BERLIN).message


def test_the_declared_maximum_applies_to_the_text_as_written() -> None:
    error = refused("date", "2025-06-15", BERLIN, max_length=12)
    assert error.code == "param_too_long"
    assert "15. Juni 2025" in error.message
    assert refused("text", "x" * 81).code == "param_too_long"
    assert refused("text", "abcdef", max_length=5).code == "param_too_long"


def test_rendering_names_the_first_bad_variable_in_placeholder_order() -> None:
    parsed = parse_template("Parcel {tracking} arrives {eta}: {note}")
    variables = {
        "tracking": VariableSpec("tracking", "tracking_number", 30),
        "eta": VariableSpec("eta", "date", 20),
    }
    text = render_typed(
        parsed,
        {"tracking": "LX123456789CN", "eta": "2025-06-15", "note": "ring twice"},
        variables,
        LONDON,
    )
    assert text == "Parcel LX123456789CN arrives 15 Jun 2025: ring twice"
    with pytest.raises(CatalogueError) as caught:
        render_typed(
            parsed,
            {"tracking": "LX123456789CN", "eta": "soon", "note": "www.x.com"},
            variables,
            LONDON,
            field_prefix="messages[2].params",
        )
    assert (caught.value.code, caught.value.field) == ("invalid_param", "messages[2].params.eta")
    with pytest.raises(CatalogueError) as missing:
        render_typed(parsed, {"tracking": "LX123456789CN"}, variables, LONDON)
    assert (missing.value.code, missing.value.field) == ("missing_param", "params.eta")
