"""The write transactions' hottest lookups (and the queue claim), run on SQLite's own cursor.

Inside a write transaction every microsecond is spent holding the machine-wide write lock.
For the lookups made for every receipt and submission, SQLAlchemy's execution (the compiled
form looked up, a ``Row`` per result with a result processor per column) cost about as much
as SQLite's search. A :class:`SqliteDriverQuery` compiles the Core SELECT once for SQLite —
the SQL stays SQLAlchemy's, and its parameters are usually one JSON array, so one statement
text serves any number of keys — and runs it on the driver's cursor, returning plain tuples
with SQLite's own values (text for ``UtcDateTime``: the caller converts what it binds and
reads, :func:`~.schema.column_types.sqlite_text` and
:func:`~.schema.column_types.sqlite_datetime`; JSON as text). Other dialects run the Core
statement. An ``UPDATE … RETURNING`` runs the same way (the claim of queued messages), and
:func:`run_on_driver` is the one place statements go to the driver's cursor (the bulk
writes of :mod:`.bulk_statements` too).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Iterator
from typing import Any, cast

from sqlalchemy.dialects import sqlite
from sqlalchemy.engine import Connection
from sqlalchemy.exc import DBAPIError
from sqlalchemy.sql import ClauseElement
from sqlalchemy.sql.compiler import SQLCompiler

from parcelsms.adapters.storage.engine.conditions import json_array


class SqliteDriverQuery:
    """``statement`` compiled for SQLite once; :meth:`rows` runs it with named values."""

    def __init__(self, statement: ClauseElement) -> None:
        compiled = cast(SQLCompiler, statement.compile(dialect=sqlite.dialect()))
        self.sql = str(compiled)
        self._names = tuple(compiled.positiontup or ())
        # Values the statement carries itself (a LIMIT's OFFSET 0); every other name must be
        # given to :meth:`rows`.
        self._own = {name: bind.value for name, bind in compiled.binds.items() if not bind.required}

    def rows_per_group(
        self,
        connection: Connection,
        pairs: Iterable[tuple[str, str]],
        *,
        group: str,
        keys: str,
        **values: Any,
    ) -> Iterator[tuple[Any, ...]]:
        """The rows for every ``(group value, key)`` pair, one execution per group value:
        ``group`` bound to it, ``keys`` to its keys as one JSON array (:func:`.json_array`,
        read by :func:`.in_json_array`), and ``values`` as they are."""
        by_group: dict[str, list[str]] = {}
        for first, key in pairs:
            by_group.setdefault(first, []).append(key)
        for first, wanted in by_group.items():
            yield from self.rows(connection, **{group: first, keys: json_array(wanted)}, **values)

    def rows(self, connection: Connection, **values: Any) -> list[tuple[Any, ...]]:
        """Every row, inside the caller's transaction on ``connection`` (SQLite)."""
        return run_on_driver(
            connection,
            self.sql,
            tuple(values[name] if name in values else self._own[name] for name in self._names),
        )


def run_on_driver(
    connection: Connection, sql: str, parameters: Any, *, many: bool = False
) -> list[tuple[Any, ...]]:
    """Run ``sql`` once (or, with ``many``, once per parameter row) in the caller's transaction;
    the rows it returns (none for a plain write).

    On SQLite straight on the driver's cursor: SQLAlchemy's ``exec_driver_sql`` costs about
    4 µs per call (an execution context, a cursor wrapper, a result) against 1 µs, and these
    statements run several times in every write transaction. A driver error is raised as
    SQLAlchemy's exception for it, as Core raises it, without the parameters (phone numbers).
    Other dialects, and a connection not yet in a transaction (SQLAlchemy begins one), go
    through ``exec_driver_sql``.
    """
    if connection.dialect.name != "sqlite" or not connection.in_transaction():
        result = connection.exec_driver_sql(sql, parameters)
        return [tuple(row) for row in result] if result.returns_rows else []
    driver = connection.connection.driver_connection
    assert driver is not None  # an open connection inside the caller's transaction
    return execute_on_driver(connection, driver, sql, parameters, many=many)


def execute_on_driver(
    connection: Connection,
    driver: sqlite3.Connection,
    sql: str,
    parameters: Any = (),
    *,
    many: bool = False,
) -> list[tuple[Any, ...]]:
    """Run ``sql`` on ``driver`` (the SQLite connection under ``connection``), whatever
    SQLAlchemy's transaction state (``BEGIN`` itself goes this way); a driver error is raised
    as SQLAlchemy's exception for it, without the parameters."""
    cursor = driver.cursor()
    try:
        if many:
            cursor.executemany(sql, parameters)
        else:
            cursor.execute(sql, parameters)
        found: list[tuple[Any, ...]] = cursor.fetchall()
    except sqlite3.Error as error:
        raise DBAPIError.instance(
            sql, None, error, sqlite3.Error, hide_parameters=True, dialect=connection.dialect
        ) from error
    finally:
        cursor.close()
    return found
