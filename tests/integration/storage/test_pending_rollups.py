"""Rollup changes pending in ``report_pending``: one row per transaction, folded into the report
tables exactly once, never lost across a restart, and always folded before a report reads."""

from __future__ import annotations

import asyncio
from typing import Any

from database_peek import peek
from receipt_records import one_part_submissions, receipt_record
from sender_accounts import new_account

from parcelsms.adapters.storage.engine.schema.report_tables import (
    report_carrier_days,
    report_carrier_hours,
    report_daily,
    report_hours,
    report_rollups,
)
from parcelsms.adapters.storage.sql_storage import SqlStorage
from parcelsms.domain.report_figures import hour_of
from parcelsms.pipeline.report_ports import RollupQuery

ROLLUP_TABLES = tuple(
    table.name
    for table in (
        report_rollups,
        report_daily,
        report_hours,
        report_carrier_hours,
        report_carrier_days,
    )
)


def _count(database_url: str, table: str) -> int:
    with peek(database_url) as connection:
        found: int = connection.execute(f"SELECT count(*) FROM {table}").fetchone()[0]  # noqa: S608
        return found


def _tables(database_url: str) -> dict[str, list[tuple[Any, ...]]]:
    with peek(database_url) as connection:
        return {
            table: sorted(
                tuple(row)
                for row in connection.execute(f"SELECT * FROM {table}").fetchall()  # noqa: S608
            )
            for table in ROLLUP_TABLES
        }


def _whole_day(clock: Any) -> RollupQuery:
    hour = hour_of(clock())
    return RollupQuery(since_hour=hour - 48, until_hour=hour + 48, account_id=None, dimensions=())


async def test_a_transaction_writes_one_pending_row_and_no_report_row(
    storage: SqlStorage, enqueue: Any, clock: Any, database_url: str
) -> None:
    account = await new_account(storage, "shop", balance_micros=10_000_000)
    await enqueue(storage, account.id, count=7, country="DE")
    await enqueue(storage, account.id, count=3, country="FR")

    assert _count(database_url, "report_pending") == 2  # one per accepting transaction
    assert all(_count(database_url, table) == 0 for table in ROLLUP_TABLES)

    assert await storage.reports.fold_pending() == 2  # two hourly keys: DE and FR
    assert _count(database_url, "report_pending") == 0
    assert _count(database_url, "report_rollups") == 2
    assert await storage.reports.fold_pending() == 0  # nothing twice


async def test_folded_changes_equal_a_count_over_the_messages(
    storage: SqlStorage, enqueue: Any, clock: Any, database_url: str
) -> None:
    account = await new_account(storage, "shop", balance_micros=10_000_000)
    ids = await enqueue(storage, account.id, count=12)
    await storage.messages.claim_for_dispatch("worker", 100, clock())
    await storage.messages.record_submissions(one_part_submissions(ids, "c"))
    await storage.receipts.apply_receipts(
        [
            receipt_record(
                f"c{n}", "delivered" if n % 4 else "undelivered", clock(), channel="alpha"
            )
            for n in range(9)
        ]
    )
    # Folded in two rounds, the second after more changes: sums add up across folds.
    await storage.reports.fold_pending()
    await storage.receipts.apply_receipts(
        [receipt_record(f"c{n}", "delivered", clock(), channel="alpha") for n in range(9, 12)]
    )
    await storage.reports.fold_pending()
    folded = _tables(database_url)
    assert folded["report_rollups"], "the changes were counted"

    await storage.reports.rebuild_rollups()
    rebuilt = _tables(database_url)
    # A fold leaves rows moved down to zero where a rebuild writes none.
    for table in ROLLUP_TABLES:
        assert [row for row in folded[table] if any(_counts(row))] == rebuilt[table], table


def _counts(row: tuple[Any, ...]) -> list[int]:
    return [value for value in row if isinstance(value, int) and not isinstance(value, bool)][1:]


async def test_a_report_sees_changes_no_fold_has_added_yet(
    storage: SqlStorage, enqueue: Any, clock: Any, database_url: str
) -> None:
    account = await new_account(storage, "shop", balance_micros=10_000_000)
    await enqueue(storage, account.id, count=5)
    assert _count(database_url, "report_pending") == 1

    sums = await storage.reports.sum_rollups(_whole_day(clock))

    assert [(row.status, row.messages) for row in sums] == [("queued", 5)]
    assert _count(database_url, "report_pending") == 0


async def test_pending_changes_outlive_the_process_that_wrote_them(
    open_test_storage: Any, enqueue: Any, clock: Any, database_url: str
) -> None:
    first = await open_test_storage()
    account = await new_account(first, "shop", balance_micros=10_000_000)
    await enqueue(first, account.id, count=4)
    await first.close()  # no fold: as if the process had died here
    assert _count(database_url, "report_pending") == 1

    second = await open_test_storage()
    sums = await second.reports.sum_rollups(_whole_day(clock))

    assert [(row.status, row.messages) for row in sums] == [("queued", 4)]


async def test_folds_running_at_once_add_each_change_once(
    open_test_storage: Any, enqueue: Any, clock: Any, database_url: str
) -> None:
    one, other = await open_test_storage(), await open_test_storage()
    account = await new_account(one, "shop", balance_micros=100_000_000)
    for round_number in range(6):
        await enqueue(one if round_number % 2 else other, account.id, count=5)
        await asyncio.gather(one.reports.fold_pending(), other.reports.fold_pending())
    await asyncio.gather(
        enqueue(one, account.id, count=3),
        enqueue(other, account.id, count=2),
    )
    await asyncio.gather(one.reports.fold_pending(), other.reports.fold_pending())

    sums = await one.reports.sum_rollups(_whole_day(clock))

    assert [(row.status, row.messages) for row in sums] == [("queued", 35)]
    assert _count(database_url, "report_pending") == 0
