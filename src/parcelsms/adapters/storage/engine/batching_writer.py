"""Group commit: many callers' writes share one transaction, each gets its own answer.

A caller submits ``(operation, item)`` and awaits a future. The writer groups waiting items by
operation and runs each operation's bulk function once with its list of items, all inside ONE
transaction on the database's writer connection. After the commit every caller's future
receives its own result.

A bulk function is synchronous SQLAlchemy Core code (see :mod:`.database`) and returns one
result per item, in order. Sums the operations of a transaction add to (report rollups) are
written once, after the last of them (:mod:`.deferred_writes`). Input problems of an item
(a ``CatalogueError`` such as ``insufficient_balance``) are results, not exceptions, so they
do not disturb the group. If a flush raises (an unexpected database error, a constraint
violated by one bad item), the transaction is rolled back and its items are retried one by
one, each in its own transaction, so only the bad item fails. Exceptions that are not
parcelsms errors reach the caller as :class:`~parcelsms.errors.StorageError`.

When to flush: at once when the writer is idle (after one turn of the event loop, so callers
that are already running join in), or after ``max_delay`` seconds when that is set. While a
flush runs, new items queue up and go in the next flush: under load the groups grow by
themselves and commits (an fsync at most) stay few. A flush that had to wait for the write
lock (another process was writing) also takes the items queued during that wait, once it
has the lock. A flush takes at most ``max_batch`` items.

With ``min_interval``, flushes start at most that often while fewer than ``eager_batch`` items
wait (the items of a list queued by :meth:`BatchingWriter.run_list` count one by one): a busy
writer whose callers are not waiting on its latency (the pipeline and webhook processes; never
an API process, whose requests wait for their commit) gathers a larger group instead of
committing a few items the moment the previous commit ends. Every transaction has a fixed cost
(the commit writes each page it changed, every table and index it touched), and fewer
transactions also take the machine-wide write lock less often, so the API's transactions wait
less. A writer that has been idle for ``min_interval`` flushes at once, as does one with
``eager_batch`` items waiting, or one that a caller has asked to :meth:`~BatchingWriter.hurry`
(a queue worker with no room left waits on the commit of its results), so the interval adds no
delay to a quiet system and does not cap a busy one.

Within a transaction the operations run in the order their first items were queued, which
is the order things happened in, and the pipeline relies on it. A channel that learns its id
reading keys the receipts already waiting; receipts queued before the reading must be stored
first. A claim queued before the results of the messages in flight must not see them
released, or it claims a message its loop still holds and skips it (the message then waits
for claim recovery). Running submissions first, to spare receipts that arrive with their
submission a stay in ``pending_receipts``, broke the second (tried 2026-12-07).

A caller that is cancelled does not cancel its write: the item is committed or fails as if the
caller were still waiting.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import partial
from typing import Any, Generic, TypeVar

from sqlalchemy.engine import Connection
from sqlalchemy.exc import SQLAlchemyError

from parcelsms.adapters.storage.engine.database import Database
from parcelsms.adapters.storage.engine.deferred_writes import writing_deferred
from parcelsms.adapters.storage.engine.write_statistics import (
    WriteStatistics,
    operation_name,
    write_statistics,
)
from parcelsms.errors import ParcelsmsError, StorageError

ItemT = TypeVar("ItemT")
ResultT = TypeVar("ResultT")

BulkOperation = Callable[[Connection, list[ItemT]], Sequence[ResultT]]
"""Runs a list of items inside the writer's open transaction; returns one result per item."""

_log = logging.getLogger(__name__)


@dataclass(slots=True)
class _Pending(Generic[ItemT, ResultT]):
    operation: BulkOperation[ItemT, ResultT]
    item: ItemT
    future: asyncio.Future[ResultT]
    weight: int = 1  # items it stands for: a list queued by run_list counts its length


@dataclass(slots=True)
class _Outcome:
    ok: bool
    value: Any


@dataclass(slots=True)
class WriterStatistics:
    """Counters for tests and benchmarks."""

    flushes: int = 0
    items: int = 0
    failed_flushes: int = 0
    largest_flush: int = 0
    flush_sizes: list[int] = field(default_factory=list)


def translate_exception(exc: BaseException) -> BaseException:
    """Our own errors pass; driver and other unexpected errors become ``StorageError``."""
    if isinstance(exc, ParcelsmsError | asyncio.CancelledError):
        return exc
    if isinstance(exc, SQLAlchemyError):
        # str() of a DBAPIError includes the SQL and its parameters (phone numbers); keep
        # only the driver's message, and only its first line: PostgreSQL's DETAIL line
        # quotes the offending values ("Key (to_e164)=(+44…) already exists").
        original = getattr(exc, "orig", None)
        detail = str(original).partition("\n")[0] if original is not None else type(exc).__name__
        error = StorageError(f"database error: {detail}")
    else:
        error = StorageError(f"storage failure: {type(exc).__name__}: {exc}")
    error.__cause__ = exc
    return error


def _run_flush(
    connection: Connection,
    batch: list[_Pending[Any, Any]],
    top_up: Callable[[list[_Pending[Any, Any]]], None] | None = None,
    statistics: WriteStatistics | None = None,
) -> tuple[list[_Outcome], bool]:
    """Run ``batch`` in one transaction, else item by item; ``True`` when the group failed.

    Runs wherever the database runs its work (a thread), once that has the write lock:
    ``top_up`` first adds to ``batch`` the items queued while the lock was awaited. It reads
    the pending items but leaves their futures alone. With ``statistics`` (benchmarks), the
    transaction's time is counted by part: each operation, the deferred rows, the commit.
    """
    if top_up is not None:
        top_up(batch)
    groups: dict[BulkOperation[Any, Any], list[int]] = {}
    for index, pending in enumerate(batch):
        groups.setdefault(pending.operation, []).append(index)
    outcomes: list[_Outcome | None] = [None] * len(batch)
    try:
        with connection.begin():
            with writing_deferred(connection):
                for operation, indexes in groups.items():
                    started = time.perf_counter()
                    results = operation(connection, [batch[index].item for index in indexes])
                    if len(results) != len(indexes):
                        raise StorageError(
                            f"bulk operation returned {len(results)} results"
                            f" for {len(indexes)} items"
                        )
                    for index, result in zip(indexes, results, strict=True):
                        outcomes[index] = _Outcome(True, result)
                    if statistics is not None:
                        items = sum(batch[index].weight for index in indexes)
                        statistics.time_part(
                            operation_name(operation), time.perf_counter() - started, items
                        )
                deferred_from = time.perf_counter()
            commit_from = time.perf_counter()
        if statistics is not None:
            items = sum(pending.weight for pending in batch)
            statistics.time_part("deferred rows", commit_from - deferred_from, items)
            statistics.time_part("commit", time.perf_counter() - commit_from, items)
    except Exception as exc:
        _log.warning(
            "group commit of %d items failed (%s); retrying them one by one",
            len(batch),
            type(exc).__name__,
        )
        return [_run_one(connection, pending) for pending in batch], True
    return [outcome for outcome in outcomes if outcome is not None], False


class _Flattened(Generic[ItemT, ResultT]):
    """Runs ``operation`` for lists of items: one call for all lists, results split back."""

    def __init__(self, operation: BulkOperation[ItemT, ResultT]) -> None:
        self._operation = operation

    @property
    def operation(self) -> BulkOperation[ItemT, ResultT]:
        """The operation it runs (the name its time is counted under)."""
        return self._operation

    def __call__(self, connection: Connection, lists: list[list[ItemT]]) -> Sequence[list[ResultT]]:
        results = self._operation(connection, [item for items in lists for item in items])
        split: list[list[ResultT]] = []
        start = 0
        for items in lists:
            split.append(list(results[start : start + len(items)]))
            start += len(items)
        if start != len(results):
            raise StorageError(f"bulk operation returned {len(results)} results for {start} items")
        return split


def _run_one(connection: Connection, pending: _Pending[Any, Any]) -> _Outcome:
    try:
        with connection.begin(), writing_deferred(connection):
            (result,) = pending.operation(connection, [pending.item])
    except Exception as exc:
        return _Outcome(False, translate_exception(exc))
    return _Outcome(True, result)


class BatchingWriter:
    """The single writer of a database: group commit with per-item results.

    :meth:`close` drains the queue before returning.
    """

    def __init__(
        self,
        database: Database,
        *,
        max_batch: int = 1000,
        max_delay: float = 0.0,
        min_interval: float = 0.0,
        eager_batch: int = 128,
        keep_flush_sizes: bool = False,
    ) -> None:
        if max_batch < 1:
            raise ValueError("max_batch must be at least 1")
        if min_interval < 0 or eager_batch < 1:
            raise ValueError("min_interval must be 0 or more and eager_batch at least 1")
        self._database = database
        self._max_batch = max_batch
        self._max_delay = max_delay
        self._min_interval = min_interval
        self._eager_batch = min(eager_batch, max_batch)
        self._enough = asyncio.Event()  # eager_batch items wait (only with min_interval)
        # Items waiting, lists counted by their length (an estimate: a flush topping itself
        # up from its thread takes items without lowering it, which only flushes sooner).
        self._waiting = 0
        self._hurried = False  # the next flush starts without waiting out min_interval
        self._last_start = -math.inf
        self._queue: list[_Pending[Any, Any]] = []
        self._wakeup = asyncio.Event()
        self._batch_full = asyncio.Event()
        self._closing = False
        self._keep_flush_sizes = keep_flush_sizes
        self.statistics = WriterStatistics()
        self._flattened: dict[BulkOperation[Any, Any], _Flattened[Any, Any]] = {}
        # Guards the hand-over of queued items to a running flush (see _top_up).
        self._top_up_lock = threading.Lock()
        self._flush_abandoned = False
        self._write_statistics = write_statistics()
        # Kept: asyncio.get_running_loop() costs a getpid() system call on Python 3.11.
        self._loop = asyncio.get_running_loop()
        self._task = self._loop.create_task(self._run(), name="parcelsms-batching-writer")

    def submit(
        self, operation: BulkOperation[ItemT, ResultT], item: ItemT, *, weight: int = 1
    ) -> asyncio.Future[ResultT]:
        """Queue ``item`` for ``operation``; the future resolves after its commit.

        Raises ``StorageError`` when the writer is closed.
        """
        if self._closing:
            raise StorageError("the batching writer is closed")
        future: asyncio.Future[ResultT] = self._loop.create_future()
        self._queue.append(_Pending(operation, item, future, weight))
        if len(self._queue) == 1:
            self._wakeup.set()
        if len(self._queue) >= self._max_batch:
            self._batch_full.set()
        self._waiting += weight
        if self._waiting >= self._eager_batch:
            self._enough.set()
        return future

    def hurry(self) -> None:
        """Start the next flush without waiting out ``min_interval``: a caller is held up
        until what it queued is committed (a queue worker with no room left)."""
        self._hurried = True
        self._enough.set()

    async def run(self, operation: BulkOperation[ItemT, ResultT], item: ItemT) -> ResultT:
        """Submit one item and await its result."""
        return await self.submit(operation, item)

    async def run_many(
        self, operation: BulkOperation[ItemT, ResultT], items: Sequence[ItemT]
    ) -> list[ResultT]:
        """Submit several items and await all their results (in order).

        The first failed item's exception is raised after every item has finished.
        """
        if len(items) == 1:
            # The common call (one outcome, one receipt): no gather to set up.
            return [await self.submit(operation, items[0])]
        futures = [self.submit(operation, item) for item in items]
        return list(await asyncio.gather(*futures))

    async def run_list(
        self, operation: BulkOperation[ItemT, ResultT], items: Sequence[ItemT]
    ) -> list[ResultT]:
        """Like :meth:`run_many`, with the whole list queued as one entry.

        One future and one queue entry instead of one per item: cheaper for the long lists
        the workers hand over (hundreds of outcomes or results). The list is applied with
        the other items of its operation in the same call. If it fails, it is not
        committed, and its items are run again one by one, so that only a bad item fails.
        """
        if len(items) <= 1:
            return await self.run_many(operation, items)
        flattened = self._flattened.get(operation)
        if flattened is None:
            flattened = self._flattened[operation] = _Flattened(operation)
        try:
            return await self.submit(flattened, list(items), weight=len(items))
        except (ParcelsmsError, SQLAlchemyError):
            return await self.run_many(operation, items)

    async def close(self) -> None:
        """Refuse new items and flush what is queued."""
        self._closing = True
        self._wakeup.set()
        self._batch_full.set()
        self._enough.set()
        await asyncio.shield(self._task)

    async def _run(self) -> None:
        waited_while_idle = True  # a new writer is idle: its first item may wait for company
        while True:
            if not self._queue:
                if self._closing:
                    return
                self._wakeup.clear()
                await self._wakeup.wait()
                waited_while_idle = True
                continue
            if waited_while_idle and len(self._queue) < self._max_batch and not self._closing:
                # The first item after an idle spell: let callers that are ready to run
                # join it (and, with max_delay, those arriving shortly). Items that queued
                # up during a flush have waited already.
                if self._max_delay > 0:
                    self._batch_full.clear()
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(self._batch_full.wait(), self._max_delay)
                else:
                    await asyncio.sleep(0)
            waited_while_idle = False
            await self._space_flushes()
            self._hurried = False
            self._last_start = self._loop.time()
            batch = self._queue[: self._max_batch]
            del self._queue[: self._max_batch]
            self._waiting = sum(pending.weight for pending in self._queue)
            await self._flush(batch)

    async def _space_flushes(self) -> None:
        """Wait until ``min_interval`` after the last flush began, unless ``eager_batch``
        items are waiting already or arrive meanwhile (see the module)."""
        if self._min_interval <= 0 or self._closing or self._hurried:
            return
        left = self._last_start + self._min_interval - self._loop.time()
        if left <= 0 or self._waiting >= self._eager_batch:
            return
        self._enough.clear()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._enough.wait(), left)

    async def _flush(self, batch: list[_Pending[Any, Any]]) -> None:
        try:
            outcomes, group_failed = await self._database.write(
                partial(
                    _run_flush,
                    batch=batch,
                    top_up=self._top_up,
                    statistics=self._write_statistics,
                )
            )
        except asyncio.CancelledError:
            with self._top_up_lock:
                self._flush_abandoned = True
                self._fail_all(batch, StorageError("the batching writer was cancelled"))
            raise
        except Exception as exc:
            # The database could not even be reached (no connection, thread gone).
            self.statistics.failed_flushes += 1
            self._fail_all(batch, translate_exception(exc))
            return
        if group_failed:
            self.statistics.failed_flushes += 1
        for pending, outcome in zip(batch, outcomes, strict=True):
            if pending.future.done():
                continue
            if outcome.ok:
                pending.future.set_result(outcome.value)
            else:
                pending.future.set_exception(outcome.value)
        self._count(len(batch))

    def _top_up(self, batch: list[_Pending[Any, Any]]) -> None:
        """Move the items queued since ``batch`` was taken into it, up to ``max_batch``.

        Called by the flush once it holds the write lock, in the database's thread: a
        writer that waited for the lock (another process was writing) takes what arrived
        meanwhile in the same transaction, instead of leaving it for a second wait and a
        second commit. The event loop only appends to the queue while a flush runs, so
        taking from its head here is safe under the GIL; the lock guards against a flush
        abandoned by a cancelled writer, whose items must all get an answer.
        """
        with self._top_up_lock:
            room = self._max_batch - len(batch)
            if room <= 0 or not self._queue or self._flush_abandoned:
                return
            taken = self._queue[:room]
            del self._queue[:room]
            batch.extend(taken)

    def _fail_all(self, batch: list[_Pending[Any, Any]], error: BaseException) -> None:
        for pending in batch:
            if not pending.future.done():
                pending.future.set_exception(error)

    def _count(self, size: int) -> None:
        statistics = self.statistics
        statistics.flushes += 1
        statistics.items += size
        statistics.largest_flush = max(statistics.largest_flush, size)
        if self._keep_flush_sizes:
            statistics.flush_sizes.append(size)
