"""Many-row statements executed with plain value tuples, compiled once per dialect.

SQLAlchemy's ``executemany`` builds a parameter dictionary for every row and passes every
value through its type's bind processor, in Python. For the hot rows of the pipeline (events,
ledger rows, outbox rows, parts: several per message) that bookkeeping cost about half of the
writer thread's time with the GIL held, measured by ``bench/storage_cycle.py`` under
py-spy. A :class:`BulkStatement` compiles the same Core statement once per dialect, applies
the bind processors only to the columns that have one (remembering the last value, because a
batch mostly repeats one timestamp), and hands the driver a list of tuples.

The Core construct stays the single definition of the SQL, so the statement is whatever the
dialect compiles it to; only the per-row bookkeeping is skipped. Drivers with a positional
paramstyle (SQLite's ``qmark``, asyncpg's ``numeric_dollar``) take the tuples directly;
for any other, rows fall back to ordinary Core execution with dictionaries.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from itertools import chain
from typing import Any

from sqlalchemy import Table, bindparam
from sqlalchemy.engine import Connection, Dialect
from sqlalchemy.sql.dml import UpdateBase
from sqlalchemy.types import TypeEngine

from parcelsms.adapters.storage.engine.driver_queries import run_on_driver

Row = tuple[Any, ...]
Processor = Callable[[Any], Any]
_MISSING = object()


def _remembering(processor: Processor) -> Processor:
    """``processor`` that returns the previous answer when given the same object again.

    The memo is one tuple swapped in whole, so threads sharing a statement (one writer per
    storage) never read a value with another value's answer.
    """
    memo: list[tuple[Any, Any]] = [(_MISSING, None)]

    def process(value: Any) -> Any:
        last = memo[0]
        if value is last[0]:
            return last[1]
        result = processor(value)
        memo[0] = (value, result)
        return result

    return process


MULTI_ROW_SIZES = (256, 128, 64, 32, 16, 8, 4, 2, 1)
"""Rows per multi-row statement: a group of rows goes out as the fewest statements of these
sizes, one per set bit of its count below 256 (100 rows: 64 + 32 + 4; 10 rows: 8 + 2).

Powers of two rather than of four: a transaction of the single-message API or of a pipeline
at moderate load writes a few to a few dozen rows per table, and with sizes 64, 16, 4 and 1
those took up to six executions each (15 rows: 4 + 4 + 4 + 1 + 1 + 1), every one a step for
which the writer gives up the GIL while it holds the write lock; with these, at most four.
Each table then has up to nine statement texts, within the writer's statement cache (512,
:func:`.sqlite_engine.create_sqlite_engine`). 256 rows of the widest table (26 columns) bind
6,656 values, far below SQLite's limit of 32,766."""


@dataclass(frozen=True, slots=True)
class _Compiled:
    sql: str
    order: tuple[int, ...] | None  # None: the driver's order is the caller's
    processors: tuple[tuple[int, Processor], ...]
    positional: bool
    multi_row: dict[int, str] | None = None  # rows per statement -> SQL (INSERT on SQLite)


class BulkStatement:
    """An INSERT or UPDATE run for many rows given as tuples in the order of ``names``.

    ``statement`` must bind exactly ``names`` (e.g. built with :func:`insert_statement` or
    with ``bindparam(name, type_=...)`` in ``values``/``where``). ``types`` gives each name's
    SQL type, so its bind processor can be applied; names without a type are passed as
    they are. Values must be what the Core statement would accept (``datetime``, lists for
    JSON, ...); ``None`` is always SQL NULL, as for the schema's ``JSON(none_as_null=True)``.

    ``calls`` and ``rows`` count the calls that wrote rows and the rows they wrote, in this
    process (tests read them; the class may be compiled, so its methods cannot be patched).
    """

    def __init__(
        self,
        statement: UpdateBase,
        names: Sequence[str],
        types: dict[str, TypeEngine[Any]],
    ) -> None:
        self._statement = statement
        self._names = tuple(names)
        self._types = types
        self._compiled: dict[str, _Compiled] = {}
        self.calls = 0
        self.rows = 0

    @property
    def names(self) -> tuple[str, ...]:
        """The names a row's values are given in."""
        return self._names

    def execute(self, connection: Connection, rows: Sequence[Row]) -> None:
        """Run the statement once per row, inside the caller's transaction."""
        if not rows:
            return
        self.calls += 1
        self.rows += len(rows)
        dialect = connection.dialect
        compiled = self._compiled.get(dialect.name)
        if compiled is None:
            compiled = self._compiled[dialect.name] = self._compile(dialect)
        if not compiled.positional:
            connection.execute(
                self._statement, [dict(zip(self._names, row, strict=True)) for row in rows]
            )
            return
        if compiled.processors:
            rows = [processed(row, compiled.processors) for row in rows]
        if compiled.order is not None:
            order = compiled.order
            rows = [tuple(row[index] for index in order) for row in rows]
        if compiled.multi_row is None or len(rows) == 1:
            run_on_driver(connection, compiled.sql, list(rows), many=True)
            return
        execute_in_chunks(connection, compiled.multi_row, rows)

    def _compile(self, dialect: Dialect) -> _Compiled:
        if not dialect.positional:
            return _Compiled("", None, (), positional=False)
        processors = bind_processors(self._names, self._types, dialect)
        compiled = self._statement.compile(dialect=dialect)
        positions = compiled.positiontup or []
        if sorted(positions) != sorted(self._names) or len(positions) != len(self._names):
            raise ValueError(f"the statement binds {positions}, not exactly {list(self._names)}")
        order = tuple(self._names.index(name) for name in positions)
        sql = str(compiled)
        return _Compiled(
            sql=sql,
            order=None if order == tuple(range(len(order))) else order,
            processors=processors,
            positional=True,
            multi_row=_multi_row_inserts(sql) if dialect.paramstyle == "qmark" else None,
        )


def _multi_row_inserts(sql: str) -> dict[int, str] | None:
    """``INSERT … VALUES (?, …)`` for each of :data:`MULTI_ROW_SIZES`; ``None`` for other SQL.

    One statement inserting many rows makes SQLite step once instead of once per row. Python's
    ``sqlite3`` releases the GIL around every step, and the writer thread then queues behind
    the event loop to take it back, while it holds the machine-wide write lock: an
    ``executemany`` of 100 rows costs up to 100 such hand-overs, this one. An upsert (``…
    ON CONFLICT … DO UPDATE`` with no parameters of its own, the report rollups) goes the
    same way: SQLite applies the rows of one statement in order, so a key given twice is
    inserted, then updated, as with one statement per row.
    """
    head, marker, rest = sql.partition(" VALUES (")
    if not (marker and head.startswith("INSERT INTO ")):
        return None
    close = rest.find(")")
    if close < 0:
        return None
    group, tail = f"({rest[: close + 1]}", rest[close + 1 :]
    if set(group[1:-1].replace(" ", "")) - {"?", ","}:
        return None
    if tail and (not tail.startswith(" ON CONFLICT ") or "?" in tail):
        return None
    return {size: f"{head} VALUES {', '.join([group] * size)}{tail}" for size in MULTI_ROW_SIZES}


def bind_processors(
    names: Sequence[str], types: dict[str, TypeEngine[Any]], dialect: Dialect
) -> tuple[tuple[int, Processor], ...]:
    """``(index in names, processor)`` for each name whose type has a bind processor on
    ``dialect``; each processor remembers its last answer (see :func:`_remembering`)."""
    processors: list[tuple[int, Processor]] = []
    for index, name in enumerate(names):
        type_ = types.get(name)
        if type_ is None:
            continue
        processor = type_.dialect_impl(dialect).bind_processor(dialect)
        if processor is not None:
            processors.append((index, _remembering(processor)))
    return tuple(processors)


def execute_in_chunks(
    connection: Connection,
    statements: dict[int, str],
    rows: Sequence[Row],
    before: tuple[Any, ...] = (),
    after: tuple[Any, ...] = (),
) -> None:
    """Run ``rows`` through the fewest multi-row statements (see :data:`MULTI_ROW_SIZES`):
    ``statements[size]`` binds ``before``, then ``size`` rows' values, then ``after``."""
    start, total = 0, len(rows)
    for size in MULTI_ROW_SIZES:
        while total - start >= size:
            chunk = rows[start : start + size]
            run_on_driver(
                connection, statements[size], (*before, *chain.from_iterable(chunk), *after)
            )
            start += size


def processed(row: Row, processors: tuple[tuple[int, Processor], ...]) -> Row:
    values = list(row)
    for index, processor in processors:
        value = values[index]
        if value is not None:
            values[index] = processor(value)
    return tuple(values)


def insert_statement(table: Table, names: Sequence[str]) -> BulkStatement:
    """A :class:`BulkStatement` inserting ``names`` (columns of ``table``) per row."""
    statement = table.insert().values({name: bindparam(name) for name in names})
    return BulkStatement(statement, names, {name: table.c[name].type for name in names})
