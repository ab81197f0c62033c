"""Sums written once per transaction (``engine/deferred_writes``), and the rollups kept that
way when the batching writer runs submissions and receipts in one transaction."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path
from typing import Any, ClassVar

import pytest
from database_peek import peek
from receipt_records import one_part_submissions, receipt_record
from sender_accounts import new_account
from sqlalchemy import create_engine
from sqlalchemy.engine import Connection

from parcelsms.adapters.storage.engine.bulk_statements import BulkStatement
from parcelsms.adapters.storage.engine.deferred_writes import (
    deferred,
    write_deferred_now,
    writing_deferred,
)
from parcelsms.adapters.storage.messages import transition_rows
from parcelsms.adapters.storage.reports.rollup_rows import COUNT_COLUMNS
from parcelsms.adapters.storage.sql_storage import SqlStorage

ROLLUP_TABLES = (
    "report_rollups",
    "report_daily",
    "report_hours",
    "report_carrier_hours",
    "report_carrier_days",
)


class Tally:
    """A collector that records each write: what it holds and where it was written."""

    writes: ClassVar[list[tuple[str, list[int]]]] = []

    def __init__(self) -> None:
        self.values: list[int] = []

    def write(self, connection: Connection) -> None:
        Tally.writes.append((type(self).__name__, list(self.values)))


class OtherTally(Tally):
    pass


@pytest.fixture
def connection(tmp_path: Path) -> Iterator[Connection]:
    Tally.writes = []
    engine = create_engine(f"sqlite:///{tmp_path / 'deferred.db'}")
    with engine.connect() as opened:
        yield opened
    engine.dispose()


def test_outside_a_block_there_is_nothing_to_defer_to(connection: Connection) -> None:
    assert deferred(connection, Tally) is None
    write_deferred_now(connection, Tally)  # nothing collected, nothing written
    assert Tally.writes == []


def test_a_block_writes_each_collector_once_at_its_end_in_first_use_order(
    connection: Connection,
) -> None:
    with writing_deferred(connection):
        other = deferred(connection, OtherTally)
        tally = deferred(connection, Tally)
        assert tally is not None
        assert other is not None
        tally.values.append(1)
        again = deferred(connection, Tally)
        assert again is tally  # every operation of the transaction adds to the same one
        again.values.append(2)
        other.values.append(3)
        assert Tally.writes == []  # nothing before the operations are done
    assert Tally.writes == [("OtherTally", [3]), ("Tally", [1, 2])]
    assert deferred(connection, Tally) is None  # the block is closed


def _collect_then_fail(connection: Connection) -> None:
    with writing_deferred(connection):
        tally = deferred(connection, Tally)
        assert tally is not None
        tally.values.append(1)
        raise RuntimeError("the transaction rolls back")


def test_a_block_that_raises_writes_nothing(connection: Connection) -> None:
    with pytest.raises(RuntimeError, match="rolls back"):
        _collect_then_fail(connection)
    assert Tally.writes == []
    assert deferred(connection, Tally) is None


def test_a_nested_block_belongs_to_the_outer_one(connection: Connection) -> None:
    with writing_deferred(connection):
        with writing_deferred(connection):
            tally = deferred(connection, Tally)
            assert tally is not None
            tally.values.append(1)
        assert Tally.writes == []
        assert deferred(connection, Tally) is tally
    assert Tally.writes == [("Tally", [1])]


def test_writing_now_empties_the_collector_and_later_additions_come_at_the_end(
    connection: Connection,
) -> None:
    with writing_deferred(connection):
        first = deferred(connection, Tally)
        assert first is not None
        first.values.append(1)
        write_deferred_now(connection, Tally)
        assert Tally.writes == [("Tally", [1])]
        later = deferred(connection, Tally)
        assert later is not None
        assert later is not first
        later.values.append(2)
    assert Tally.writes == [("Tally", [1]), ("Tally", [2])]


def _rollups(database_url: str) -> dict[str, list[tuple[Any, ...]]]:
    """Each rollup table's rows that count something (a row moved down to zero stays,
    where a rebuild writes none)."""
    found: dict[str, list[tuple[Any, ...]]] = {}
    with peek(database_url) as connection:
        for table in ROLLUP_TABLES:
            cursor = connection.execute(f"SELECT * FROM {table}")  # noqa: S608
            names = [column[0] for column in cursor.description]
            counts = [index for index, name in enumerate(names) if name in COUNT_COLUMNS]
            found[table] = sorted(
                tuple(row) for row in cursor.fetchall() if any(row[i] for i in counts)
            )
    return found


async def _claimed(storage: SqlStorage, enqueue: Any, clock: Any, count: int) -> list[str]:
    """``count`` messages of a new account, accepted and claimed."""
    account = await new_account(storage, "shop", balance_micros=10_000_000)
    ids: list[str] = await enqueue(storage, account.id, count=count)
    await storage.messages.claim_for_dispatch("worker", 100, clock())
    return ids


async def test_submissions_and_receipts_sharing_a_transaction_count_as_a_rebuild_does(
    storage: SqlStorage, enqueue: Any, clock: Any, database_url: str
) -> None:
    ids = await _claimed(storage, enqueue, clock, 12)
    first, second = ids[:6], ids[6:]
    await storage.messages.record_submissions(one_part_submissions(first, "c"))
    # Queued together, these run in one flush: the second half moves queued → submitted
    # while the first moves submitted → delivered (or undelivered), all into one collector.
    receipts = [
        receipt_record(f"c{n}", "delivered" if n % 3 else "undelivered", clock(), channel="alpha")
        for n in range(len(first))
    ]
    await asyncio.gather(
        storage.messages.record_submissions(one_part_submissions(second, "d")),
        storage.receipts.apply_receipts(receipts),
    )
    await storage.reports.fold_pending()
    kept = _rollups(database_url)
    assert kept["report_rollups"], "the changes were counted"
    await storage.reports.rebuild_rollups()
    assert _rollups(database_url) == kept


async def test_a_rebuild_sharing_a_transaction_with_changes_counts_them_once(
    storage: SqlStorage, enqueue: Any, clock: Any, database_url: str
) -> None:
    ids = await _claimed(storage, enqueue, clock, 5)
    # The submissions are queued first: their deltas are collected before the rebuild runs.
    await asyncio.gather(
        storage.messages.record_submissions(one_part_submissions(ids, "c")),
        storage.reports.rebuild_rollups(),
    )
    kept = _rollups(database_url)
    assert kept["report_hours"], "the submissions were counted"
    await storage.reports.rebuild_rollups()
    assert _rollups(database_url) == kept


def _writes(statement: BulkStatement) -> tuple[int, int]:
    return statement.calls, statement.rows


def _since(statement: BulkStatement, before: tuple[int, int]) -> tuple[int, int]:
    """Calls and rows of ``statement`` since ``before`` (``_writes`` then)."""
    return statement.calls - before[0], statement.rows - before[1]


def _events_and_hooks(database_url: str) -> tuple[list[tuple[str, str]], list[str]]:
    """``(message_id, status)`` of every event in id order, and the message of every outbox
    row."""
    with peek(database_url) as connection:
        events = [
            (str(message_id), str(status))
            for message_id, status in connection.execute(
                "SELECT message_id, status FROM message_events ORDER BY id"
            )
        ]
        hooks = sorted(
            str(message_id)
            for (message_id,) in connection.execute("SELECT message_id FROM webhook_outbox")
        )
    return events, hooks


async def test_the_events_and_webhooks_of_a_transaction_are_inserted_once_in_order(
    storage: SqlStorage,
    enqueue: Any,
    clock: Any,
    database_url: str,
) -> None:
    account = await new_account(storage, "shop", balance_micros=10_000_000)
    await storage.webhook_endpoints.set_webhook_endpoint(
        account.id, "https://hooks.example/sms", "whsec_x"
    )
    ids = await enqueue(storage, account.id, count=8)
    await storage.messages.claim_for_dispatch("worker", 100, clock())
    first, second = ids[:4], ids[4:]
    await storage.messages.record_submissions(one_part_submissions(first, "c"))
    events_before = _writes(transition_rows._EVENT_INSERT)
    outbox_before = _writes(transition_rows.OUTBOX_INSERT)
    receipts = [receipt_record(f"c{n}", "delivered", clock(), channel="alpha") for n in range(4)]
    # Queued together: one flush, whose two operations (submissions, receipts) change
    # eight messages. Their events go in as one insert, their webhooks as another.
    await asyncio.gather(
        storage.messages.record_submissions(one_part_submissions(second, "d")),
        storage.receipts.apply_receipts(receipts),
    )
    # One call each, of eight rows.
    assert _since(transition_rows._EVENT_INSERT, events_before) == (1, 8)
    assert _since(transition_rows.OUTBOX_INSERT, outbox_before) == (1, 8)
    events, hooks = _events_and_hooks(database_url)
    for message_id in first:
        assert [status for i, status in events if i == message_id] == [
            "queued",
            "submitted",
            "delivered",
        ]
    for message_id in second:
        assert [status for i, status in events if i == message_id] == ["queued", "submitted"]
    # A webhook for every change to submitted, and for every delivery.
    assert hooks == sorted(ids + first)
