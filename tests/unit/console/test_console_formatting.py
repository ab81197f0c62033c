"""Numbers, money and times as the reader expects them."""

from __future__ import annotations

from datetime import UTC, datetime

from parcelsms.console.formatting import Formatter, negotiate_locale


def test_the_best_known_language_of_accept_language_is_chosen() -> None:
    assert negotiate_locale("de-DE,de;q=0.9,en;q=0.8") == "de_DE"
    assert negotiate_locale("xx-YY, fr;q=0.5") == "fr"
    assert negotiate_locale("en;q=0.2, pt-BR;q=0.9") == "pt_BR"
    assert negotiate_locale(None) == "en"
    assert negotiate_locale("*") == "en"


def test_numbers_and_money_follow_the_locale_and_keep_sub_cent_prices() -> None:
    german = Formatter("de_DE", "UTC")
    english = Formatter("en_US", "UTC")

    assert german.number(12345.5) == "12.345,5"
    assert english.number(12345.5) == "12,345.5"
    assert german.percent(0.9734) == "97,3\xa0%" or german.percent(0.9734) == "97,3%"
    assert english.money(45_000, "USD") == "$0.045"
    assert english.money(None, "USD") == "—"


def test_times_are_shown_in_the_users_time_zone() -> None:
    moment = datetime(2026, 12, 5, 23, 30, tzinfo=UTC)

    assert Formatter("en", "Asia/Shanghai").time(moment) == "2026-12-06 07:30:00"
    assert Formatter("en", "UTC").time(moment) == "2026-12-05 23:30:00"
