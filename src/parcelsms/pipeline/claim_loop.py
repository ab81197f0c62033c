"""Claim → work → record: the loop every queue worker runs (dispatcher, webhook delivery).

A worker's queue lives in storage. :class:`ClaimLoop` claims items from it in batches,
starts one task per claimed item at once, and records the results in lists through a
:class:`~parcelsms.pipeline.list_recorder.ListRecorder` (one storage call carries every
result that arrived while the previous call ran). Its contract:

* **In flight.** An item counts as in flight from its claim until its result is recorded
  (or its work failed). At most ``max_in_flight`` items are in flight; a claim asks for at
  most ``batch_size`` and is made only when at least ``min_claim`` slots are free (or
  nothing is in flight), so that a busy worker claims worthwhile batches instead of an item
  or two every time one finishes.
* **Never twice.** An item is known by ``item_key``, its result by ``result_key`` (the same
  key). A claim that returns an item still in flight (its lease ran out while it was being
  worked) does not start it again.
* **Hurry.** The storage writer of a busy queue worker spaces its transactions
  (``BatchingWriter`` ``min_interval``); a loop that is held up by the storage must not wait
  for that, or the spacing would cap the worker at ``max_in_flight`` items per two
  intervals. So the loop calls ``hurry`` (when given) when it has no room to claim and waits
  for its results to be recorded, and before a claim that follows a full one (a backlog:
  more items are waiting for it).
* **Waking.** With nothing claimable (``ready()`` false, or a claim that started nothing)
  the loop waits ``idle_poll_seconds`` or until :meth:`wake` is called.
* **Failures.** ``work`` should return a result for every item. If it raises, the error is
  logged, the item's slot is freed and nothing is recorded; a failing ``record`` is logged
  and its items' slots are freed too. Either way the item stays claimed in storage and the
  owner's recovery (claims resolved at start, leases running out) handles it —
  ``unrecorded`` says how, in the log line.
* **The database away.** A claim that fails with a ``StorageError`` (a PostgreSQL failover
  or restart, a connection lost) is logged once and tried again every ``idle_poll_seconds``
  until one succeeds (logged too): the worker never ends on it.
* **Statistics.** :attr:`ClaimLoop.statistics` counts the claims and where the loop's time
  goes: awaiting its claims (``claim_seconds``: the storage; a failed claim's pause before
  the next counts too), waiting for a free slot with ``max_in_flight`` items in flight
  (``full_seconds``) and waiting for claimable items (``idle_seconds``). A wait under way
  counts up to the moment it is read, so a loop stuck on one thing (a claim held up by a
  locked database) shows it while it lasts. With :attr:`~ClaimLoop.working` and
  :attr:`~ClaimLoop.recording` they tell an operator what holds a worker back
  (``/metrics``, ``parcelsms_worker_*``).
* **Stopping.** :meth:`stop` stops claiming; a claim already under way completes and its
  items are worked like the others; then it waits for the work in flight and the recording
  of its results, all within ``drain_seconds``. What is not recorded by then is left to the
  owner's recovery.

Per item the loop costs one task and a set insert/discard; there is no extra await between
an item's claim and its work.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Coroutine, Hashable, Iterator, Sequence
from dataclasses import dataclass, replace
from typing import Any, Generic, Literal, TypeVar

from parcelsms.errors import StorageError
from parcelsms.pipeline.list_recorder import ListRecorder

ItemT = TypeVar("ItemT")
ResultT = TypeVar("ResultT")

_log = logging.getLogger(__name__)


def _always_ready() -> bool:
    return True


@dataclass(slots=True)
class ClaimLoopStatistics:
    """What a :class:`ClaimLoop` counted since it was made (seconds of the event loop's
    clock): its claims, the items they returned, and the time it spent awaiting claims,
    with no free slot, and with nothing to claim."""

    claims: int = 0
    claimed: int = 0
    claim_seconds: float = 0.0
    full_seconds: float = 0.0
    idle_seconds: float = 0.0


_Wait = Literal["claim_seconds", "full_seconds", "idle_seconds"]


class ClaimLoop(Generic[ItemT, ResultT]):
    """One queue worker's loop (see the module docstring). ``await run()`` until ``stop()``."""

    def __init__(
        self,
        *,
        name: str,
        claim: Callable[[int], Awaitable[Sequence[ItemT]]],
        work: Callable[[ItemT], Coroutine[Any, Any, ResultT]],
        record: Callable[[list[ResultT]], Awaitable[object]],
        item_key: Callable[[ItemT], Hashable],
        result_key: Callable[[ResultT], Hashable],
        batch_size: int,
        max_in_flight: int,
        min_claim: int,
        idle_poll_seconds: float,
        unrecorded: str,
        ready: Callable[[], bool] = _always_ready,
        hurry: Callable[[], None] | None = None,
    ) -> None:
        self._name = name
        self._hurry = hurry
        self._claim = claim
        self._work = work
        self._item_key = item_key
        self._result_key = result_key
        self._batch_size = batch_size
        self._max_in_flight = max_in_flight
        self._min_claim = max(1, min_claim)
        self._idle_poll_seconds = idle_poll_seconds
        self._unrecorded = unrecorded
        self._ready = ready
        self._recorder: ListRecorder[ResultT] = ListRecorder(record, self._recorded, unrecorded)
        self._held: set[Hashable] = set()  # keys of the items in flight
        self._tasks: dict[asyncio.Task[ResultT], Hashable] = {}
        self._wake = asyncio.Event()
        self._slot_freed = asyncio.Event()
        self._exited = asyncio.Event()
        self._running = False
        self._stopping = False
        self._claims_failing = False
        self._backlog = False  # the last claim got all it asked for
        self._counted = ClaimLoopStatistics()  # the waits that have ended
        self._wait: tuple[_Wait, float] | None = None  # the wait under way, since when
        self._clock: Callable[[], float] | None = None  # the event loop's, once running

    @property
    def statistics(self) -> ClaimLoopStatistics:
        """What the loop counted so far, the wait under way included up to now."""
        counted = replace(self._counted)
        wait, clock = self._wait, self._clock
        if wait is not None and clock is not None:  # a wait is under way only while running
            field, since = wait
            setattr(counted, field, getattr(counted, field) + clock() - since)
        return counted

    @property
    def in_flight(self) -> int:
        """Items claimed and not yet recorded."""
        return len(self._held)

    @property
    def working(self) -> int:
        """Items in flight whose work has not finished."""
        return len(self._tasks)

    @property
    def recording(self) -> int:
        """Items in flight whose work has finished: their results wait to be recorded."""
        return len(self._held) - len(self._tasks)

    def held_keys(self) -> frozenset[Hashable]:
        """The keys of the items in flight (claimed, not yet recorded)."""
        return frozenset(self._held)

    def wake(self) -> None:
        """New items may be claimable: look now instead of at the next poll."""
        self._wake.set()

    async def run(self) -> None:
        self._running = True
        self._clock = asyncio.get_running_loop().time
        counted = self._counted
        try:
            while not self._stopping:
                room = self._max_in_flight - len(self._held)
                if room <= 0 or (room < self._min_claim and self._held):
                    if self._hurry is not None:
                        self._hurry()
                    self._slot_freed.clear()
                    with self._waiting("full_seconds"):
                        await self._slot_freed.wait()
                    continue
                if not self._ready():
                    await self._idle()
                    continue
                self._wake.clear()
                asked = min(self._batch_size, room)
                if self._backlog and self._hurry is not None:
                    self._hurry()
                with self._waiting("claim_seconds"):
                    try:
                        items = await self._claim(asked)
                    except StorageError as problem:
                        await self._claim_failed(problem)
                        continue
                counted.claims += 1
                counted.claimed += len(items)
                self._backlog = len(items) >= asked
                if self._claims_failing:
                    self._claims_failing = False
                    _log.warning("%s: claims work again", self._name)
                if not self._start(items):
                    await self._idle()
        finally:
            self._running = False
            self._exited.set()

    async def stop(self, drain_seconds: float) -> None:
        """Stop claiming; give the work in flight ``drain_seconds`` to finish and be recorded."""
        self._stopping = True
        self._wake.set()
        self._slot_freed.set()
        loop = asyncio.get_running_loop()
        deadline = loop.time() + drain_seconds
        if self._running:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._exited.wait(), drain_seconds)
        if self._tasks:
            await asyncio.wait(set(self._tasks), timeout=max(0.0, deadline - loop.time()))
        await self._recorder.drain(deadline - loop.time())

    async def _claim_failed(self, problem: StorageError) -> None:
        if not self._claims_failing:
            self._claims_failing = True
            _log.warning("%s: claim failed, retrying until it works: %s", self._name, problem)
        # A pause, not _idle(): the doorbell may ring on and must not turn this into a spin.
        await asyncio.sleep(self._idle_poll_seconds)

    async def _idle(self) -> None:
        with self._waiting("idle_seconds"), contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._wake.wait(), self._idle_poll_seconds)

    @contextlib.contextmanager
    def _waiting(self, field: _Wait) -> Iterator[None]:
        """Count the time in the block as ``field`` (see :attr:`statistics`)."""
        clock = self._clock
        assert clock is not None  # set by run(), the only caller
        since = clock()
        self._wait = (field, since)
        try:
            yield
        finally:
            self._wait = None
            setattr(self._counted, field, getattr(self._counted, field) + clock() - since)

    def _start(self, items: Sequence[ItemT]) -> int:
        """Start work on the claimed items not already in flight; how many started."""
        started = 0
        held = self._held
        for item in items:
            key = self._item_key(item)
            if key in held:
                continue
            held.add(key)
            task = asyncio.create_task(self._work(item))
            self._tasks[task] = key
            task.add_done_callback(self._finished)
            started += 1
        return started

    def _finished(self, task: asyncio.Task[ResultT]) -> None:
        key = self._tasks.pop(task)
        if task.cancelled():
            self._release(key)
            return
        error = task.exception()
        if error is not None:
            _log.error(
                "%s: work on one item failed; %s",
                self._name,
                self._unrecorded,
                exc_info=error,
            )
            self._release(key)
            return
        self._recorder.add(task.result())

    def _release(self, key: Hashable) -> None:
        self._held.discard(key)
        self._slot_freed.set()

    def _recorded(self, results: list[ResultT]) -> None:
        result_key = self._result_key
        held = self._held
        for result in results:
            held.discard(result_key(result))
        self._slot_freed.set()
