"""The daily thresholds as a rule: a stop at 100 % until midnight UTC, a warning level."""

from __future__ import annotations

from datetime import UTC, datetime

from parcelsms.domain.daily_rule import DailyRule, daily_refusal, utc_day, warnings_due

NOON = datetime(2030, 1, 1, 12, tzinfo=UTC)


def test_the_message_past_the_daily_count_is_refused_until_midnight() -> None:
    rule = DailyRule(messages=3)

    assert daily_refusal(rule, 2, 0, 100_000, "EUR", NOON) is None
    refusal = daily_refusal(rule, 3, 0, 100_000, "EUR", NOON)

    assert refusal is not None
    assert refusal.code == "daily_limit_reached"
    assert refusal.status == 429
    assert refusal.field is None
    assert refusal.extra["retry_after"] == 12 * 3600


def test_a_message_that_would_pass_the_spend_limit_is_refused_naming_the_amount() -> None:
    rule = DailyRule(spend_micros=250_000)

    assert daily_refusal(rule, 9, 150_000, 100_000, "EUR", NOON) is None
    refusal = daily_refusal(rule, 9, 200_000, 100_000, "EUR", NOON)

    assert refusal is not None
    assert "spend 0.25 EUR per day" in refusal.message


def test_limits_of_zero_refuse_nothing() -> None:
    assert daily_refusal(DailyRule(), 10**9, 10**12, 10**6, "EUR", NOON) is None


def test_a_warning_is_due_from_the_warning_level_of_each_limit() -> None:
    rule = DailyRule(messages=5, spend_micros=1_000_000, warning_percent=80)

    assert warnings_due(rule, 3, 100) == ()
    assert warnings_due(rule, 4, 100) == (("daily_messages", 4, 5),)
    assert warnings_due(rule, 4, 800_000) == (
        ("daily_messages", 4, 5),
        ("daily_spend", 800_000, 1_000_000),
    )


def test_the_retry_after_is_at_least_one_second_just_before_midnight() -> None:
    late = datetime(2030, 1, 1, 23, 59, 59, 900_000, tzinfo=UTC)
    refusal = daily_refusal(DailyRule(messages=1), 1, 0, 0, "EUR", late)

    assert refusal is not None
    assert refusal.extra["retry_after"] == 1


def test_the_day_is_counted_in_utc_days_since_the_epoch() -> None:
    assert utc_day(datetime(1970, 1, 2, 0, 0, tzinfo=UTC)) == 1
    assert utc_day(NOON) == utc_day(datetime(2030, 1, 1, 23, 59, tzinfo=UTC))
