"""Token buckets per key: bursts, refill, retry hints, independence of keys."""

from __future__ import annotations

import pytest

from parcelsms.domain.request_rate import RequestRateLimiter, retry_after_header


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_a_burst_passes_then_the_rate_applies() -> None:
    clock = Clock()
    limiter = RequestRateLimiter(clock)

    burst = [limiter.take("k", rate=2.0, burst=3) for _ in range(3)]
    refused = limiter.take("k", rate=2.0, burst=3)
    clock.now += 0.5
    after_refill = limiter.take("k", rate=2.0, burst=3)

    assert burst == [0.0, 0.0, 0.0]
    assert refused == pytest.approx(0.5)
    assert after_refill == 0.0


def test_a_refused_request_spends_nothing() -> None:
    clock = Clock()
    limiter = RequestRateLimiter(clock)
    limiter.take("k", rate=1.0, burst=1)

    waits = [limiter.take("k", rate=1.0, burst=1) for _ in range(5)]
    clock.now += 1.0

    assert all(wait > 0 for wait in waits)
    assert limiter.take("k", rate=1.0, burst=1) == 0.0


def test_keys_have_their_own_buckets_and_zero_means_no_limit() -> None:
    limiter = RequestRateLimiter(Clock())
    limiter.take("a", rate=1.0, burst=1)

    assert limiter.take("b", rate=1.0, burst=1) == 0.0
    assert all(limiter.take("c", rate=0, burst=1) == 0.0 for _ in range(100))


@pytest.mark.parametrize(("seconds", "header"), [(0.01, "1"), (1.0, "1"), (1.2, "2"), (30, "30")])
def test_retry_after_is_whole_seconds_rounded_up(seconds: float, header: str) -> None:
    assert retry_after_header(seconds) == header
