"""The batching writer: group commit, per-caller results, failures isolated to their item."""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import json
import os
import time
from collections.abc import AsyncIterator, Iterator, Sequence
from pathlib import Path

import pytest
from sqlalchemy import Column, Integer, MetaData, String, Table, func, select
from sqlalchemy.engine import Connection

from parcelsms.adapters.storage.engine import write_statistics as write_statistics_module
from parcelsms.adapters.storage.engine.backends import migration_engine, open_database
from parcelsms.adapters.storage.engine.batching_writer import BatchingWriter
from parcelsms.adapters.storage.engine.database import Database
from parcelsms.adapters.storage.engine.deferred_writes import collector
from parcelsms.adapters.storage.engine.sqlite_engine import database_file
from parcelsms.domain.error_catalogue import error
from parcelsms.errors import CatalogueError, StorageError

scratch = MetaData()
rows = Table(
    "rows",
    scratch,
    Column("value", Integer, primary_key=True),
    Column("label", String(20), nullable=False),
)


def insert_values(connection: Connection, items: list[int]) -> Sequence[int]:
    """Inserts each value (a duplicate violates the primary key); answers value * 2."""
    connection.execute(rows.insert(), [{"value": v, "label": f"+4479{v:08d}"} for v in items])
    return [value * 2 for value in items]


def reject_odd(connection: Connection, items: list[int]) -> Sequence[int | CatalogueError]:
    """Input errors are results: odd values are refused, even ones stored."""
    even = [value for value in items if value % 2 == 0]
    if even:
        connection.execute(rows.insert(), [{"value": v, "label": "even"} for v in even])
    return [value if value % 2 == 0 else error("invalid_request", field="value") for value in items]


def raise_on_thirteen(connection: Connection, items: list[int]) -> Sequence[int]:
    if 13 in items:
        raise error("invalid_request", "thirteen", field="value")
    return insert_values(connection, items)


@pytest.fixture
async def database(database_url: str) -> AsyncIterator[Database]:
    engine = migration_engine(database_url)
    scratch.create_all(engine)
    engine.dispose()
    opened = open_database(database_url)
    yield opened
    await opened.close()


@pytest.fixture
async def writer(database: Database) -> AsyncIterator[BatchingWriter]:
    created = BatchingWriter(database, max_batch=1000)
    yield created
    await created.close()


async def stored_values(database: Database) -> list[int]:
    def read(connection: Connection) -> list[int]:
        return list(connection.scalars(select(rows.c.value).order_by(rows.c.value)))

    return await database.read(read)


async def test_each_caller_gets_its_own_result(writer: BatchingWriter) -> None:
    results = await asyncio.gather(*(writer.run(insert_values, value) for value in range(50)))
    assert results == [value * 2 for value in range(50)]


async def test_concurrent_callers_share_commits(writer: BatchingWriter, database: Database) -> None:
    await asyncio.gather(*(writer.run(insert_values, value) for value in range(200)))
    assert await stored_values(database) == list(range(200))
    assert writer.statistics.items == 200
    assert writer.statistics.flushes < 20


async def test_a_constraint_violation_fails_only_its_own_item(
    writer: BatchingWriter, database: Database
) -> None:
    await writer.run(insert_values, 7)
    outcomes = await asyncio.gather(
        *(writer.run(insert_values, value) for value in (1, 2, 7, 3)), return_exceptions=True
    )
    assert outcomes[0] == 2
    assert outcomes[1] == 4
    assert outcomes[3] == 6
    assert isinstance(outcomes[2], StorageError)
    assert await stored_values(database) == [1, 2, 3, 7]
    assert writer.statistics.failed_flushes == 1


async def test_storage_errors_do_not_carry_the_statement_parameters(
    writer: BatchingWriter,
) -> None:
    await writer.run(insert_values, 5)
    with pytest.raises(StorageError) as caught:
        await writer.run(insert_values, 5)
    assert "+4479" not in str(caught.value)
    assert "=(5)" not in str(caught.value)  # PostgreSQL's DETAIL line quotes the key
    assert "unique" in str(caught.value).lower()


async def test_input_errors_are_results_and_leave_the_group_alone(
    writer: BatchingWriter, database: Database
) -> None:
    outcomes = await asyncio.gather(*(writer.run(reject_odd, value) for value in range(6)))
    assert [isinstance(outcome, CatalogueError) for outcome in outcomes] == [
        False,
        True,
        False,
        True,
        False,
        True,
    ]
    assert await stored_values(database) == [0, 2, 4]
    assert writer.statistics.failed_flushes == 0


async def test_a_parcelsms_error_raised_by_an_operation_reaches_its_caller_unchanged(
    writer: BatchingWriter, database: Database
) -> None:
    outcomes = await asyncio.gather(
        *(writer.run(raise_on_thirteen, value) for value in (12, 13, 14)),
        return_exceptions=True,
    )
    assert outcomes[0] == 24
    assert outcomes[2] == 28
    assert isinstance(outcomes[1], CatalogueError)
    assert outcomes[1].message == "thirteen"
    assert await stored_values(database) == [12, 14]


async def test_operations_of_one_flush_are_retried_separately_after_a_failure(
    writer: BatchingWriter, database: Database
) -> None:
    await writer.run(insert_values, 1)
    outcomes = await asyncio.gather(
        writer.run(reject_odd, 10), writer.run(insert_values, 1), return_exceptions=True
    )
    assert outcomes[0] == 10
    assert isinstance(outcomes[1], StorageError)
    assert await stored_values(database) == [1, 10]


async def test_close_drains_queued_items_and_refuses_new_ones(
    database: Database,
) -> None:
    writer = BatchingWriter(database, max_batch=10)
    futures = [writer.submit(insert_values, value) for value in range(35)]
    await writer.close()
    assert all(future.done() for future in futures)
    assert [future.result() for future in futures] == [value * 2 for value in range(35)]
    assert await stored_values(database) == list(range(35))
    with pytest.raises(StorageError):
        writer.submit(insert_values, 99)


async def test_a_cancelled_caller_does_not_cancel_its_write(
    writer: BatchingWriter, database: Database
) -> None:
    task = asyncio.create_task(writer.run(insert_values, 42))
    await asyncio.sleep(0)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    await writer.run(insert_values, 43)
    assert await stored_values(database) == [42, 43]


async def test_flushes_never_exceed_max_batch(database: Database) -> None:
    writer = BatchingWriter(database, max_batch=16, keep_flush_sizes=True)
    try:
        await asyncio.gather(*(writer.run(insert_values, value) for value in range(100)))
    finally:
        await writer.close()
    assert max(writer.statistics.flush_sizes) <= 16
    assert sum(writer.statistics.flush_sizes) == 100


@contextlib.contextmanager
def another_process_writing(database_url: str) -> Iterator[None]:
    """Holds the machine-wide write lock the way another writing process would."""
    descriptor = os.open(f"{database_file(database_url)}.lock", os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(descriptor, fcntl.LOCK_EX)
        yield
    finally:
        os.close(descriptor)  # releases the lock


async def waiting_for_the_lock(writer: BatchingWriter, first: asyncio.Future[int]) -> None:
    """Until the writer has taken ``first`` from its queue into a flush (now at the lock)."""
    for _ in range(2000):
        if not writer._queue:
            await asyncio.sleep(0.05)  # the flush's thread reaches flock
            return
        await asyncio.sleep(0.001)
    raise AssertionError(f"the writer never started its flush (done: {first.done()})")


async def test_a_flush_that_waited_for_the_lock_takes_what_queued_meanwhile(
    tmp_path: Path,
) -> None:
    # SQLite only: the machine-wide write lock is SQLite's.
    database_url = f"sqlite:///{tmp_path / 'lock.db'}"
    engine = migration_engine(database_url)
    scratch.create_all(engine)
    engine.dispose()
    database = open_database(database_url)
    writer = BatchingWriter(database, max_batch=4, keep_flush_sizes=True)
    try:
        with another_process_writing(database_url):
            first = writer.submit(insert_values, 1)
            await waiting_for_the_lock(writer, first)
            later = [writer.submit(insert_values, value) for value in range(2, 8)]
        results = await asyncio.gather(first, *later)
        stored = await stored_values(database)
    finally:
        await writer.close()
        await database.close()
    assert results == [value * 2 for value in range(1, 8)]
    assert stored == list(range(1, 8))
    # One commit for the first item and the three that queued during the wait (max_batch
    # 4), then the rest; without the top-up the waiting flush would have carried one item.
    assert writer.statistics.flush_sizes == [4, 3]


async def test_max_delay_holds_the_first_item_until_the_batch_fills(database: Database) -> None:
    writer = BatchingWriter(database, max_batch=2, max_delay=30.0)
    try:
        first = writer.submit(insert_values, 1)
        for _ in range(5):
            await asyncio.sleep(0)
        assert not first.done()
        second = writer.submit(insert_values, 2)
        assert await first == 2
        assert await second == 4
    finally:
        await writer.close()
    assert writer.statistics.flushes == 1


async def test_rows_of_a_committed_flush_are_visible_to_readers(
    writer: BatchingWriter, database: Database
) -> None:
    await writer.run(insert_values, 3)

    def count(connection: Connection) -> int:
        return int(connection.scalar(select(func.count()).select_from(rows)) or 0)

    assert await database.read(count) == 1


async def test_a_list_is_one_queue_entry_with_a_result_per_item(
    writer: BatchingWriter, database: Database
) -> None:
    results = await writer.run_list(insert_values, [1, 2, 3])
    assert results == [2, 4, 6]
    assert writer.statistics.items == 1
    assert await stored_values(database) == [1, 2, 3]


async def test_lists_and_single_items_of_one_operation_share_a_flush(
    writer: BatchingWriter, database: Database
) -> None:
    outcomes = await asyncio.gather(
        writer.run_list(insert_values, [10, 11]),
        writer.run(insert_values, 12),
        writer.run_list(insert_values, [13, 14, 15]),
    )
    assert outcomes == [[20, 22], 24, [26, 28, 30]]
    assert writer.statistics.flushes == 1
    assert await stored_values(database) == [10, 11, 12, 13, 14, 15]


async def test_a_bad_item_of_a_list_fails_alone(writer: BatchingWriter, database: Database) -> None:
    await writer.run(insert_values, 7)
    with pytest.raises(StorageError):
        await writer.run_list(insert_values, [6, 7, 8])
    assert await stored_values(database) == [6, 7, 8]


# --- benchmark statistics: where a transaction's time goes ---------------------------------


class _SlowRows:
    """Rows an operation leaves for the end of the transaction; writing them takes 30 ms."""

    def write(self, connection: Connection) -> None:
        time.sleep(0.03)


class SlowInsert:
    """A bulk operation that is an object (counted under its class): 30 ms, then inserts,
    and leaves slow deferred rows."""

    def __call__(self, connection: Connection, items: list[int]) -> Sequence[int]:
        time.sleep(0.03)
        collector(connection, _SlowRows)
        return insert_values(connection, items)


async def test_benchmark_statistics_split_a_transaction_by_part(
    database: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    directory = tmp_path / "stats"
    directory.mkdir()
    monkeypatch.setenv("PARCELSMS_WRITE_STATS", str(directory))
    monkeypatch.setattr(write_statistics_module, "_statistics", None)
    writer = BatchingWriter(database)
    try:
        await asyncio.gather(
            writer.run_list(insert_values, [1, 2, 3]),
            writer.run(insert_values, 4),
            writer.run(SlowInsert(), 5),
        )
    finally:
        await writer.close()
    assert writer.statistics.flushes == 1
    statistics = write_statistics_module.write_statistics()
    assert statistics is not None
    statistics.dump()
    counts = json.loads((directory / f"{os.getpid()}.json").read_text())
    # Items, not queue entries: the list of three counts three; the list's wrapper is
    # counted under the operation it runs.
    assert counts["writer_items:insert_values"] == 4
    assert counts["writer_items:SlowInsert"] == 1
    assert counts["writer_items:deferred rows"] == counts["writer_items:commit"] == 5
    # Each part its own time: the operation's sleep is not the deferred rows', and neither
    # is the commit's.
    assert 30_000 <= counts["writer_us:SlowInsert"] < 60_000
    assert 30_000 <= counts["writer_us:deferred rows"] < 60_000
    assert counts["writer_us:insert_values"] < 30_000
    assert 0 < counts["writer_us:commit"] < 30_000


def test_operations_are_named_by_function_or_class() -> None:
    class Operations:
        def seed(self, connection: Connection, items: list[int]) -> Sequence[int]:
            return items

    class Wrapper:
        operation = insert_values

    name = write_statistics_module.operation_name
    assert name(insert_values) == "insert_values"
    assert name(Operations().seed).endswith("<locals>.Operations.seed")
    assert name(SlowInsert()) == "SlowInsert"
    assert name(Wrapper()) == "insert_values"


# --- min_interval: a busy queue worker's writer spaces its flushes ---------------------------


async def test_an_idle_writer_with_min_interval_flushes_at_once(database: Database) -> None:
    writer = BatchingWriter(database, min_interval=30.0)
    try:
        await asyncio.wait_for(writer.run(insert_values, 1), timeout=5)
        # The interval runs from the start of the last flush: long past, here.
        writer._last_start -= 60.0
        await asyncio.wait_for(writer.run(insert_values, 2), timeout=5)
    finally:
        await writer.close()
    assert writer.statistics.flushes == 2


async def test_items_after_a_flush_wait_for_the_interval_and_go_together(
    database: Database,
) -> None:
    writer = BatchingWriter(database, min_interval=0.4, keep_flush_sizes=True)
    loop = asyncio.get_running_loop()
    try:
        await writer.run(insert_values, 1)
        first_started = writer._last_start
        later = [writer.submit(insert_values, value) for value in (2, 3)]
        await asyncio.sleep(0.05)
        later.append(writer.submit(insert_values, 4))
        assert await asyncio.gather(*later) == [4, 6, 8]
        waited = loop.time() - first_started
    finally:
        await writer.close()
    assert writer.statistics.flush_sizes == [1, 3]
    assert waited >= 0.4
    assert await stored_values(database) == [1, 2, 3, 4]


async def test_eager_batch_items_waiting_end_the_interval(database: Database) -> None:
    """A busy writer is not held back: enough items (a list counted by its items) flush at
    once, well within the interval."""
    writer = BatchingWriter(database, min_interval=30.0, eager_batch=4, keep_flush_sizes=True)
    try:
        await writer.run(insert_values, 1)
        single = writer.submit(insert_values, 2)
        for _ in range(5):
            await asyncio.sleep(0)
        assert not single.done()  # one item: it waits for company or the interval
        listed = writer.run_list(insert_values, [3, 4, 5])
        assert await asyncio.wait_for(asyncio.gather(single, listed), timeout=5) == [
            4,
            [6, 8, 10],
        ]
    finally:
        await writer.close()
    assert writer.statistics.flush_sizes == [1, 2]


async def test_hurry_ends_the_wait_once(database: Database) -> None:
    """A caller held up by the commit (a full queue worker) gets the next flush at once; the
    flush after it is spaced again."""
    writer = BatchingWriter(database, min_interval=30.0)
    try:
        await writer.run(insert_values, 1)
        held = writer.submit(insert_values, 2)
        await asyncio.sleep(0.05)
        assert not held.done()
        writer.hurry()
        assert await asyncio.wait_for(held, timeout=5) == 4
        spaced = writer.submit(insert_values, 3)
        await asyncio.sleep(0.05)
        assert not spaced.done()
    finally:
        await writer.close()
    assert await spaced == 6


async def test_close_does_not_wait_out_the_interval(database: Database) -> None:
    writer = BatchingWriter(database, min_interval=30.0)
    await writer.run(insert_values, 1)
    pending = writer.submit(insert_values, 2)
    await asyncio.sleep(0.05)  # the writer is waiting out the interval
    assert not pending.done()
    await asyncio.wait_for(writer.close(), timeout=5)
    assert await pending == 4
    assert await stored_values(database) == [1, 2]


def test_a_negative_interval_is_refused(database: Database) -> None:
    with pytest.raises(ValueError, match="min_interval"):
        BatchingWriter(database, min_interval=-1.0)
