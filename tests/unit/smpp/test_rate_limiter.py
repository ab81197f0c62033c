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


async def test_throttling_lowers_the_rate_and_pauses(fake_time: FakeTime) -> None:
    limiter = RateLimiter(100.0, pause_seconds=0.2, clock=fake_time.clock)
    await send(limiter, 1)
    throttled_at = fake_time.now
    limiter.throttled()
    assert limiter.rate == pytest.approx(90.0)  # decrease_factor 0.9 of the current rate
    assert limiter.throttle_events == 1
    await send(limiter, 1)
    assert fake_time.now >= throttled_at + 0.2
    before = fake_time.now
    await send(limiter, 90)
    assert fake_time.now - before == pytest.approx(90 / 90.0)


async def test_the_decrease_starts_from_the_rate_the_carrier_actually_accepted(
    fake_time: FakeTime,
) -> None:
    """Configured at 1,000/s against a carrier that takes 50/s: one answer brings the rate
    near 50/s, not to 500/s."""
    limiter = RateLimiter(1000.0, clock=fake_time.clock)
    fake_time.now = 2000.0
    for _ in range(50):
        limiter.succeeded()
    fake_time.now = 2001.0  # a full second later: 50 accepted over the last second
    limiter.throttled()
    assert limiter.rate == pytest.approx(50 * 0.9)


async def test_a_window_of_throttled_answers_lowers_the_rate_only_once(
    fake_time: FakeTime,
) -> None:
    limiter = RateLimiter(400.0, pause_seconds=0.2, clock=fake_time.clock)
    for _ in range(100):  # a whole window answered ESME_RTHROTTLED at once
        limiter.throttled()
    assert limiter.rate == pytest.approx(360.0)
    assert limiter.throttle_events == 100
    fake_time.now += 0.5
    limiter.throttled()  # within the second the carrier counts in: a pause, no decrease
    assert limiter.rate == pytest.approx(360.0)
    fake_time.now += 0.5
    limiter.throttled()  # a second later, a new overload lowers it again
    assert limiter.rate == pytest.approx(324.0)


async def test_slots_booked_before_a_throttling_answer_are_booked_again_at_the_new_rate(
    fake_time: FakeTime, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Senders asleep on slots booked at the old rate must not keep the old pace."""
    limiter = RateLimiter(100.0, pause_seconds=0.5, clock=fake_time.clock)
    booked_sleep = fake_time.sleep

    async def sleep_then_throttle(seconds: float) -> None:
        await booked_sleep(seconds)
        if len(fake_time.sleeps) == 1:  # the answer arrives while the first sender sleeps
            limiter.throttled()

    monkeypatch.setattr(rate_limit, "asyncio", SimpleNamespace(sleep=sleep_then_throttle))
    await limiter.acquire()  # leaves at once (the burst)
    start = fake_time.now
    await limiter.acquire()  # booked at +10 ms, throttled while asleep: booked again
    assert fake_time.now >= start + 0.5  # it waited out the pause, not leaving at +10 ms


async def test_the_rate_never_falls_below_the_minimum(fake_time: FakeTime) -> None:
    limiter = RateLimiter(4.0, min_rate=1.0, pause_seconds=0.1, clock=fake_time.clock)
    for _ in range(20):
        limiter.throttled()
        fake_time.now += 1.0
    assert limiter.rate == 1.0


async def test_the_rate_creeps_back_with_time_not_with_the_count_of_successes(
    fake_time: FakeTime,
) -> None:
    limiter = RateLimiter(100.0, pause_seconds=0.2, clock=fake_time.clock)
    limiter.throttled()
    assert limiter.rate == pytest.approx(90.0)
    fake_time.now += 0.2  # the pause earns nothing
    for _ in range(500):  # many successes within one instant add nothing
        limiter.succeeded()
    assert limiter.rate == pytest.approx(90.0)
    for _ in range(10):  # ten seconds of successes: +0.5/s per second (ceiling / 200)
        fake_time.now += 1.0
        limiter.succeeded()
    assert limiter.rate == pytest.approx(95.0)
    for _ in range(60):
        fake_time.now += 1.0
        limiter.succeeded()
    assert limiter.rate == 100.0  # and no further than the ceiling


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
