"""Many rows updated by key, each with its own values, in few statements on SQLite.

A batch of receipts changes one ``message_parts`` row per message, and a batch of webhook
results one ``webhook_outbox`` row per delivery, each with values of its own (its receipt,
its latency). Run as one UPDATE per row, that is one statement execution per message, and
on SQLite every execution is a step for which Python's ``sqlite3`` lets go of the GIL,
then queues to take it back while the writer holds the machine-wide write lock (see
:func:`.bulk_statements._multi_row_inserts`). A :class:`KeyedUpdate` sends the rows as one
table of values joined to the target by its key::

    WITH v(status, …, message_id, part_no) AS (VALUES (?, …), (?, …), …)
    UPDATE message_parts SET status = v.status, …
    FROM v WHERE message_parts.message_id = v.message_id AND message_parts.part_no = v.part_no

in chunks of :data:`~.bulk_statements.MULTI_ROW_SIZES` rows (``UPDATE … FROM`` needs
SQLite 3.33). The statement is a Core construct built by the caller from a source whose
columns are the row's names, so the SQL stays SQLAlchemy's; on any other dialect the same
builder gets one bound parameter per name and the rows go as an ordinary ``executemany``.

A key given twice in one call keeps its last row: ``UPDATE … FROM`` would apply one of the
two, not both in order, so the earlier row is dropped before the statement is built.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from types import SimpleNamespace
from typing import Any

from sqlalchemy import bindparam, column, values
from sqlalchemy.engine import Connection, Dialect
from sqlalchemy.sql.dml import Update
from sqlalchemy.types import TypeEngine

from parcelsms.adapters.storage.engine.bulk_statements import (
    MULTI_ROW_SIZES,
    Processor,
    Row,
    bind_processors,
    execute_in_chunks,
    processed,
)

Source = Any  # anything with ``.c.<name>`` for every name of a row
"""What a :class:`KeyedUpdate`'s builder is given: a CTE of values, or bound parameters."""

_VALUE = re.compile(r"^kv_\d+_\d+$")


@dataclass(frozen=True, slots=True)
class _Chunked:
    statements: dict[int, str]  # rows per statement -> SQL
    before: tuple[Any, ...]  # constants the SQL binds before the rows' values
    after: tuple[Any, ...]  # ... and after them
    processors: tuple[tuple[int, Processor], ...]


class KeyedUpdate:
    """An UPDATE of many rows given as tuples in the order of ``names``.

    ``build(source)`` returns the UPDATE, using ``source.c.<name>`` for a row's values and
    matching the target's rows on the ``keys`` (names among ``names``). ``types`` gives the
    SQL type of the names whose values need a bind processor (``UtcDateTime``). Constants
    in the statement (``attempts + 1``) are bound as compiled, with no bind processor: keep
    them plain strings and numbers.

    Every condition on the target must involve the row's values (``t.status = v.was``, with
    ``was`` a column of every row), never the target alone (``t.status = 'pending'``): with
    such a condition and table statistics, SQLite may add a Bloom filter to the join, which
    it fills by scanning the target's matching rows in every statement. With a 1M-row
    webhook outbox that made each statement of 256 rows scan the table, and the webhook
    process's writer went from 0.6 to 6 s per 20,000 messages.
    """

    def __init__(
        self,
        names: Sequence[str],
        keys: Sequence[str],
        types: dict[str, TypeEngine[Any]],
        build: Callable[[Source], Update],
    ) -> None:
        self._names = tuple(names)
        self._key_indexes = tuple(self._names.index(key) for key in keys)
        self._types = types
        self._build = build
        self._chunked: dict[str, _Chunked | None] = {}
        self._per_row: Update | None = None

    def execute(self, connection: Connection, rows: Sequence[Row]) -> None:
        """Update every row's target, inside the caller's transaction."""
        if not rows:
            return
        rows = self._last_per_key(rows)
        dialect = connection.dialect
        if dialect.name not in self._chunked:
            self._chunked[dialect.name] = self._compile(dialect)
        chunked = self._chunked[dialect.name]
        if chunked is None:
            names = [f"b_{name}" for name in self._names]
            connection.execute(
                self._per_row_statement(), [dict(zip(names, row, strict=True)) for row in rows]
            )
            return
        if chunked.processors:
            rows = [processed(row, chunked.processors) for row in rows]
        execute_in_chunks(connection, chunked.statements, rows, chunked.before, chunked.after)

    def _last_per_key(self, rows: Sequence[Row]) -> Sequence[Row]:
        indexes = self._key_indexes
        if len(indexes) == 1:
            (index,) = indexes
            by_key = {row[index]: row for row in rows}
        else:
            by_key = {tuple(row[i] for i in indexes): row for row in rows}
        return rows if len(by_key) == len(rows) else list(by_key.values())

    def _per_row_statement(self) -> Update:
        if self._per_row is None:
            types = self._types
            # ``b_``: a parameter may not take the name of a column the UPDATE sets.
            parameters = {
                name: bindparam(f"b_{name}", type_=types.get(name)) for name in self._names
            }
            self._per_row = self._build(SimpleNamespace(c=SimpleNamespace(**parameters)))
        return self._per_row

    def _compile(self, dialect: Dialect) -> _Chunked | None:
        if dialect.name != "sqlite":
            return None
        one, before, after = self._compiled(1, dialect)
        two, before_two, after_two = self._compiled(2, dialect)
        if (before_two, after_two) != (before, after):
            raise ValueError("the UPDATE binds different constants for one row and two")
        # Compiling the statement of 256 rows took SQLAlchemy about as long as the other
        # eight sizes together, 80-90 ms for all nine per process. The texts differ only in
        # the rows' repeated ``(?, …)``, so the sizes above two are cut from these two
        # (tests/integration/storage/test_keyed_updates.py compares them with SQLAlchemy's).
        statements = {size: _repeated_rows(one, two, size) for size in MULTI_ROW_SIZES}
        processors = bind_processors(self._names, self._types, dialect)
        return _Chunked(statements, before, after, processors)

    def _compiled(
        self, size: int, dialect: Dialect
    ) -> tuple[str, tuple[Any, ...], tuple[Any, ...]]:
        """SQLAlchemy's statement for ``size`` rows, and its constants before and after them."""
        source = (
            values(*(column(name) for name in self._names), name="v")
            .data(
                [
                    tuple(bindparam(f"kv_{row}_{index}") for index in range(len(self._names)))
                    for row in range(size)
                ]
            )
            .cte("v")
        )
        compiled = self._build(source).compile(dialect=dialect)
        before, after = _constants_around_rows(
            compiled.positiontup or [], compiled.params, size, len(self._names)
        )
        return str(compiled), before, after


def _repeated_rows(one: str, two: str, size: int) -> str:
    """The statement for ``size`` rows, from those for one row and two.

    ``two`` is ``one`` with a second row's text (its separator included) inserted after the
    first row; where exactly the two texts part does not matter: inserting the same stretch
    again at the same place gives the text with one row more.
    """
    start = 0
    while start < len(one) and one[start] == two[start]:
        start += 1
    inserted = two[start : start + len(two) - len(one)]
    if one[:start] + inserted + one[start:] != two:
        raise ValueError("the statements for one row and two differ by more than a row")
    return one[:start] + inserted * (size - 1) + one[start:]


def _constants_around_rows(
    positions: Sequence[str], params: dict[str, Any], size: int, width: int
) -> tuple[tuple[Any, ...], tuple[Any, ...]]:
    """The constant values bound before and after the rows' values, which must be in order.

    Raises ``ValueError`` for SQL that binds the rows' values anywhere else: the builder
    must use each name of ``source`` once, in the CTE, and nowhere else.
    """
    first = next((i for i, name in enumerate(positions) if _VALUE.match(name)), None)
    if first is None:
        raise ValueError("the UPDATE does not read its rows' values")
    expected = [f"kv_{row}_{index}" for row in range(size) for index in range(width)]
    if list(positions[first : first + len(expected)]) != expected:
        raise ValueError(f"the rows' values are not bound in order: {positions}")
    rest = [*positions[:first], *positions[first + len(expected) :]]
    if any(_VALUE.match(name) for name in rest):
        raise ValueError(f"the rows' values are bound twice: {positions}")
    before = tuple(params[name] for name in positions[:first])
    after = tuple(params[name] for name in positions[first + len(expected) :])
    return before, after
