"""The send-rate limiter, on a fake clock: rate, burst, throttling back-off and recovery."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from parcelsms.protocol.smpp import rate_limit
from parcelsms.protocol.smpp.rate_limit import RateLimiter


class FakeTime:
    """A clock that only moves when the limiter sleeps."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.sleeps: list[float] = []

    def clock(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


@pytest.fixture
def fake_time(monkeypatch: pytest.MonkeyPatch) -> FakeTime:
    time = FakeTime()
    # The limiter sleeps with asyncio.sleep; in these tests sleeping moves the fake clock.
    monkeypatch.setattr(rate_limit, "asyncio", SimpleNamespace(sleep=time.sleep))
    return time


async def send(limiter: RateLimiter, count: int) -> None:
    for _ in range(count):
        await limiter.acquire()


async def test_an_unlimited_limiter_never_waits(fake_time: FakeTime) -> None:
    limiter = RateLimiter(None, clock=fake_time.clock)
    await send(limiter, 1000)
    assert fake_time.sleeps == []


@pytest.mark.parametrize("rate", [1.0, 50.0, 200.0, 5000.0])
async def test_sends_are_spaced_at_the_configured_rate(fake_time: FakeTime, rate: float) -> None:
    limiter = RateLimiter(rate, clock=fake_time.clock)
    start = fake_time.now
    await send(limiter, 301)
    # The first send leaves at once; 300 intervals follow.
    assert fake_time.now - start == pytest.approx(300 / rate)


async def test_a_burst_leaves_at_once_after_idleness_then_the_rate_holds(
    fake_time: FakeTime,
) -> None:
    limiter = RateLimiter(10.0, burst=5, clock=fake_time.clock)
    start = fake_time.now
    await send(limiter, 5)
    assert fake_time.now == pytest.approx(start)
    await send(limiter, 10)
    assert fake_time.now - start == pytest.approx(1.0)
    fake_time.now += 60.0  # idle: the burst is available again, but no more than it
    start = fake_time.now
    await send(limiter, 5)
    assert fake_time.now == pytest.approx(start)


def test_a_rate_must_be_positive() -> None:
    with pytest.raises(ValueError, match="positive"):
        RateLimiter(0, clock=lambda: 0.0)


async def test_throttling_halves_the_rate_and_pauses(fake_time: FakeTime) -> None:
    limiter = RateLimiter(100.0, pause_seconds=0.2, clock=fake_time.clock)
    await send(limiter, 1)
    throttled_at = fake_time.now
    limiter.throttled()
    assert limiter.rate == 50.0
    assert limiter.throttle_events == 1
    await send(limiter, 1)
    assert fake_time.now >= throttled_at + 0.2
    before = fake_time.now
    await send(limiter, 51)
    assert fake_time.now - before == pytest.approx(51 / 50.0)


async def test_a_window_of_throttled_answers_halves_the_rate_only_once(
    fake_time: FakeTime,
) -> None:
    limiter = RateLimiter(400.0, pause_seconds=0.2, clock=fake_time.clock)
    for _ in range(100):  # a whole window answered ESME_RTHROTTLED at once
        limiter.throttled()
    assert limiter.rate == 200.0
    assert limiter.throttle_events == 100
    fake_time.now += 0.2
    limiter.throttled()  # a later overload halves again
    assert limiter.rate == 100.0


async def test_the_rate_never_falls_below_the_minimum(fake_time: FakeTime) -> None:
    limiter = RateLimiter(4.0, min_rate=1.0, pause_seconds=0.1, clock=fake_time.clock)
    for _ in range(10):
        limiter.throttled()
        fake_time.now += 0.1
    assert limiter.rate == 1.0


async def test_successes_creep_back_to_the_ceiling_and_no_further(fake_time: FakeTime) -> None:
    limiter = RateLimiter(100.0, clock=fake_time.clock)
    limiter.throttled()
    assert limiter.rate == 50.0
    limiter.succeeded()
    assert limiter.rate == 50.5  # additive: max(0.5, ceiling / 500) per success
    for _ in range(200):
        limiter.succeeded()
    assert limiter.rate == 100.0


async def test_an_unlimited_limiter_still_pauses_after_a_throttling_answer(
    fake_time: FakeTime,
) -> None:
    limiter = RateLimiter(None, pause_seconds=0.25, clock=fake_time.clock)
    throttled_at = fake_time.now
    limiter.throttled()
    limiter.succeeded()
    assert limiter.rate is None
    await send(limiter, 3)
    assert fake_time.now == pytest.approx(throttled_at + 0.25)
    assert len(fake_time.sleeps) == 1
