"""SELECTs of the write transactions' hottest lookups, run on SQLite's own cursor.

Inside a write transaction every microsecond is spent holding the machine-wide write lock.
For the lookups made for every receipt and submission, SQLAlchemy's execution (the compiled
form looked up, a ``Row`` per result with a result processor per column) cost about as much
as SQLite's search. A :class:`SqliteDriverQuery` compiles the Core SELECT once for SQLite —
the SQL stays SQLAlchemy's, and its parameters are usually one JSON array, so one statement
text serves any number of keys — and runs it on the driver's cursor, returning plain tuples
with SQLite's own values (text for ``UtcDateTime``: the caller converts what it reads,
:func:`~.schema.column_types.sqlite_datetime`). Other dialects run the Core statement.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.dialects import sqlite
from sqlalchemy.engine import Connection
from sqlalchemy.sql import Select


class SqliteDriverQuery:
    """``statement`` compiled for SQLite once; :meth:`rows` runs it with named values."""

    def __init__(self, statement: Select[Any]) -> None:
        compiled = statement.compile(dialect=sqlite.dialect())
        self.sql = str(compiled)
        self._names = tuple(compiled.positiontup or ())

    def rows(self, connection: Connection, **values: Any) -> list[tuple[Any, ...]]:
        """Every row, inside the caller's transaction on ``connection`` (SQLite)."""
        driver = connection.connection.driver_connection
        assert driver is not None  # an open connection inside the caller's transaction
        cursor = driver.cursor()
        try:
            found: list[tuple[Any, ...]] = cursor.execute(
                self.sql, tuple(values[name] for name in self._names)
            ).fetchall()
        finally:
            cursor.close()
        return found
