"""Many rows updated by key in few statements: each row gets its own values, nothing else moves."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import Column, Integer, MetaData, String, Table, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection

from parcelsms.adapters.storage.engine.bulk_statements import MULTI_ROW_SIZES
from parcelsms.adapters.storage.engine.keyed_updates import KeyedUpdate, Source
from parcelsms.adapters.storage.engine.schema.column_types import UtcDateTime
from parcelsms.adapters.storage.messages.receipt_rows import _PART_UPDATE
from parcelsms.adapters.storage.sql_storage import SqlStorage
from parcelsms.adapters.storage.webhooks.webhook_rows import _RESULT_UPDATE

_metadata = MetaData()
probe = Table(
    "keyed_update_probe",
    _metadata,
    Column("group_id", String(10), primary_key=True),
    Column("number", Integer, primary_key=True),
    Column("label", String(20), nullable=False),
    Column("at", UtcDateTime(), nullable=True),
    Column("hits", Integer, nullable=False),
)


def _build(row: Source) -> Any:
    # Constants on both sides of the rows' values: ``hits + 1`` in SET, 'frozen' in WHERE.
    return (
        probe.update()
        .where(
            probe.c.group_id == row.c.group_id,
            probe.c.number == row.c.number,
            probe.c.label != "frozen",
        )
        .values(label=row.c.label, at=row.c.at, hits=probe.c.hits + 1)
    )


UPDATE = KeyedUpdate(
    ("label", "at", "group_id", "number"), ("group_id", "number"), {"at": UtcDateTime()}, _build
)
START = datetime(2031, 5, 6, 7, 8, 9, 123456, tzinfo=UTC)


async def _table_of(storage: SqlStorage, rows: list[tuple[str, int, str]]) -> None:
    def create(connection: Connection, items: list[int]) -> list[None]:
        probe.create(connection, checkfirst=True)
        connection.execute(
            probe.insert(),
            [
                {"group_id": group, "number": number, "label": label, "at": None, "hits": 0}
                for group, number, label in rows
            ],
        )
        return [None for _ in items]

    await storage.writer.run(create, 0)


async def _update(storage: SqlStorage, rows: list[tuple[Any, ...]]) -> None:
    def write(connection: Connection, items: list[int]) -> list[None]:
        UPDATE.execute(connection, rows)
        return [None for _ in items]

    await storage.writer.run(write, 0)


async def _stored(storage: SqlStorage) -> dict[tuple[str, int], tuple[str, Any, int]]:
    def read(connection: Connection) -> dict[tuple[str, int], tuple[str, Any, int]]:
        found = connection.execute(select(probe))
        return {(row.group_id, row.number): (row.label, row.at, row.hits) for row in found}

    return await storage._runner.read(read)


async def test_each_of_hundreds_of_rows_gets_its_own_values(storage: SqlStorage) -> None:
    """301 rows go out in chunks of 256 + 16 + 16 + 4 + 4 + 4 + 1 on SQLite: every row must
    get exactly its values, and the rows not named, or excluded by the WHERE, stay."""
    named = [("g", number, "old") for number in range(301)]
    others = [("h", number, "old") for number in range(5)]
    frozen = [("g", 1000, "frozen")]
    await _table_of(storage, [*named, *others, *frozen])

    await _update(
        storage,
        [
            (f"new-{number}", START + timedelta(seconds=number), "g", number)
            for number in (*range(301), 1000)
        ],
    )

    stored = await _stored(storage)
    expected = {("g", n): (f"new-{n}", START + timedelta(seconds=n), 1) for n in range(301)}
    expected |= {("h", n): ("old", None, 0) for n in range(5)}
    expected[("g", 1000)] = ("frozen", None, 0)
    assert stored == expected


async def test_a_key_given_twice_keeps_its_last_row(storage: SqlStorage) -> None:
    await _table_of(storage, [("g", 1, "old"), ("g", 2, "old")])

    await _update(
        storage, [("first", START, "g", 1), ("other", None, "g", 2), ("last", None, "g", 1)]
    )

    stored = await _stored(storage)
    assert stored == {("g", 1): ("last", None, 1), ("g", 2): ("other", None, 1)}


def test_sqlite_gets_one_statement_per_chunk_and_other_dialects_one_per_row() -> None:
    chunked = UPDATE._compile(sqlite.dialect())
    assert chunked is not None
    four = chunked.statements[4]
    assert four.startswith("WITH v(label, at, group_id, number) AS")
    assert four.count("(?, ?, ?, ?)") == 4
    assert "FROM v WHERE" in four
    # hits + 1 is bound after the rows' values, 'frozen' after that.
    assert chunked.after == (1, "frozen")
    assert chunked.before == ()
    assert UPDATE._compile(postgresql.dialect()) is None


@pytest.mark.parametrize("update", [UPDATE, _PART_UPDATE, _RESULT_UPDATE])
def test_every_size_is_the_statement_sqlalchemy_compiles_for_it(update: KeyedUpdate) -> None:
    """The sizes above two are cut from the texts for one row and two: each must be exactly
    what SQLAlchemy compiles for that many rows, constants included."""
    dialect = sqlite.dialect()
    chunked = update._compile(dialect)
    assert chunked is not None
    for size in MULTI_ROW_SIZES:
        text, before, after = update._compiled(size, dialect)
        assert chunked.statements[size] == text, size
        assert (chunked.before, chunked.after) == (before, after)


def test_a_builder_that_binds_no_row_value_is_refused() -> None:
    constant = KeyedUpdate(
        ("label", "group_id", "number"),
        ("group_id", "number"),
        {},
        lambda row: probe.update().where(probe.c.number == 1).values(label="x"),
    )
    with pytest.raises(ValueError, match="does not read its rows"):
        constant._compile(sqlite.dialect())
