"""The parts a receipt may name, and the receipts waiting for a recorded part, read with
SQLite's cursor as SQLAlchemy would read them."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.engine import Connection, Engine

from parcelsms.adapters.storage.engine.conditions import pair_in
from parcelsms.adapters.storage.engine.migrate import migrate_blocking
from parcelsms.adapters.storage.engine.schema.message_tables import message_parts
from parcelsms.adapters.storage.engine.schema.receipt_tables import pending_receipts
from parcelsms.adapters.storage.engine.sqlite_engine import create_sqlite_engine
from parcelsms.adapters.storage.messages.receipt_rows import (
    _PART_COLUMNS,
    PENDING_COLUMNS,
    _candidate_index,
    _pending_rows_from_sqlite,
)

DONE = datetime(2026, 12, 5, 9, 30, 15, 123456, tzinfo=UTC)
PARTS = [
    # message, part, channel, carrier id, status, done_at
    ("msg_a", 1, "carrier-a", "1a", "delivered", DONE),
    ("msg_b", 1, "carrier-a", "1b", "submitted", None),
    ("msg_b", 2, "carrier-a", "1c", "submitted", None),
    ("msg_c", 1, "carrier-b", "1a", "submitted", None),  # the same id on another channel
    ("msg_d", 1, "carrier-a", "1a", "submitted", None),  # an id the carrier gave again
]


@pytest.fixture
def parts_database(tmp_path: Path) -> Iterator[Engine]:
    url = f"sqlite:///{tmp_path / 'parts.db'}"
    migrate_blocking(url)
    engine = create_sqlite_engine(url)
    raw = engine.raw_connection()  # the driver's connection, in autocommit
    try:
        raw.execute("PRAGMA foreign_keys=OFF")  # parts without their messages
        raw.executemany(
            "INSERT INTO message_parts (message_id, part_no, channel, carrier_id_raw,"
            " carrier_id, responded_at_us, status, stat, submitted_at, done_at)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, '2026-12-05 09:30:00.000000', ?)",
            [
                (
                    message_id,
                    part_no,
                    channel,
                    key.upper(),
                    key,
                    part_no,
                    status,
                    "DELIVRD" if done_at else None,
                    None if done_at is None else "2026-12-05 09:30:15.123456",
                )
                for message_id, part_no, channel, key, status, done_at in PARTS
            ],
        )
    finally:
        raw.close()
    yield engine
    engine.dispose()


def _through_sqlalchemy(connection: Connection, pairs: set[tuple[str, str]]) -> list[tuple]:  # type: ignore[type-arg]
    rows = connection.execute(
        select(*_PART_COLUMNS).where(
            pair_in(message_parts.c.channel, message_parts.c.carrier_id, pairs)
        )
    )
    return sorted(tuple(row) for row in rows)


def test_the_cursor_reads_what_sqlalchemy_reads(parts_database: Engine) -> None:
    pairs = {("carrier-a", "1a"), ("carrier-a", "1c"), ("carrier-b", "1a"), ("carrier-b", "9")}
    with parts_database.connect() as connection:
        found = _candidate_index(connection, pairs)
        expected = _through_sqlalchemy(connection, pairs)
    read = sorted(
        (
            part.message_id,
            part.part_no,
            part.channel,
            part.key,
            part.responded_at_us,
            part.status,
            part.stat,
            part.err,
            part.receipt_raw,
            part.done_at,
            part.parts_of_message,
        )
        for parts in found.values()
        for part in parts
    )
    assert read == expected
    assert len(read) == 4  # msg_a and msg_d under carrier-a/1a, msg_b part 2, msg_c
    assert {key for key in found} == {("carrier-a", "1a"), ("carrier-a", "1c"), ("carrier-b", "1a")}


def test_a_final_part_keeps_its_time_and_a_split_message_its_part_count(
    parts_database: Engine,
) -> None:
    with parts_database.connect() as connection:
        found = _candidate_index(connection, [("carrier-a", "1a"), ("carrier-a", "1b")])
    by_message = {part.message_id: part for parts in found.values() for part in parts}
    assert by_message["msg_a"].done_at == DONE
    assert by_message["msg_a"].is_final
    assert by_message["msg_d"].done_at is None
    assert by_message["msg_b"].parts_of_message == 2
    assert by_message["msg_a"].parts_of_message == 1


def test_the_cursor_reads_the_pending_receipts_sqlalchemy_reads(parts_database: Engine) -> None:
    """The lookup of a recorded submission's early receipts: same rows, oldest first, with
    the payload decoded as the JSON column decodes it."""
    waiting = [
        # channel, carrier id, match key, responded_at_us, payload
        ("carrier-a", "1A", "1a", None, {"stat": "DELIVRD", "parts": [1, 2]}),
        ("carrier-b", "1A", "1a", 7, {"stat": "UNDELIV"}),
        ("carrier-a", "1B", "1b", None, {"stat": "EXPIRED"}),
        ("carrier-a", "1A", "1a", 9, {"stat": "DELIVRD", "raw": "id:1A stat:DELIVRD"}),
        ("carrier-a", "zz", None, None, {"stat": "DELIVRD"}),  # no key: never looked up
    ]
    with parts_database.connect() as connection:
        connection.execute(
            pending_receipts.insert(),
            [
                {
                    "channel": channel,
                    "carrier_id": carrier_id,
                    "match_key": key,
                    "responded_at_us": responded,
                    "received_at": DONE,
                    "received_at_us": 1,
                    "payload": payload,
                }
                for channel, carrier_id, key, responded, payload in waiting
            ],
        )
        pairs = {("carrier-a", "1a"), ("carrier-b", "1a"), ("carrier-b", "9")}
        read = [tuple(row) for row in _pending_rows_from_sqlite(connection, pairs)]
        expected = [
            tuple(row)
            for row in connection.execute(
                select(*PENDING_COLUMNS)
                .where(pair_in(pending_receipts.c.channel, pending_receipts.c.match_key, pairs))
                .order_by(pending_receipts.c.id)
            )
        ]
    assert read == expected
    assert [row[3] for row in read] == [waiting[0][4], waiting[1][4], waiting[3][4]]
