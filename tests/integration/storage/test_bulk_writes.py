"""Set-based writes: rows moved together share statements, and each row still ends right."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from database_peek import peek
from receipt_records import receipt_record
from sender_accounts import new_account
from sqlalchemy import select
from sqlalchemy.engine import Connection

from parcelsms.adapters.storage.engine.backends import migration_engine
from parcelsms.adapters.storage.engine.bulk_statements import _multi_row_inserts, insert_statement
from parcelsms.adapters.storage.engine.schema.message_tables import message_events
from parcelsms.adapters.storage.engine.schema.report_tables import report_rollups
from parcelsms.adapters.storage.reports.rollup_rows import RollupDeltas
from parcelsms.adapters.storage.sql_storage import SqlStorage
from parcelsms.errors import StorageError
from parcelsms.pipeline.message_ports import ErrorDetail, Failed, Retry, Submitted, SubmittedPart


def submitted(
    message_id: str, *carrier_ids: str, channel: str = "alpha", flags: tuple[str, ...] = ()
) -> Submitted:
    return Submitted(
        message_id=message_id,
        channel=channel,
        parts=tuple(
            SubmittedPart(part_no=number, carrier_id_raw=carrier_id)
            for number, carrier_id in enumerate(carrier_ids or (f"c-{message_id}",), start=1)
        ),
        flags=flags,
    )


def ledger_kinds(path: str | Path) -> dict[str, list[str]]:
    kinds: dict[str, list[str]] = {}
    with peek(path) as connection:
        for message_id, kind in connection.execute(
            "SELECT message_id, kind FROM ledger WHERE message_id IS NOT NULL ORDER BY id"
        ):
            kinds.setdefault(message_id, []).append(kind)
    return kinds


async def test_outcomes_of_every_kind_in_one_call_each_end_right(
    storage: SqlStorage, enqueue: Any, clock: Any, database_url: str
) -> None:
    account = await new_account(storage, "shop", balance_micros=10_000_000)
    await storage.webhook_endpoints.set_webhook_endpoint(
        account.id, "https://hooks.example/sms", "whsec_x"
    )
    a, b, c, d, e, f = await enqueue(storage, account.id, count=6, price_micros=10_000)
    await storage.messages.claim_for_dispatch("worker", 10, clock())
    later = clock() + timedelta(seconds=60)
    outcomes = [
        submitted(a),
        submitted(b),
        submitted(c, channel="beta"),
        submitted(d, flags=("partially_submitted",)),
        Retry(
            message_id=e,
            next_route_index=1,
            next_attempt_at=later,
            error=ErrorDetail(detail="throttled", err="0x58"),
        ),
        Failed(message_id=f, error=ErrorDetail(detail="refused", err="0x0B")),
    ]
    assert await storage.messages.record_submissions(outcomes) == [True] * 6

    messages = {}
    for message_id in (a, b, c, d, e, f):
        detail = await storage.message_queries.get_message(account.id, message_id)
        assert detail is not None
        messages[message_id] = detail.message
    assert [messages[i].status for i in (a, b, c, d, e, f)] == [
        "submitted",
        "submitted",
        "submitted",
        "submitted",
        "queued",
        "failed",
    ]
    assert [messages[i].flags for i in (a, b, c, d)] == [(), (), (), ("partially_submitted",)]
    assert all(messages[i].submitted_at == clock() for i in (a, b, c, d))
    assert messages[e].submitted_at is None
    assert messages[e].last_error == ErrorDetail(detail="throttled", err="0x58")
    assert messages[f].final_at == clock()
    assert messages[f].last_error == ErrorDetail(detail="refused", err="0x0B")
    kinds = ledger_kinds(database_url)
    assert {i: kinds[i] for i in (a, b, c, d)} == {i: ["reserve", "settle"] for i in (a, b, c, d)}
    assert kinds[e] == ["reserve"]
    assert kinds[f] == ["reserve", "refund"]
    # The retried message is due again on its next route; the others are done with.
    assert await storage.messages.claim_for_dispatch("worker", 10, clock()) == []
    (again,) = await storage.messages.claim_for_dispatch("worker", 10, later)
    assert (again.message_id, again.route_index) == (e, 1)
    webhooks = await storage.webhook_outbox.claim_due_webhooks(20, clock(), 30)
    assert sorted(webhook.message_id for webhook in webhooks) == sorted([a, b, c, d, f])


async def test_receipts_for_single_and_multi_part_messages_in_one_call(
    storage: SqlStorage, enqueue: Any, clock: Any
) -> None:
    account = await new_account(storage, "shop", balance_micros=10_000_000)
    (single,) = await enqueue(storage, account.id)
    (double,) = await enqueue(storage, account.id, segments=2)
    (undelivered,) = await enqueue(storage, account.id)
    await storage.messages.claim_for_dispatch("worker", 10, clock())
    await storage.messages.record_submissions(
        [submitted(single, "s1"), submitted(double, "d1", "d2"), submitted(undelivered, "u1")]
    )

    counts = await storage.receipts.apply_receipts(
        [
            receipt_record("s1", "delivered", clock()),
            receipt_record("d1", "delivered", clock()),
            receipt_record("u1", "undelivered", clock()),
        ]
    )
    assert counts.matched == 3
    statuses = {}
    for message_id in (single, double, undelivered):
        detail = await storage.message_queries.get_message(account.id, message_id)
        assert detail is not None
        statuses[message_id] = detail.message.status
    # The two-part message waits for its second part.
    assert statuses == {single: "delivered", double: "submitted", undelivered: "undelivered"}

    await storage.receipts.apply_receipts([receipt_record("d2", "delivered", clock())])
    detail = await storage.message_queries.get_message(account.id, double)
    assert detail is not None
    assert detail.message.status == "delivered"
    assert [part.status for part in detail.parts] == ["delivered", "delivered"]


async def test_a_bad_outcome_in_a_list_fails_alone(
    storage: SqlStorage, enqueue: Any, clock: Any
) -> None:
    account = await new_account(storage, "shop", balance_micros=10_000_000)
    good, bad, other = await enqueue(storage, account.id, count=3)
    await storage.messages.claim_for_dispatch("worker", 10, clock())
    # Two parts numbered 1: the parts table's primary key refuses the second.
    broken = Submitted(
        message_id=bad,
        channel="alpha",
        parts=(
            SubmittedPart(part_no=1, carrier_id_raw="x1"),
            SubmittedPart(part_no=1, carrier_id_raw="x2"),
        ),
    )
    with pytest.raises(StorageError):
        await storage.messages.record_submissions([submitted(good), broken, submitted(other)])

    statuses = {}
    for message_id in (good, bad, other):
        detail = await storage.message_queries.get_message(account.id, message_id)
        assert detail is not None
        statuses[message_id] = (detail.message.status, len(detail.parts))
    assert statuses == {good: ("submitted", 1), bad: ("queued", 0), other: ("submitted", 1)}


async def test_bulk_insert_converts_values_like_core(
    storage: SqlStorage, enqueue: Any, database_url: str
) -> None:
    account = await new_account(storage, "shop", balance_micros=10_000_000)
    first, second = await enqueue(storage, account.id, count=2)
    statement = insert_statement(message_events, ("message_id", "status", "at", "detail"))
    one = datetime(2031, 5, 6, 7, 8, 9, 123456, tzinfo=UTC)
    other = datetime(2031, 5, 6, 9, 8, 9, tzinfo=UTC) + timedelta(hours=1)
    rows = [
        (first, "submitted", one, {"channel": "alpha", "parts": 2}),
        (second, "submitted", one, None),
        (first, "delivered", other, {"stat": "DELIVRD"}),
    ]
    await storage.writer.run(lambda connection, items: [statement.execute(connection, rows)], 0)

    # Read back through Core, on a connection of its own: the values must come back as
    # written (aware UTC datetimes, JSON documents, NULL for None).
    engine = migration_engine(database_url)
    with engine.connect() as connection:
        query = (
            select(
                message_events.c.message_id,
                message_events.c.status,
                message_events.c.at,
                message_events.c.detail,
            )
            .where(message_events.c.status != "queued")
            .order_by(message_events.c.id)
        )
        stored = [tuple(row) for row in connection.execute(query)]
    engine.dispose()
    assert stored == rows


def _code(index: int) -> str:
    """A two-letter country code of its own for each index below 676."""
    return chr(65 + index // 26) + chr(65 + index % 26)


async def test_rollup_upserts_of_hundreds_of_keys_add_up(storage: SqlStorage) -> None:
    """On SQLite the rollup upserts go out as multi-row statements (256 + 16 + …): every key
    must be inserted once and then added to, as one statement per row did."""
    account = await new_account(storage, "shop", balance_micros=10_000_000)
    hour = 500_000
    keys = [
        (hour, account.id, "EUR", _code(index), "alpha", "", "delivered") for index in range(301)
    ]

    def write(connection: Connection, items: list[int]) -> list[None]:
        deltas = RollupDeltas()
        for index, key in enumerate(keys):
            deltas.add(key, 1 + index % 3, 2, 1_000)
        deltas.apply(connection)
        return [None for _ in items]

    await storage.writer.run(write, 0)
    await storage.writer.run(write, 0)

    def read(connection: Connection) -> dict[str, tuple[int, int, int]]:
        r = report_rollups.c
        rows = connection.execute(
            select(r.country, r.messages, r.segments, r.charged_micros).where(
                r.account_id == account.id
            )
        )
        return {row.country: (row.messages, row.segments, row.charged_micros) for row in rows}

    stored = await storage._runner.read(read)
    assert stored == {_code(index): (2 * (1 + index % 3), 4, 2_000) for index in range(len(keys))}


def test_inserts_and_parameterless_upserts_become_multi_row_statements() -> None:
    upsert = "INSERT INTO t (a, b) VALUES (?, ?) ON CONFLICT (a) DO UPDATE SET b = t.b + excluded.b"
    statements = _multi_row_inserts(upsert)
    assert statements is not None
    assert statements[4] == (
        "INSERT INTO t (a, b) VALUES (?, ?), (?, ?), (?, ?), (?, ?)"
        " ON CONFLICT (a) DO UPDATE SET b = t.b + excluded.b"
    )
    plain = _multi_row_inserts("INSERT INTO t (a, b) VALUES (?, ?)")
    assert plain is not None
    assert plain[1] == "INSERT INTO t (a, b) VALUES (?, ?)"
    # A tail that binds values of its own would shift every row's parameters: left alone.
    assert (
        _multi_row_inserts("INSERT INTO t (a) VALUES (?) ON CONFLICT (a) DO UPDATE SET a = ?")
        is None
    )
    assert _multi_row_inserts("INSERT INTO t (a) VALUES (?) RETURNING a") is None
    assert _multi_row_inserts("UPDATE t SET a = ? WHERE b = ?") is None
