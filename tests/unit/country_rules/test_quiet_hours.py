"""Quiet hours: local windows that may cross midnight, read on the country's own clock."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta, timezone

import pytest

from parcelsms.domain.country_rules import (
    CountryRule,
    QuietHours,
    is_within_quiet_hours,
)
from parcelsms.domain.country_rules_loading import load_country_rules


def rule(quiet: str | None, time_zone: str | None) -> CountryRule:
    return CountryRule(
        code="GB",
        name="United Kingdom",
        alphanumeric_sender="supported",
        numeric_sender_fallback="any_international",
        receipts_reliable=True,
        time_zone=time_zone,
        quiet_hours=QuietHours.parse(quiet) if quiet else None,
        notes="",
        sources=(),
    )


@pytest.mark.parametrize(
    ("local", "inside"),
    [
        (time(20, 59), False),
        (time(21, 0), True),  # start is inclusive
        (time(23, 59), True),
        (time(0, 0), True),
        (time(7, 59), True),
        (time(8, 0), False),  # end is exclusive
        (time(12, 0), False),
    ],
)
def test_window_across_midnight(local: time, inside: bool) -> None:
    assert QuietHours.parse("21:00-08:00").contains(local) is inside


@pytest.mark.parametrize(
    ("local", "inside"),
    [(time(12, 59), False), (time(13, 0), True), (time(13, 59), True), (time(14, 0), False)],
)
def test_window_within_one_day(local: time, inside: bool) -> None:
    assert QuietHours.parse("13:00-14:00").contains(local) is inside


def test_window_prints_as_written() -> None:
    assert str(QuietHours.parse("21:30-07:05")) == "21:30-07:05"


@pytest.mark.parametrize("text", ["21:00", "21:00-8:00", "21.00-08.00", "25:00-08:00", ""])
def test_malformed_window_is_refused(text: str) -> None:
    with pytest.raises(ValueError, match="HH:MM-HH:MM"):
        QuietHours.parse(text)


def test_same_instant_is_quiet_in_tokyo_but_not_in_london() -> None:
    # 13:00 UTC is 22:00 in Tokyo (UTC+9, no DST) and 13:00 in London in winter.
    instant = datetime(2026, 1, 15, 13, 0, tzinfo=UTC)
    assert is_within_quiet_hours(rule("21:00-08:00", "Asia/Tokyo"), instant)
    assert not is_within_quiet_hours(rule("21:00-08:00", "Europe/London"), instant)


def test_daylight_saving_time_moves_the_window_in_utc() -> None:
    new_york = rule("21:00-08:00", "America/New_York")
    # 01:30 UTC is 20:30 EST in January (UTC-5) but 21:30 EDT in July (UTC-4).
    assert not is_within_quiet_hours(new_york, datetime(2026, 1, 15, 1, 30, tzinfo=UTC))
    assert is_within_quiet_hours(new_york, datetime(2026, 7, 15, 1, 30, tzinfo=UTC))


def test_any_aware_offset_is_converted_to_the_country_clock() -> None:
    # 23:30 at UTC+1 is 22:30 UTC = 07:30 the next morning in Tokyo: still quiet there.
    instant = datetime(2026, 3, 1, 23, 30, tzinfo=timezone(timedelta(hours=1)))
    assert is_within_quiet_hours(rule("21:00-08:00", "Asia/Tokyo"), instant)
    assert not is_within_quiet_hours(rule("21:00-07:00", "Asia/Tokyo"), instant)


def test_rule_without_quiet_hours_or_zone_is_never_quiet() -> None:
    midnight = datetime(2026, 1, 1, 0, 0, tzinfo=UTC)
    assert not is_within_quiet_hours(rule(None, "Europe/London"), midnight)
    assert not is_within_quiet_hours(rule("21:00-08:00", None), midnight)


def test_naive_instant_is_refused() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        is_within_quiet_hours(rule("21:00-08:00", "Europe/London"), datetime(2026, 1, 1, 23, 0))


def test_shipped_registry_uses_each_country_zone() -> None:
    rules = load_country_rules()
    france = rules.get("FR")
    assert france is not None
    # 19:30 UTC in July is 21:30 in Paris (UTC+2): inside France's 20:00-08:00 window.
    assert is_within_quiet_hours(france, datetime(2026, 7, 1, 19, 30, tzinfo=UTC))
    # The default rule for an unlisted country has no clock and so no quiet hours.
    unlisted = rules.rule_for("AQ")
    assert not is_within_quiet_hours(unlisted, datetime(2026, 7, 1, 3, 0, tzinfo=UTC))
