"""A channel's circuit breaker (pure): when it opens, how it probes, when it closes."""

from __future__ import annotations

import pytest

from parcelsms.domain.circuit_breaker import BreakerSettings, BreakerState, CircuitBreaker
from parcelsms.domain.failover import SendResultKind

ACCEPTED, TEMPORARY, UNKNOWN = (
    SendResultKind.ACCEPTED,
    SendResultKind.TEMPORARY,
    SendResultKind.UNKNOWN,
)
SETTINGS = BreakerSettings(
    error_rate=0.5, min_submits=10, sample=20, open_seconds=5.0, probe_interval=1.0,
    probes_to_close=2,
)  # fmt: skip


def opened_breaker(now: float = 100.0) -> CircuitBreaker:
    breaker = CircuitBreaker(SETTINGS)
    for _ in range(10):
        breaker.record(UNKNOWN, now)
    assert breaker.state is BreakerState.OPEN
    return breaker


def test_a_closed_breaker_admits_everything_and_stays_closed_below_the_error_rate() -> None:
    breaker = CircuitBreaker(SETTINGS)
    for index in range(100):
        breaker.record(TEMPORARY if index % 3 == 0 else ACCEPTED, float(index))
        assert breaker.admits(float(index))
    assert breaker.state is BreakerState.CLOSED


def test_it_opens_once_enough_submits_failed_and_not_before_the_minimum() -> None:
    breaker = CircuitBreaker(SETTINGS)
    for _ in range(9):
        breaker.record(UNKNOWN, 100.0)
    assert breaker.state is BreakerState.CLOSED  # 9 known submits: below min_submits
    breaker.record(TEMPORARY, 100.0)
    assert breaker.state is BreakerState.OPEN
    assert breaker.opened_times == 1
    assert not breaker.admits(104.9)


def test_throttling_and_permanent_refusals_count_neither_way() -> None:
    breaker = CircuitBreaker(SETTINGS)
    for _ in range(50):
        breaker.record(SendResultKind.THROTTLED, 1.0)
        breaker.record(SendResultKind.PERMANENT, 1.0)
    assert breaker.state is BreakerState.CLOSED
    assert breaker.failure_share == 0.0


def test_old_outcomes_leave_the_sample() -> None:
    breaker = CircuitBreaker(SETTINGS)
    for _ in range(11):
        breaker.record(ACCEPTED, 1.0)
    for _ in range(9):
        breaker.record(UNKNOWN, 1.0)
    assert breaker.failure_share == pytest.approx(0.45)
    for _ in range(20):  # the failures slide out of the 20-submit sample
        breaker.record(ACCEPTED, 1.0)
    assert breaker.failure_share == 0.0
    for _ in range(9):
        breaker.record(UNKNOWN, 2.0)
    assert breaker.state is BreakerState.CLOSED  # 9 of 20: below half


def test_after_the_open_wait_it_lets_a_trickle_of_probes_through() -> None:
    breaker = opened_breaker(now=100.0)
    assert not breaker.may_admit_soon(104.0)
    assert breaker.may_admit_soon(105.0)
    assert breaker.admits(105.0)  # the first probe
    assert breaker.state is BreakerState.HALF_OPEN
    assert not breaker.admits(105.5)  # one per probe interval
    assert breaker.admits(106.0)


def test_enough_accepted_probes_close_it_with_a_fresh_sample() -> None:
    breaker = opened_breaker()
    assert breaker.admits(105.0)
    breaker.record(ACCEPTED, 105.1)
    assert breaker.state is BreakerState.HALF_OPEN
    assert breaker.admits(106.0)
    breaker.record(ACCEPTED, 106.1)
    assert breaker.state is BreakerState.CLOSED
    assert breaker.failure_share == 0.0
    assert breaker.admits(106.2)


def test_a_failed_probe_opens_it_again_for_another_wait() -> None:
    breaker = opened_breaker()
    assert breaker.admits(105.0)
    breaker.record(UNKNOWN, 105.5)
    assert breaker.state is BreakerState.OPEN
    assert breaker.opened_times == 2
    assert not breaker.admits(110.0)
    assert breaker.admits(110.5)
