"""The queue claim on SQLite's cursor gives the dispatcher what the SQLAlchemy claim gave it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sender_accounts import new_account
from sqlalchemy.engine import Connection

from parcelsms.adapters.storage.context import StorageContext
from parcelsms.adapters.storage.engine.sqlite_engine import create_sqlite_engine
from parcelsms.adapters.storage.messages.dispatch_rows import (
    _CLAIM,
    ClaimOperation,
    ClaimRequest,
    _dispatch_item,
)
from parcelsms.adapters.storage.sql_storage import SqlStorage
from parcelsms.pipeline.message_ports import DispatchItem
from parcelsms.pipeline.webhook_policy import StatusWebhookPolicy

CONTEXT = StorageContext(webhook_policy=StatusWebhookPolicy(), pepper=b"")


@pytest.fixture
def database_url(tmp_path: Path) -> str:
    """SQLite only: the other backends claim through SQLAlchemy."""
    return f"sqlite:///{tmp_path / 'claims.db'}"


def _through_sqlalchemy(connection: Connection, request: ClaimRequest) -> list[DispatchItem]:
    claimed = connection.execute(
        _CLAIM,
        {"b_now": request.now, "b_limit": request.limit, "b_token": request.claim_token},
    )
    return [_dispatch_item(row) for row in sorted(claimed, key=lambda r: (r.next_attempt_at, r.id))]


def _both_ways(database_url: str, request: ClaimRequest) -> tuple[list[Any], list[Any]]:
    """The claim each way, each in a transaction rolled back after."""
    engine = create_sqlite_engine(database_url)
    try:
        with engine.connect() as connection:
            with connection.begin() as transaction:
                expected = _through_sqlalchemy(connection, request)
                transaction.rollback()
            with connection.begin() as transaction:
                (claimed,) = ClaimOperation(CONTEXT)(connection, [request])
                transaction.rollback()
    finally:
        engine.dispose()
    return expected, claimed


async def test_the_cursor_claims_what_sqlalchemy_claims(
    storage: SqlStorage, enqueue: Any, clock: Any, database_url: str
) -> None:
    account = await new_account(storage, "shop", balance_micros=10_000_000)
    later = datetime(2031, 5, 6, 7, 8, 9, 123456, tzinfo=UTC)
    await enqueue(storage, account.id, count=3)
    await enqueue(
        storage,
        account.id,
        route_plan=("alpha", "beta", "gamma"),
        sender_id=None,
        valid_until=later,
        body="Ölçü: paket yolda — 包裹已发出",
        encoding="UCS2",
        segments=2,
    )
    await enqueue(storage, account.id, count=2, sender_id="447700900123")
    engine = create_sqlite_engine(database_url)
    with engine.begin() as connection:  # a flagged message, due earlier than the others
        connection.exec_driver_sql(
            'UPDATE messages SET flags = \'["duplicate_possible","resent_after_crash"]\','
            " next_attempt_at = '2020-01-01 00:00:00.000000'"
            " WHERE id = (SELECT max(id) FROM messages)"
        )
    engine.dispose()

    request = ClaimRequest(claim_token="worker-1", limit=4, now=clock() + timedelta(seconds=1))
    expected, claimed = _both_ways(database_url, request)
    assert claimed == expected
    assert len(claimed) == 4  # the limit
    assert claimed[0].flags == ("duplicate_possible", "resent_after_crash")  # due first
    assert all(item.created_at.tzinfo is UTC for item in claimed)

    everything = ClaimRequest(claim_token="worker-1", limit=100, now=request.now)
    expected, claimed = _both_ways(database_url, everything)
    assert claimed == expected
    assert len(claimed) == 6
    unicode = next(item for item in claimed if item.encoding == "UCS2")
    assert unicode.route_plan == ("alpha", "beta", "gamma")
    assert unicode.valid_until == later
    assert unicode.sender_id is None


async def test_nothing_due_claims_nothing(
    storage: SqlStorage, enqueue: Any, clock: Any, database_url: str
) -> None:
    account = await new_account(storage, "shop", balance_micros=10_000_000)
    await enqueue(storage, account.id, count=2)
    before = ClaimRequest(claim_token="w", limit=10, now=clock() - timedelta(days=1))
    assert _both_ways(database_url, before) == ([], [])
