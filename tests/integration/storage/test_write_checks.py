"""The checks of the rows written for every message (``schema/checks.py``, migration 0023):
written as comparisons, they allow and refuse exactly the values they did as ``IN`` lists, on
SQLite and PostgreSQL, and SQLite gets them without a copy of any table."""

from __future__ import annotations

import asyncio
import sqlite3
from contextlib import closing
from pathlib import Path
from typing import Any

import psycopg
import pytest
from alembic import command
from database_peek import peek
from sender_accounts import new_account

from parcelsms.adapters.storage.engine.backends import migration_engine
from parcelsms.adapters.storage.engine.migrate import alembic_config, migrate
from parcelsms.adapters.storage.engine.schema.billing_tables import LEDGER_KINDS
from parcelsms.adapters.storage.engine.schema.checks import one_of
from parcelsms.adapters.storage.engine.schema.message_tables import (
    BILLING_STATES,
    MESSAGE_STATUSES,
)
from parcelsms.adapters.storage.engine.schema.webhook_tables import OUTBOX_STATUSES
from parcelsms.adapters.storage.sql_storage import SqlStorage
from parcelsms.pipeline.message_ports import Submitted, SubmittedPart

CHECKED = [
    ("messages", "status", MESSAGE_STATUSES),
    ("messages", "billing", BILLING_STATES),
    ("ledger", "kind", LEDGER_KINDS),
    ("webhook_outbox", "status", OUTBOX_STATUSES),
]
REFUSED = (sqlite3.IntegrityError, psycopg.errors.CheckViolation)


def test_one_of_compares_the_column_with_each_value() -> None:
    assert one_of("kind", ("a", "b_c")) == "kind = 'a' OR kind = 'b_c'"
    with pytest.raises(ValueError, match="at least one"):
        one_of("kind", ())
    with pytest.raises(ValueError, match="quote"):
        one_of("kind", ("it's",))


@pytest.mark.parametrize(("table", "column", "values"), CHECKED, ids=lambda v: str(v)[:20])
async def test_a_checked_column_takes_its_values_and_refuses_any_other(
    storage: SqlStorage,
    enqueue: Any,
    clock: Any,
    database_url: str,
    table: str,
    column: str,
    values: tuple[str, ...],
) -> None:
    account = await new_account(storage, "shop", balance_micros=10_000_000)
    await storage.webhook_endpoints.set_webhook_endpoint(
        account.id, "https://hooks.example/sms", "whsec_x"
    )
    (message_id,) = await enqueue(storage, account.id)
    await storage.messages.claim_for_dispatch("worker", 10, clock())
    submitted = Submitted(
        message_id=message_id,
        channel="alpha",
        parts=(SubmittedPart(part_no=1, carrier_id_raw="c1", responded_at_us=None),),
    )
    assert await storage.messages.record_submissions([submitted]) == [True]
    with peek(database_url) as connection:
        (row_id,) = connection.execute(f"SELECT min(id) FROM {table}").fetchone()  # noqa: S608
    assert row_id is not None  # a row of each table to change
    update = f"UPDATE {table} SET {column} = ? WHERE id = ?"  # noqa: S608
    for value in values:
        with peek(database_url) as connection:
            connection.execute(update, (value, row_id))
    for value in ("bogus", values[0].upper(), f"{values[0]} ", ""):
        with pytest.raises(REFUSED), peek(database_url) as connection:
            connection.execute(update, (value, row_id))


def test_sqlite_gets_the_new_checks_without_copying_a_table(tmp_path: Path) -> None:
    """Down to 0022 and up again: the IN lists come back and go, the rows and the indexes
    stay as they were (no table was rebuilt), and every connection sees the new schema."""
    path = tmp_path / "checks.db"
    url = f"sqlite:///{path}"
    asyncio.run(migrate(url))
    engine = migration_engine(url)
    try:
        with engine.connect() as connection:
            config = alembic_config(url)
            config.attributes["connection"] = connection
            command.downgrade(config, "0022")
            connection.commit()
    finally:
        engine.dispose()
    with closing(sqlite3.connect(path)) as connection:
        assert "status IN ('pending', 'delivered', 'dead')" in _table_sql(
            connection, "webhook_outbox"
        )
        connection.execute(
            "INSERT INTO webhook_outbox (id, endpoint_id, account_id, event_id, event_type, "
            "url, payload, status, attempts, next_attempt_at, created_at) VALUES "
            "('whd_1', 'whe_1', 'acc_1', 'evt_1', 'message.delivered', 'https://h.example', "
            "'{}', 'pending', 0, '2026-12-07 00:00:00', '2026-12-07 00:00:00')"
        )
        connection.commit()
        indexes_before = _index_sql(connection)
        version_before = connection.execute("PRAGMA schema_version").fetchone()[0]
        # A connection open across the migration must see the new checks too.
        watcher = sqlite3.connect(path)
    try:
        asyncio.run(migrate(url))
        with closing(sqlite3.connect(path)) as connection:
            for table in ("messages", "ledger", "webhook_outbox"):
                assert " IN (" not in _table_sql(connection, table)
            assert _index_sql(connection) == indexes_before
            assert connection.execute("PRAGMA schema_version").fetchone()[0] > version_before
            assert connection.execute("PRAGMA integrity_check").fetchone() == ("ok",)
            assert connection.execute("SELECT id, status FROM webhook_outbox").fetchall() == [
                ("whd_1", "pending")
            ]
        with pytest.raises(sqlite3.IntegrityError, match="ck_webhook_outbox_status"):
            watcher.execute("UPDATE webhook_outbox SET status = 'PENDING'")
        watcher.execute("UPDATE webhook_outbox SET status = 'dead'")
        watcher.commit()
    finally:
        watcher.close()


def _table_sql(connection: sqlite3.Connection, table: str) -> str:
    row = connection.execute(
        "SELECT sql FROM sqlite_master WHERE type = 'table' AND name = ?", (table,)
    ).fetchone()
    return str(row[0])


def _index_sql(connection: sqlite3.Connection) -> list[tuple[str, str | None]]:
    return connection.execute(
        "SELECT name, sql FROM sqlite_master WHERE type = 'index' ORDER BY name"
    ).fetchall()
