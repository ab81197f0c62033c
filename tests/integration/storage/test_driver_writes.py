"""Bulk statements on SQLite's cursor fail as Core fails, and tell no values."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy.exc import IntegrityError

from parcelsms.adapters.storage.engine.bulk_statements import insert_statement
from parcelsms.adapters.storage.engine.migrate import migrate_blocking
from parcelsms.adapters.storage.engine.schema.message_tables import message_events
from parcelsms.adapters.storage.engine.sqlite_engine import create_sqlite_engine

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
