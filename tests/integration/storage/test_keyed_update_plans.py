"""Keyed updates find each row by its key on a large table, and build no Bloom filter.

With a condition on the target alone (``webhook_outbox.status = 'pending'``) and the table
statistics of a database holding a million messages, SQLite planned ``UPDATE … FROM`` of 256
rows with a Bloom filter, filled by scanning the table in every statement: the webhook
process's writer took ten times longer. The statistics below are the ones ``ANALYZE`` wrote
for such a database (``bench/throughput.py --db`` with 1M messages).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from planner_statistics import with_statistics
from sqlalchemy.dialects import sqlite
from sqlalchemy.engine import Connection

from parcelsms.adapters.storage.engine.bulk_statements import MULTI_ROW_SIZES
from parcelsms.adapters.storage.engine.keyed_updates import KeyedUpdate
from parcelsms.adapters.storage.engine.migrate import migrate_blocking
from parcelsms.adapters.storage.engine.schema.webhook_tables import webhook_outbox
from parcelsms.adapters.storage.messages.receipt_rows import _PART_UPDATE
from parcelsms.adapters.storage.webhooks.webhook_rows import _RESULT_UPDATE

MILLION_ROW_STATISTICS = [
    ("webhook_outbox", "ix_webhook_outbox_endpoint_id_created_at", "1020000 1020000 2538"),
    ("webhook_outbox", "ix_webhook_outbox_account_id_id", "1020000 1020000 1"),
    ("webhook_outbox", "ix_webhook_outbox_status_next_attempt_at", "1020000 1020000 4147"),
    ("webhook_outbox", "ix_webhook_outbox_message_id", "1020000 1"),
    ("webhook_outbox", "sqlite_autoindex_webhook_outbox_1", "1020000 1"),
    ("message_parts", "ix_message_parts_channel_carrier_id", "1020000 1020000 1"),
    ("message_parts", "sqlite_autoindex_message_parts_1", "1020000 1 1"),
]

# The first form of the webhook result update: the pending check a constant on the table.
_WITH_A_CONSTANT = KeyedUpdate(
    ("status", "id"),
    ("id",),
    {},
    lambda row: (
        webhook_outbox.update()
        .where(webhook_outbox.c.id == row.c.id, webhook_outbox.c.status == "pending")
        .values(status=row.c.status, attempts=webhook_outbox.c.attempts + 1)
    ),
)


@pytest.fixture
def large_database(tmp_path: Path) -> Any:
    url = f"sqlite:///{tmp_path / 'plans.db'}"
    migrate_blocking(url)
    engine = with_statistics(url, MILLION_ROW_STATISTICS)
    yield engine
    engine.dispose()


def _plans(connection: Connection, update: KeyedUpdate) -> dict[int, list[str]]:
    chunked = update._compile(sqlite.dialect())
    assert chunked is not None
    plans = {}
    for size in MULTI_ROW_SIZES:
        sql = chunked.statements[size]
        rows = connection.exec_driver_sql(f"EXPLAIN QUERY PLAN {sql}", (None,) * sql.count("?"))
        plans[size] = [row[3] for row in rows]
    return plans


@pytest.mark.parametrize(
    ("update", "table"),
    [(_RESULT_UPDATE, "webhook_outbox"), (_PART_UPDATE, "message_parts")],
    ids=["webhook results", "receipt parts"],
)
def test_every_chunk_searches_the_key_without_a_bloom_filter(
    large_database: Any, update: KeyedUpdate, table: str
) -> None:
    with large_database.connect() as connection:
        plans = _plans(connection, update)
    for size, plan in plans.items():
        assert not any("BLOOM FILTER" in step for step in plan), (size, plan)
        assert any(step.startswith(f"SEARCH {table} USING") for step in plan), (size, plan)
        assert not any(step.startswith(f"SCAN {table}") for step in plan), (size, plan)


def test_the_statistics_are_those_that_made_a_bloom_filter(large_database: Any) -> None:
    """The control: with the pending check a constant, this database plans the filter."""
    with large_database.connect() as connection:
        plans = _plans(connection, _WITH_A_CONSTANT)
    assert any("BLOOM FILTER" in step for step in plans[256]), plans[256]
