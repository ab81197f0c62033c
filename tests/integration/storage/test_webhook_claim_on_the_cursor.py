"""The webhook claim on SQLite's cursor gives the sender what the SQLAlchemy claim gave it: the
same rows in the same order, the same times, the same signing secrets (an endpoint's, its
previous one during a rotation, a callback's from the account's default endpoint), and it
leaves busy URLs out."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sender_accounts import new_account
from sqlalchemy import select
from sqlalchemy.engine import Connection

from parcelsms.adapters.storage.engine.schema.webhook_tables import (
    webhook_endpoints,
    webhook_outbox,
)
from parcelsms.adapters.storage.engine.sqlite_engine import create_sqlite_engine
from parcelsms.adapters.storage.sql_storage import SqlStorage
from parcelsms.adapters.storage.webhooks.webhook_rows import (
    WebhookClaimOperation,
    WebhookClaimRequest,
    _claimed_through_core,
)
from parcelsms.pipeline.webhook_ports import WebhookDelivery

NOW = datetime(2030, 1, 1, 12, 0, 0, 250000, tzinfo=UTC)


@pytest.fixture
def database_url(tmp_path: Path) -> str:
    """SQLite only: the other backends claim through SQLAlchemy."""
    return f"sqlite:///{tmp_path / 'webhook-claims.db'}"


def _endpoint(account_id: str, name: str, **values: Any) -> dict[str, Any]:
    return {
        "id": f"whe_{name}",
        "account_id": account_id,
        "url": f"https://{name}.example/hook",
        "event_types": ["message.final"],
        "is_default": False,
        "enabled": True,
        "secret": f"whsec_{name}",
        "previous_secret": None,
        "previous_secret_until": None,
        "created_at": NOW,
        "updated_at": NOW,
        **values,
    }


def _row(account_id: str, number: int, url: str, endpoint_id: str | None, **values: Any) -> Any:
    return {
        "id": f"who_{number:04d}",
        "account_id": account_id,
        "event_id": f"evt_{number:04d}",
        "endpoint_id": endpoint_id,
        "event_type": "message.final",
        "message_id": None,
        "url": url,
        "payload": f'{{"n": {number}, "text": "Ölçü — 包裹"}}',
        "status": "pending",
        "attempts": number % 3,
        "next_attempt_at": NOW - timedelta(seconds=60 - number),
        "created_at": NOW - timedelta(minutes=number, microseconds=number),
        "retry_from": None if number % 2 else NOW - timedelta(seconds=number),
        **values,
    }


def _core_claim(connection: Connection, request: WebhookClaimRequest) -> list[WebhookDelivery]:
    """What WebhookClaimOperation gives on a backend that claims through SQLAlchemy."""
    claimed = sorted(_claimed_through_core(connection, request), key=lambda row: row[0])
    secrets = WebhookClaimOperation._secrets(connection, claimed, request.now, on_sqlite=False)
    return [
        WebhookDelivery(
            id=row[0],
            event_id=row[1],
            account_id=row[2],
            endpoint_id=row[3],
            message_id=row[4],
            url=row[5],
            secrets=secrets.get(row[3] or ("default", row[2]), ()),
            payload=row[6],
            attempts=row[7],
            created_at=row[8],
            retry_from=row[9] or row[8],
        )
        for row in claimed
    ]


async def test_the_cursor_claims_what_sqlalchemy_claims(
    storage: SqlStorage, database_url: str
) -> None:
    shop = await new_account(storage, "shop", balance_micros=10_000_000)
    other = await new_account(storage, "other", balance_micros=10_000_000)
    engine = create_sqlite_engine(database_url)
    try:
        with engine.begin() as connection:
            connection.execute(
                webhook_endpoints.insert(),
                [
                    _endpoint(shop.id, "plain"),
                    # Rotated a moment ago: both secrets sign until the overlap ends.
                    _endpoint(
                        shop.id,
                        "rotated",
                        previous_secret="whsec_old",
                        previous_secret_until=NOW + timedelta(hours=1),
                    ),
                    # Rotated long ago: the old secret no longer signs.
                    _endpoint(
                        shop.id,
                        "expired",
                        previous_secret="whsec_gone",
                        previous_secret_until=NOW - timedelta(seconds=1),
                    ),
                    _endpoint(shop.id, "default", is_default=True),
                ],
            )
            rows = [
                _row(shop.id, 1, "https://plain.example/hook", "whe_plain"),
                _row(shop.id, 2, "https://rotated.example/hook", "whe_rotated"),
                _row(shop.id, 3, "https://expired.example/hook", "whe_expired"),
                _row(shop.id, 4, "https://shop.example/callback", None),  # default's secret
                _row(other.id, 5, "https://other.example/callback", None),  # no default: none
                _row(shop.id, 6, "https://busy.example/hook", "whe_plain"),
                _row(shop.id, 7, "https://plain.example/hook", "whe_plain", status="delivered"),
                _row(shop.id, 8, "https://plain.example/hook", "whe_plain", next_attempt_at=NOW),
                _row(
                    shop.id,
                    9,
                    "https://plain.example/hook",
                    "whe_plain",
                    next_attempt_at=NOW + timedelta(microseconds=1),  # not due yet
                ),
            ]
            connection.execute(webhook_outbox.insert(), rows)

        requests = [
            WebhookClaimRequest(limit=100, now=NOW, lease_seconds=30),
            WebhookClaimRequest(
                limit=100, now=NOW, lease_seconds=30, busy_urls=("https://busy.example/hook",)
            ),
            WebhookClaimRequest(limit=3, now=NOW, lease_seconds=30),  # the three due first
        ]
        for request in requests:
            with engine.connect() as connection:
                with connection.begin() as transaction:
                    expected = _core_claim(connection, request)
                    transaction.rollback()
                with connection.begin() as transaction:
                    (claimed,) = WebhookClaimOperation()(connection, [request])
                    leases = sorted(
                        connection.execute(
                            select(webhook_outbox.c.next_attempt_at)
                            .where(webhook_outbox.c.id.in_([row.id for row in claimed]))
                            .distinct()
                        ).scalars()
                    )
                    transaction.rollback()
            assert claimed == expected, request
            assert leases == [NOW + timedelta(seconds=30)], request
    finally:
        engine.dispose()

    claimed_ids = [delivery.id for delivery in expected]
    assert claimed_ids == ["who_0001", "who_0002", "who_0003"]  # the last request's
    everything = {delivery.id: delivery for delivery in _all_claimed(database_url)}
    assert set(everything) == {f"who_{n:04d}" for n in (1, 2, 3, 4, 5, 6, 8)}
    assert everything["who_0001"].secrets == ("whsec_plain",)
    assert everything["who_0002"].secrets == ("whsec_rotated", "whsec_old")
    assert everything["who_0003"].secrets == ("whsec_expired",)
    assert everything["who_0004"].secrets == ("whsec_default",)
    assert everything["who_0005"].secrets == ()
    assert everything["who_0002"].created_at == NOW - timedelta(minutes=2, microseconds=2)
    assert everything["who_0002"].retry_from == NOW - timedelta(seconds=2)
    assert everything["who_0001"].retry_from == everything["who_0001"].created_at


def _all_claimed(database_url: str) -> list[WebhookDelivery]:
    engine = create_sqlite_engine(database_url)
    try:
        with engine.connect() as connection, connection.begin() as transaction:
            request = WebhookClaimRequest(limit=100, now=NOW, lease_seconds=30)
            (claimed,) = WebhookClaimOperation()(connection, [request])
            transaction.rollback()
    finally:
        engine.dispose()
    return claimed
