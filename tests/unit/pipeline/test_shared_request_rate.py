"""Per-key request rates shared by processes: slices of one bucket, few questions to storage."""

from __future__ import annotations

import asyncio

from parcelsms.domain.request_rate import TokenGrant, take_tokens
from parcelsms.pipeline.shared_request_rate import SharedRequestRate, slice_size


class Clock:
    def __init__(self) -> None:
        self.now = 1_000.0

    def __call__(self) -> float:
        return self.now


class Bucket:
    """The database's bucket, in memory; counts the questions asked."""

    def __init__(self, clock: Clock) -> None:
        self.clock = clock
        self.tokens = float("inf")
        self.updated = clock.now
        self.questions = 0

    async def take_key_tokens(self, key_id: str, want: int, rate: float, burst: int) -> TokenGrant:
        self.questions += 1
        await asyncio.sleep(0)  # a real store answers after a commit
        grant, self.tokens = take_tokens(
            self.tokens, self.updated, self.clock.now, rate, burst, want
        )
        self.updated = max(self.updated, self.clock.now)
        return grant


async def served(limiter: SharedRequestRate, count: int, rate: float, burst: int) -> int:
    waits = [await limiter.take("key_1", rate, burst) for _ in range(count)]
    return sum(1 for wait in waits if wait == 0)


def test_a_slice_is_a_tenth_of_a_second_of_the_rate_within_one_and_the_burst() -> None:
    assert slice_size(100, 200) == 10
    assert slice_size(1, 5) == 1
    assert slice_size(10_000, 50) == 50


async def test_a_process_asks_storage_once_per_slice() -> None:
    clock = Clock()
    bucket = Bucket(clock)
    limiter = SharedRequestRate(bucket, clock=clock)

    assert await served(limiter, 30, 100, 200) == 30
    assert bucket.questions == 3


async def test_two_processes_together_serve_one_burst_and_then_the_rate() -> None:
    clock = Clock()
    bucket = Bucket(clock)
    first = SharedRequestRate(bucket, clock=clock)
    second = SharedRequestRate(bucket, clock=clock)

    burst_served = await served(first, 150, 100, 200) + await served(second, 150, 100, 200)
    clock.now += 1.0
    second_served = await served(first, 150, 100, 200) + await served(second, 150, 100, 200)

    assert burst_served == 200
    assert second_served == 100


async def test_an_empty_bucket_refuses_from_memory_until_the_next_token_is_due() -> None:
    clock = Clock()
    bucket = Bucket(clock)
    limiter = SharedRequestRate(bucket, clock=clock)
    await served(limiter, 5, 1, 5)
    asked = bucket.questions

    waits = [await limiter.take("key_1", 1, 5) for _ in range(1_000)]

    assert all(0 < wait <= 1.0 for wait in waits)
    assert bucket.questions == asked + 1  # one question found it empty; the rest did not ask
    clock.now += 1.0
    assert await limiter.take("key_1", 1, 5) == 0.0


async def test_concurrent_requests_of_one_process_share_one_question() -> None:
    clock = Clock()
    bucket = Bucket(clock)
    limiter = SharedRequestRate(bucket, clock=clock)

    waits = await asyncio.gather(*(limiter.take("key_1", 100, 200) for _ in range(10)))

    assert waits == [0.0] * 10
    assert bucket.questions == 1


async def test_no_rate_means_no_limit_and_no_question() -> None:
    clock = Clock()
    bucket = Bucket(clock)
    limiter = SharedRequestRate(bucket, clock=clock)

    assert await served(limiter, 100, 0, 1) == 100
    assert bucket.questions == 0
