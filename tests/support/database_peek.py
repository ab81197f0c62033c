"""Looking at a test's database directly, on SQLite or PostgreSQL alike.

Storage tests check what was stored (a ledger row, an outbox payload) with plain SQL beside
the storage under test. :func:`peek` opens a DB-API connection to the test's database — a
SQLite file (path or URL) or a PostgreSQL URL — whose ``execute`` takes ``?`` placeholders on
both, and commits what the test wrote when the block ends.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import psycopg


class Peek:
    """A connection whose ``execute(sql, params)`` takes ``?`` placeholders."""

    def __init__(self, connection: sqlite3.Connection | psycopg.Connection[Any]) -> None:
        self._connection = connection
        self.is_postgres = isinstance(connection, psycopg.Connection)

    def execute(self, statement: str, parameters: Sequence[Any] = ()) -> Any:
        if isinstance(self._connection, psycopg.Connection):
            return self._connection.execute(
                statement.replace("%", "%%").replace("?", "%s"), tuple(parameters)
            )
        return self._connection.execute(statement, tuple(parameters))

    def commit(self) -> None:
        self._connection.commit()


def is_postgres(database: str | Path) -> bool:
    return str(database).startswith("postgresql")


@contextmanager
def peek(database: str | Path) -> Iterator[Peek]:
    """A :class:`Peek` on ``database``; committed and closed at the end of the block."""
    text = str(database)
    connection: sqlite3.Connection | psycopg.Connection[Any]
    if is_postgres(text):
        connection = psycopg.connect(text.replace("postgresql+psycopg://", "postgresql://", 1))
    else:
        connection = sqlite3.connect(text.removeprefix("sqlite:///"))
    try:
        yield Peek(connection)
        connection.commit()
    finally:
        connection.close()


def json_value(stored: Any) -> Any:
    """A JSON column's value as Python (SQLite gives its text, PostgreSQL the parsed value)."""
    return json.loads(stored) if isinstance(stored, str | bytes) else stored


def stored_time(stored: str | datetime) -> datetime:
    """A time column's value as an aware UTC ``datetime`` (SQLite gives naive UTC text)."""
    if isinstance(stored, str):
        return datetime.fromisoformat(stored).replace(tzinfo=UTC)
    return stored.astimezone(UTC)
