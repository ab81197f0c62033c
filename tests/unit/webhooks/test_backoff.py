"""Webhook retry delays: capped exponential growth with equal jitter."""

from __future__ import annotations

import random

import pytest

from parcelsms.adapters.webhooks.backoff import MAX_ATTEMPTS, next_attempt_delay, retry_schedule


def test_delays_double_from_five_seconds_up_to_one_hour() -> None:
    delays = [next_attempt_delay(attempt) for attempt in range(1, 14)]
    assert delays == [5, 10, 20, 40, 80, 160, 320, 640, 1280, 2560, 3600, 3600, 3600]


def test_default_schedule_spans_the_documented_two_hours_25_minutes() -> None:
    schedule = retry_schedule()
    assert MAX_ATTEMPTS == 12
    assert len(schedule) == MAX_ATTEMPTS - 1
    assert sum(schedule) == 2 * 3600 + 25 * 60 + 15


def test_a_full_day_takes_34_attempts_at_the_default_rates() -> None:
    assert sum(retry_schedule(34)) >= 24 * 3600
    assert sum(retry_schedule(33)) < 24 * 3600


@pytest.mark.parametrize("seed", range(50))
def test_jittered_delay_stays_between_half_and_the_full_delay(seed: int) -> None:
    source = random.Random(seed)
    for attempt in range(1, 16):
        full = next_attempt_delay(attempt)
        jittered = next_attempt_delay(attempt, jitter=source)
        assert full / 2 <= jittered <= full


def test_jitter_spreads_retries_of_events_that_failed_together() -> None:
    source = random.Random(7)
    delays = {next_attempt_delay(6, jitter=source) for _ in range(100)}
    assert len(delays) > 90
    assert min(delays) < 100 < max(delays)


def test_same_seed_gives_the_same_delays() -> None:
    first = [next_attempt_delay(n, jitter=random.Random(3)) for n in range(1, 10)]
    second = [next_attempt_delay(n, jitter=random.Random(3)) for n in range(1, 10)]
    assert first == second


def test_huge_attempt_numbers_stay_at_the_cap() -> None:
    assert next_attempt_delay(10_000) == 3600
    assert next_attempt_delay(10_000, base=1.0, factor=10, cap=60.0) == 60


def test_custom_rates_are_applied() -> None:
    assert next_attempt_delay(3, base=2.0, factor=3, cap=100.0) == 18


@pytest.mark.parametrize(
    ("attempt", "base", "factor", "cap"),
    [(0, 5.0, 2, 3600.0), (1, 0.0, 2, 3600.0), (1, 5.0, 0.5, 3600.0), (1, 10.0, 2, 5.0)],
    ids=["attempt-zero", "zero-base", "shrinking-factor", "cap-below-base"],
)
def test_nonsensical_arguments_are_refused(
    attempt: int, base: float, factor: float, cap: float
) -> None:
    with pytest.raises(ValueError):  # noqa: PT011 - the message names the rule, not tested
        next_attempt_delay(attempt, base=base, factor=factor, cap=cap)
