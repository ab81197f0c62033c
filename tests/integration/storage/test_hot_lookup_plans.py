"""The lookups inside the write transactions search an index on a large table.

Each lookup runs as the platform runs it (its statements are captured from a real call) and
must search ``messages``, ``message_parts``, ``pending_receipts`` and the block lists through
an index, never scan them, under the ``ANALYZE`` statistics of a database holding a million
messages (``bench/throughput.py --db`` with 1M messages; an operator may run ``ANALYZE`` or
``PRAGMA optimize``).

The two partial indexes of migration 0020 have no statistics: ``ANALYZE`` records none for an
index without rows, and dropping the full index dropped its statistics. The control test puts
the full index of idempotency keys back with its statistics: SQLite then scans the table.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from billing_storage import message
from planner_statistics import with_statistics
from sqlalchemy.engine import Connection, Engine

from parcelsms.adapters.storage.context import StorageContext
from parcelsms.adapters.storage.engine.migrate import migrate_blocking
from parcelsms.adapters.storage.engine.sqlite_engine import create_sqlite_engine
from parcelsms.adapters.storage.inbound.recipient_block_rows import read_blocked_recipients
from parcelsms.adapters.storage.messages.accept_rows import (
    AcceptOperation,
    read_idempotent_request,
)
from parcelsms.adapters.storage.messages.message_query_rows import read_message_page
from parcelsms.adapters.storage.messages.pending_receipt_rows import (
    PendingSweepOperation,
    SweepRequest,
)
from parcelsms.adapters.storage.messages.receipt_rows import (
    NewPart,
    ReceiptOperation,
    _candidate_index,
)
from parcelsms.adapters.storage.messages.recent_send_rows import RecentSends
from parcelsms.domain.recipient_rule import RecipientRule
from parcelsms.pipeline.message_ports import MessageFilter
from parcelsms.pipeline.webhook_policy import StatusWebhookPolicy

MILLION_MESSAGE_STATISTICS = [
    ("message_parts", "ix_message_parts_channel_carrier_id", "1020000 1020000 1"),
    ("message_parts", "sqlite_autoindex_message_parts_1", "1020000 1 1"),
    ("messages", "ix_messages_account_id_country_id", "1020000 1020000 127500 1"),
    ("messages", "ix_messages_account_id_id", "1020000 1020000 1"),
    ("messages", "ix_messages_account_id_status_id", "1020000 1020000 1020000 1"),
    ("messages", "ix_messages_account_id_to_e164_id", "1020000 1020000 51 1"),
    ("messages", "ix_messages_to_e164_created_at", "1020000 51 26"),
    ("messages", "sqlite_autoindex_messages_1", "1020000 1"),
    # Receipts for ids the carrier never gave us, waiting out the pending TTL (checked).
    ("pending_receipts", "ix_pending_receipts_channel_match_key", "500000 500000 1"),
    ("pending_receipts", "ix_pending_receipts_received_at", "500000 1"),
    ("pending_receipts", "ix_pending_receipts_unchecked", "20 1"),
]
# What ANALYZE wrote for the full index of idempotency keys before migration 0020: every
# NULL key counted as one value.
FULL_KEY_INDEX_STATISTICS = (
    "messages",
    "ix_messages_account_id_idempotency_key",
    "1020000 1020000 1020000",
)
NOW = datetime(2026, 12, 5, 12, 0, tzinfo=UTC)
CONTEXT = StorageContext(webhook_policy=StatusWebhookPolicy(), pepper=b"")
TABLES = ("messages", "message_parts", "pending_receipts", "suppressions", "blacklist")


@pytest.fixture
def large_database(tmp_path: Path) -> Iterator[Engine]:
    url = f"sqlite:///{tmp_path / 'plans.db'}"
    migrate_blocking(url)
    engine = with_statistics(url, MILLION_MESSAGE_STATISTICS)
    yield engine
    engine.dispose()


def _plans(engine: Engine, call: Callable[[Connection], object]) -> list[list[str]]:
    """The query plan of every SELECT that ``call`` runs, with its own values.

    Statements are caught by the driver's trace callback (SQLite gives them with their
    values in place): some lookups run on the driver's cursor, below SQLAlchemy's events.
    """
    statements: list[str] = []

    def capture(sql: str) -> None:
        if sql.lstrip().upper().startswith(("SELECT", "WITH")):
            statements.append(sql)

    with engine.connect() as connection:
        driver = connection.connection.driver_connection
        assert driver is not None
        driver.set_trace_callback(capture)
        try:
            call(connection)
        finally:
            driver.set_trace_callback(None)
        assert statements, "the call ran no query"
        return [
            [row[3] for row in connection.exec_driver_sql(f"EXPLAIN QUERY PLAN {sql}")]
            for sql in statements
        ]


def _assert_searched(plans: list[list[str]], walks: tuple[str, ...] = ()) -> None:
    """No step scans a large table, but for ``walks`` (an ordered walk of a small index)."""
    for plan in plans:
        scans = [
            step
            for step in plan
            if step.startswith(tuple(f"SCAN {t}" for t in TABLES)) and step not in walks
        ]
        assert not scans, plan
        assert any(step.startswith("SEARCH ") or step in walks for step in plan), plan


def _owners(connection: Connection) -> object:
    keyed = [
        message("acc_a", to_e164=f"+4479{n:08d}", idempotency_key=f"key-{n}", request_hash="h")
        for n in range(3)
    ]
    operation = AcceptOperation(CONTEXT)
    return operation._existing_owners(connection, keyed)


LOOKUPS: dict[str, Callable[[Connection], object]] = {
    "idempotency keys (accept)": _owners,
    "idempotent replay (reader)": lambda c: read_idempotent_request(c, "acc_a", "key-1"),
    "recent sends (accept)": lambda c: RecentSends.load(
        c,
        [
            message("acc_a", to_e164=f"+4479{n:08d}", recipient_rule=RecipientRule(per_hour=3))
            for n in range(3)
        ],
        NOW,
    ),
    "blocked recipients (accept)": lambda c: read_blocked_recipients(
        c, "acc_a", ["+447900000001", "+447900000002"]
    ),
    "receipt parts (receipts)": lambda c: _candidate_index(
        c, [("carrier-a", "1a"), ("carrier-a", "1b"), ("carrier-b", "7")]
    ),
    "pending receipts (submissions)": lambda c: ReceiptOperation(CONTEXT).apply_for_parts(
        c, [NewPart("carrier-a", "1a"), NewPart("carrier-b", "7")]
    ),
    "search by client_ref (reader)": lambda c: read_message_page(
        c, "acc_a", MessageFilter(client_ref="order-1"), None, 50
    ),
}


@pytest.mark.parametrize("lookup", list(LOOKUPS), ids=list(LOOKUPS))
def test_each_lookup_searches_an_index(large_database: Engine, lookup: str) -> None:
    _assert_searched(_plans(large_database, LOOKUPS[lookup]))


KEY_LOOKUP = "ix_messages_account_id_idempotency_key (account_id=? AND idempotency_key=?)"


@pytest.mark.parametrize("statistics", ["a million messages", "none (a new database)"])
def test_the_accept_looks_each_idempotency_key_up(tmp_path: Path, statistics: str) -> None:
    """A search of the key index, key by key. ``SEARCH`` alone would also pass a walk over
    every key of the account (``idempotency_key>?``): SQLite chose that walk when the lookup
    stated the partial index's condition beside ``IN (json_each)``, 3.2 ms at 30,000 keys
    and growing with the account."""
    url = f"sqlite:///{tmp_path / 'keys.db'}"
    migrate_blocking(url)
    if statistics == "none (a new database)":
        engine = create_sqlite_engine(url)
    else:
        engine = with_statistics(url, MILLION_MESSAGE_STATISTICS)
    try:
        plans = _plans(engine, _owners)
    finally:
        engine.dispose()
    assert any(KEY_LOOKUP in step for plan in plans for step in plan), plans
    assert not any("idempotency_key>?" in step for plan in plans for step in plan), plans


_UNCHECKED_WALK = "SCAN pending_receipts USING INDEX ix_pending_receipts_unchecked"


def _sweep(connection: Connection) -> object:
    sweep = PendingSweepOperation(CONTEXT, ReceiptOperation(CONTEXT))
    return sweep(connection, [SweepRequest(now=NOW, pending_ttl=timedelta(hours=72))])


def test_the_receipt_sweep_walks_only_the_unchecked_receipts(large_database: Engine) -> None:
    plans = _plans(large_database, _sweep)
    _assert_searched(plans, walks=(_UNCHECKED_WALK,))
    assert any(_UNCHECKED_WALK in plan for plan in plans), plans


def test_without_the_unchecked_index_the_sweep_scanned_every_pending_receipt(
    large_database: Engine,
) -> None:
    """The control: the index of migration 0021 dropped, the sweep walks the whole table."""
    with large_database.connect() as connection:
        connection.exec_driver_sql("DROP INDEX ix_pending_receipts_unchecked")
        connection.commit()
    plans = _plans(large_database, _sweep)
    assert any("SCAN pending_receipts" in plan for plan in plans), plans


def test_with_the_full_key_index_and_its_statistics_the_lookup_scanned(tmp_path: Path) -> None:
    """The control: the index before migration 0020, with what ANALYZE said of it."""
    url = f"sqlite:///{tmp_path / 'before.db'}"
    migrate_blocking(url)
    engine = create_sqlite_engine(url)
    with engine.connect() as connection:
        connection.exec_driver_sql("DROP INDEX ix_messages_account_id_idempotency_key")
        connection.exec_driver_sql(
            "CREATE UNIQUE INDEX ix_messages_account_id_idempotency_key"
            " ON messages (account_id, idempotency_key)"
        )
        connection.commit()
    engine.dispose()
    engine = with_statistics(url, [*MILLION_MESSAGE_STATISTICS, FULL_KEY_INDEX_STATISTICS])
    try:
        plans = _plans(engine, _owners)
    finally:
        engine.dispose()
    assert any(step.startswith("SCAN messages") for plan in plans for step in plan), plans


def test_analyze_counts_only_keyed_messages_in_the_key_index(tmp_path: Path) -> None:
    """Why the partial index escapes the trap: its statistics see no unkeyed message."""
    url = f"sqlite:///{tmp_path / 'analyzed.db'}"
    migrate_blocking(url)
    engine = create_sqlite_engine(url)
    raw = engine.raw_connection()  # the driver's connection, in autocommit
    try:
        raw.execute("PRAGMA foreign_keys=OFF")  # messages without their account rows
        raw.executemany(
            "INSERT INTO messages (id, account_id, to_e164, country, body, encoding,"
            " segments, price_micros, currency, billing, status, route_plan, route_index,"
            " next_attempt_at, valid_until, flags, idempotency_key, created_at, updated_at)"
            " VALUES (?, 'acc_a', ?, 'GB', 'x', 'GSM7', 1, 0, 'EUR', 'reserved', 'queued',"
            " '[]', 0, '2026-12-05', '2026-12-07', '[]', ?, '2026-12-05', '2026-12-05')",
            [
                (f"msg_{number:026d}", f"+4479{number:08d}", "key-1" if number == 7 else None)
                for number in range(200)
            ],
        )
        raw.execute("ANALYZE")
        statistics = dict(
            raw.execute("SELECT idx, stat FROM sqlite_stat1 WHERE tbl = 'messages'").fetchall()
        )
    finally:
        raw.close()
        engine.dispose()
    assert statistics["ix_messages_account_id_id"].startswith("200 ")
    assert statistics["ix_messages_account_id_idempotency_key"] == "1 1 1"
