"""The claim → work → record loop on its own, with a queue in memory (no I/O)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable

import pytest

from parcelsms.errors import StorageError
from parcelsms.pipeline.claim_loop import ClaimLoop


class Queue:
    """Items waiting to be claimed, and what the loop did with them."""

    def __init__(self, items: range | list[int] = range(0)) -> None:
        self.waiting = list(items)
        self.limits: list[int] = []
        self.claims_after_stop: list[list[int]] = []
        self.record_calls: list[list[str]] = []
        self.recorded: list[str] = []
        self.in_flight = 0
        self.most_in_flight = 0
        self.expected = 0
        self.all_recorded = asyncio.Event()
        self.claimed = asyncio.Event()
        self.asked = asyncio.Event()  # a claim was made, whatever it returned
        self.hold_claims: asyncio.Event | None = None

    async def claim(self, limit: int) -> list[int]:
        self.limits.append(limit)
        self.asked.set()
        if self.hold_claims is not None:
            self.claimed.set()
            await self.hold_claims.wait()
        items, self.waiting = self.waiting[:limit], self.waiting[limit:]
        self.in_flight += len(items)
        self.most_in_flight = max(self.most_in_flight, self.in_flight)
        if items:
            self.claimed.set()
        return items

    async def record(self, results: list[str]) -> None:
        await asyncio.sleep(0)  # a storage call yields at least once
        self.record_calls.append(results)
        self.recorded.extend(results)
        self.in_flight -= len(results)
        if len(self.recorded) >= self.expected:
            self.all_recorded.set()


async def echo(item: int) -> str:
    await asyncio.sleep(0)
    return str(item)


def make_loop(
    queue: Queue,
    work: Callable[[int], object] = echo,
    *,
    batch_size: int = 10,
    max_in_flight: int = 20,
    min_claim: int = 5,
    idle_poll_seconds: float = 60.0,
    ready: Callable[[], bool] = lambda: True,
    hurry: Callable[[], None] | None = None,
) -> ClaimLoop[int, str]:
    return ClaimLoop(
        name="test",
        claim=queue.claim,
        work=work,  # type: ignore[arg-type]
        record=queue.record,
        item_key=str,
        result_key=lambda result: result,
        batch_size=batch_size,
        max_in_flight=max_in_flight,
        min_claim=min_claim,
        idle_poll_seconds=idle_poll_seconds,
        unrecorded="left to recovery",
        ready=ready,
        hurry=hurry,
    )


async def test_every_claimed_item_is_worked_once_and_recorded_in_lists() -> None:
    queue = Queue(range(200))
    queue.expected = 200
    loop = make_loop(queue, idle_poll_seconds=0.01)
    running = asyncio.create_task(loop.run())
    async with asyncio.timeout(10):
        await queue.all_recorded.wait()
    await loop.stop(drain_seconds=5)
    await running

    assert sorted(queue.recorded, key=int) == [str(n) for n in range(200)]
    assert len(queue.record_calls) < 200
    assert loop.in_flight == 0


async def test_items_in_flight_never_exceed_the_limit_and_claims_are_worth_making() -> None:
    queue = Queue(range(300))
    queue.expected = 300

    async def staggered(item: int) -> str:
        for _ in range(item % 7):  # items finish one by one, freeing one slot at a time
            await asyncio.sleep(0)
        return str(item)

    loop = make_loop(
        queue, staggered, batch_size=8, max_in_flight=12, min_claim=4, idle_poll_seconds=0.01
    )
    running = asyncio.create_task(loop.run())
    async with asyncio.timeout(10):
        await queue.all_recorded.wait()
    await loop.stop(drain_seconds=5)
    await running

    assert queue.most_in_flight <= 12
    assert max(queue.limits) <= 8
    assert min(queue.limits) >= 4


async def test_an_item_claimed_again_while_in_flight_is_not_worked_twice() -> None:
    queue = Queue([1, 2])
    queue.expected = 2
    release = asyncio.Event()
    worked: list[int] = []
    both_started = asyncio.Event()

    async def slow(item: int) -> str:
        worked.append(item)
        if len(worked) == 2:
            both_started.set()
        await release.wait()
        return str(item)

    loop = make_loop(queue, slow, idle_poll_seconds=0.01)
    running = asyncio.create_task(loop.run())
    async with asyncio.timeout(10):
        await both_started.wait()
        queue.claimed.clear()
        queue.waiting = [1, 2]  # their leases ran out: the queue hands them out again
        await queue.claimed.wait()
    release.set()
    async with asyncio.timeout(10):
        await queue.all_recorded.wait()
    await loop.stop(drain_seconds=5)
    await running

    assert sorted(worked) == [1, 2]
    assert sorted(queue.recorded) == ["1", "2"]


async def test_wake_claims_at_once_instead_of_after_the_idle_poll() -> None:
    queue = Queue()
    queue.expected = 1
    loop = make_loop(queue, idle_poll_seconds=3600)
    running = asyncio.create_task(loop.run())
    async with asyncio.timeout(10):
        await queue.asked.wait()  # the first claim found nothing: the loop idles
    queue.waiting = [7]
    loop.wake()
    async with asyncio.timeout(10):
        await queue.all_recorded.wait()
    await loop.stop(drain_seconds=5)
    await running

    assert queue.recorded == ["7"]


async def test_nothing_is_claimed_while_the_owner_is_not_ready() -> None:
    queue = Queue([1])
    queue.expected = 1
    ready = False
    polls = 0
    polled_thrice = asyncio.Event()

    def is_ready() -> bool:
        nonlocal polls
        polls += 1
        if polls == 3:
            polled_thrice.set()
        return ready

    loop = make_loop(queue, idle_poll_seconds=0.001, ready=is_ready)
    running = asyncio.create_task(loop.run())
    async with asyncio.timeout(10):
        await polled_thrice.wait()
    assert queue.limits == []
    ready = True
    async with asyncio.timeout(10):
        await queue.all_recorded.wait()
    await loop.stop(drain_seconds=5)
    await running

    assert queue.recorded == ["1"]


async def test_failing_work_is_logged_frees_its_slot_and_records_nothing(
    caplog: pytest.LogCaptureFixture,
) -> None:
    queue = Queue([1, 2, 3])
    queue.expected = 2

    async def fails_on_two(item: int) -> str:
        if item == 2:
            raise RuntimeError("a bug")
        return str(item)

    loop = make_loop(queue, fails_on_two, idle_poll_seconds=0.01)
    with caplog.at_level(logging.ERROR, logger="parcelsms.pipeline.claim_loop"):
        running = asyncio.create_task(loop.run())
        async with asyncio.timeout(10):
            await queue.all_recorded.wait()
        await loop.stop(drain_seconds=5)
        await running

    assert sorted(queue.recorded) == ["1", "3"]
    assert loop.in_flight == 0
    assert any("left to recovery" in record.getMessage() for record in caplog.records)


async def test_a_failing_record_is_logged_and_its_items_leave_flight(
    caplog: pytest.LogCaptureFixture,
) -> None:
    queue = Queue([1])
    attempted = asyncio.Event()

    async def broken_record(results: list[str]) -> None:
        attempted.set()
        raise RuntimeError("storage down")

    loop = ClaimLoop(
        name="test",
        claim=queue.claim,
        work=echo,
        record=broken_record,
        item_key=str,
        result_key=lambda result: result,
        batch_size=10,
        max_in_flight=10,
        min_claim=1,
        idle_poll_seconds=0.01,
        unrecorded="left to recovery",
    )
    with caplog.at_level(logging.ERROR):
        running = asyncio.create_task(loop.run())
        async with asyncio.timeout(10):
            await attempted.wait()
        await loop.stop(drain_seconds=5)
        await running

    assert loop.in_flight == 0
    assert any("left to recovery" in record.getMessage() for record in caplog.records)


async def test_stop_waits_for_work_in_flight_and_records_its_results() -> None:
    queue = Queue([1, 2, 3])
    release = asyncio.Event()
    started = asyncio.Event()

    async def slow(item: int) -> str:
        started.set()
        await release.wait()
        return str(item)

    loop = make_loop(queue, slow)
    running = asyncio.create_task(loop.run())
    await started.wait()
    stopping = asyncio.create_task(loop.stop(drain_seconds=10))
    await asyncio.sleep(0)
    assert not stopping.done()
    release.set()
    await stopping
    await running

    assert sorted(queue.recorded) == ["1", "2", "3"]


async def test_items_of_a_claim_under_way_at_stop_are_worked_and_recorded() -> None:
    queue = Queue([1, 2])
    queue.hold_claims = asyncio.Event()
    loop = make_loop(queue)
    running = asyncio.create_task(loop.run())
    await queue.claimed.wait()  # the claim is under way
    stopping = asyncio.create_task(loop.stop(drain_seconds=10))
    await asyncio.sleep(0)
    queue.hold_claims.set()
    await stopping
    await running

    assert sorted(queue.recorded) == ["1", "2"]
    assert len(queue.limits) == 1  # and no claim after the stop


async def test_stop_gives_up_waiting_after_the_drain_time() -> None:
    queue = Queue([1])
    started = asyncio.Event()
    never = asyncio.Event()

    async def hangs(item: int) -> str:
        started.set()
        await never.wait()
        return str(item)

    loop = make_loop(queue, hangs)
    running = asyncio.create_task(loop.run())
    await started.wait()
    async with asyncio.timeout(5):
        await loop.stop(drain_seconds=0.05)
    await running

    assert queue.recorded == []
    assert loop.in_flight == 1
    queue.expected = 1
    never.set()  # the work ends later; its result is still recorded
    async with asyncio.timeout(5):
        await queue.all_recorded.wait()


async def test_claims_failing_while_the_database_is_away_are_retried_until_they_work(
    caplog: pytest.LogCaptureFixture,
) -> None:
    queue = Queue(range(5))
    queue.expected = 5
    failures = 3
    claim = queue.claim

    async def flaky_claim(limit: int) -> list[int]:
        nonlocal failures
        if failures:
            failures -= 1
            raise StorageError("database error: connection failed")
        return await claim(limit)

    queue.claim = flaky_claim  # type: ignore[method-assign]
    loop = make_loop(queue, idle_poll_seconds=0.001)
    running = asyncio.create_task(loop.run())
    with caplog.at_level(logging.WARNING):
        async with asyncio.timeout(10):
            await queue.all_recorded.wait()
    await loop.stop(drain_seconds=5)
    await running

    assert sorted(queue.recorded, key=int) == ["0", "1", "2", "3", "4"]
    messages = [record.getMessage() for record in caplog.records]
    assert sum("claim failed" in message for message in messages) == 1
    assert sum("claims work again" in message for message in messages) == 1


async def test_a_full_loop_hurries_the_storage_before_waiting_for_its_results() -> None:
    """With no room left, what the loop waits for is the commit of its results: a storage
    that spaces its commits must not hold that one back."""
    queue = Queue(range(10))
    queue.expected = 10
    release = asyncio.Event()
    hurried = asyncio.Event()
    hurried_while_full: list[int] = []

    async def held(item: int) -> str:
        await release.wait()
        return str(item)

    def hurry() -> None:
        hurried_while_full.append(queue.in_flight)
        hurried.set()

    loop = make_loop(queue, held, batch_size=10, max_in_flight=10, min_claim=5, hurry=hurry)
    running = asyncio.create_task(loop.run())
    async with asyncio.timeout(5):
        await hurried.wait()
    assert hurried_while_full[0] == 10  # every slot taken, nothing recorded yet
    release.set()
    async with asyncio.timeout(5):
        await queue.all_recorded.wait()
    await loop.stop(drain_seconds=5)
    await running


async def test_only_a_claim_after_a_full_one_hurries_the_storage() -> None:
    """A claim that got all it asked for means a backlog: the next claim hurries. A claim
    that got less (a quiet queue) lets the storage space its commits."""
    queue = Queue(range(15))
    queue.expected = 15
    events: list[str] = []
    claim = queue.claim
    quiet_polls = asyncio.Event()

    async def logged_claim(limit: int) -> list[int]:
        items = await claim(limit)
        events.append(f"claimed {len(items)}")
        if events.count("claimed 0") >= 2:  # two quiet polls after the queue emptied
            quiet_polls.set()
        return items

    queue.claim = logged_claim  # type: ignore[method-assign]
    loop = make_loop(
        queue,
        batch_size=10,
        max_in_flight=100,
        min_claim=5,
        idle_poll_seconds=0.05,
        hurry=lambda: events.append("hurry"),
    )
    running = asyncio.create_task(loop.run())
    async with asyncio.timeout(5):
        await queue.all_recorded.wait()
        await quiet_polls.wait()
    await loop.stop(drain_seconds=5)
    await running
    assert events[:5] == ["claimed 10", "hurry", "claimed 5", "claimed 0", "claimed 0"]


async def test_the_loop_tells_items_being_worked_from_results_waiting_for_storage() -> None:
    """``working`` counts items whose work runs, ``recording`` those whose results wait for
    their commit; both together are what the loop holds."""
    queue = Queue(range(6))
    queue.expected = 6
    release_work = asyncio.Event()
    release_record = asyncio.Event()
    record_called = asyncio.Event()
    record = queue.record

    async def held(item: int) -> str:
        await release_work.wait()
        return str(item)

    async def slow_record(results: list[str]) -> None:
        record_called.set()  # every item has finished: they were released together
        await release_record.wait()
        await record(results)

    queue.record = slow_record  # type: ignore[method-assign]
    loop = make_loop(queue, held, batch_size=6, max_in_flight=6, min_claim=3)
    running = asyncio.create_task(loop.run())
    async with asyncio.timeout(5):
        await queue.claimed.wait()
        await asyncio.sleep(0)
    assert (loop.working, loop.recording) == (6, 0)

    release_work.set()
    async with asyncio.timeout(5):
        await record_called.wait()
    assert (loop.working, loop.recording, loop.in_flight) == (0, 6, 6)

    release_record.set()
    async with asyncio.timeout(5):
        await queue.all_recorded.wait()
    await loop.stop(drain_seconds=5)
    await running
    assert (loop.working, loop.recording) == (0, 0)


async def test_the_loop_counts_its_claims_and_the_time_it_waits_on_each_thing() -> None:
    """Claims and the items they returned; seconds awaiting claims (the storage), with
    every slot taken, and with nothing to claim. Lower bounds: the event loop's clock."""
    queue = Queue(range(4))
    queue.expected = 4
    claim = queue.claim
    release_work = asyncio.Event()

    found_nothing = asyncio.Event()

    async def slow_claim(limit: int) -> list[int]:
        await asyncio.sleep(0.05)
        items = await claim(limit)
        if not items:
            found_nothing.set()
        return items

    async def held(item: int) -> str:
        await release_work.wait()
        return str(item)

    queue.claim = slow_claim  # type: ignore[method-assign]
    loop = make_loop(
        queue, held, batch_size=4, max_in_flight=4, min_claim=2, idle_poll_seconds=0.02
    )
    running = asyncio.create_task(loop.run())
    async with asyncio.timeout(5):
        await queue.claimed.wait()
    await asyncio.sleep(0.1)  # every slot taken: the loop waits for one
    release_work.set()
    async with asyncio.timeout(5):
        await queue.all_recorded.wait()
        await found_nothing.wait()  # the queue is empty: a claim finds nothing, then idles
    await asyncio.sleep(0.05)
    await loop.stop(drain_seconds=5)
    await running

    statistics = loop.statistics
    assert statistics.claimed == 4
    assert statistics.claims >= 3
    assert statistics.claim_seconds >= 0.05 * statistics.claims
    assert statistics.full_seconds >= 0.09
    assert statistics.idle_seconds >= 0.02


async def test_a_wait_under_way_shows_while_it_lasts() -> None:
    """A claim held up (a locked database) counts before it returns, and keeps counting."""
    queue = Queue(range(3))
    queue.expected = 3
    queue.hold_claims = asyncio.Event()
    loop = make_loop(queue)
    running = asyncio.create_task(loop.run())
    async with asyncio.timeout(5):
        await queue.claimed.wait()  # the claim is made and held
    await asyncio.sleep(0.1)
    first = loop.statistics.claim_seconds
    await asyncio.sleep(0.05)
    second = loop.statistics.claim_seconds
    assert loop.statistics.claims == 0  # not returned yet
    assert 0.1 <= first < second

    queue.hold_claims.set()
    async with asyncio.timeout(5):
        await queue.all_recorded.wait()
    await loop.stop(drain_seconds=5)
    await running
    assert loop.statistics.claims >= 1
    assert loop.statistics.claim_seconds >= second
