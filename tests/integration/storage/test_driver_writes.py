"""Bulk statements and ``BEGIN`` on SQLite's cursor fail as Core fails, and tell no values."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy.exc import IntegrityError, OperationalError

from parcelsms.adapters.storage.engine.bulk_statements import insert_statement
from parcelsms.adapters.storage.engine.migrate import migrate_blocking
from parcelsms.adapters.storage.engine.schema.message_tables import message_events
from parcelsms.adapters.storage.engine.sqlite_engine import SqliteSettings, create_sqlite_engine

AT = datetime(2031, 5, 6, 7, 8, 9, tzinfo=UTC)
STATEMENT = insert_statement(message_events, ("message_id", "status", "at", "detail"))


@pytest.mark.parametrize("rows", [1, 2, 7], ids=["one row", "two rows", "seven rows"])
def test_a_broken_constraint_raises_sqlalchemys_error_without_the_values(
    tmp_path: Path, rows: int
) -> None:
    """One row goes through ``executemany``, several through multi-row INSERTs: either way a
    driver error comes out as SQLAlchemy's (which the batching writer handles), naming the
    constraint but none of the values (here a phone number)."""
    url = f"sqlite:///{tmp_path / 'driver.db'}"
    migrate_blocking(url)
    engine = create_sqlite_engine(url)
    bad = [("+447911123456", None, AT, {"to": "+447911123456"})] * rows  # status NOT NULL
    try:
        with (
            engine.connect() as connection,
            connection.begin(),
            pytest.raises(IntegrityError) as caught,
        ):
            STATEMENT.execute(connection, bad)
    finally:
        engine.dispose()
    assert "NOT NULL constraint failed: message_events.status" in str(caught.value)
    assert "+447911123456" not in str(caught.value)


def test_a_write_transaction_that_cannot_begin_raises_sqlalchemys_error(tmp_path: Path) -> None:
    """``BEGIN IMMEDIATE`` goes to the driver's connection: while another connection writes,
    it fails after the busy timeout as SQLAlchemy's ``OperationalError`` (what the batching
    writer and the API's 503 handle), and the connection begins again once the other is
    done."""
    path = tmp_path / "busy.db"
    engine = create_sqlite_engine(f"sqlite:///{path}", SqliteSettings(busy_timeout_ms=50))
    other = sqlite3.connect(path, isolation_level=None)
    try:
        with engine.begin() as connection:
            connection.exec_driver_sql("CREATE TABLE counts (n INTEGER)")
        other.execute("BEGIN IMMEDIATE")
        with (
            pytest.raises(OperationalError, match="database is locked"),
            engine.begin() as connection,
        ):
            connection.exec_driver_sql("INSERT INTO counts VALUES (1)")
        other.execute("ROLLBACK")
        with engine.begin() as connection:
            connection.exec_driver_sql("INSERT INTO counts VALUES (2)")
        assert other.execute("SELECT n FROM counts").fetchall() == [(2,)]
    finally:
        other.close()
        engine.dispose()
