"""The sender's deliveries list, and redelivery: one row, or everything to an endpoint since T.

A redelivery makes the row ``pending`` and due now with a fresh retry window
(``retry_from`` = now, ``attempts`` back to 0); it keeps its id and ``webhook-id``, so a
receiver that already has it can drop the copy.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.engine import Connection

from parcelsms.adapters.storage.engine.id_cursors import decode_id_cursor, encode_id_cursor
from parcelsms.adapters.storage.engine.schema.webhook_tables import webhook_outbox
from parcelsms.pipeline.webhook_ports import (
    DeliveryFilter,
    DeliveryPage,
    WebhookDeliveryRecord,
)

MAX_PAGE_SIZE = 200

_LISTED = (
    webhook_outbox.c.id,
    webhook_outbox.c.event_id,
    webhook_outbox.c.event_type,
    webhook_outbox.c.endpoint_id,
    webhook_outbox.c.message_id,
    webhook_outbox.c.url,
    webhook_outbox.c.status,
    webhook_outbox.c.attempts,
    webhook_outbox.c.last_status,
    webhook_outbox.c.latency_ms,
    webhook_outbox.c.last_error,
    webhook_outbox.c.created_at,
    webhook_outbox.c.next_attempt_at,
    webhook_outbox.c.delivered_at,
)


@dataclass(frozen=True, slots=True)
class DeliveryQuery:
    account_id: str
    where: DeliveryFilter
    cursor: str | None
    limit: int


@dataclass(frozen=True, slots=True)
class DeliveryRetry:
    account_id: str
    delivery_id: str
    now: datetime


@dataclass(frozen=True, slots=True)
class EndpointReplay:
    account_id: str
    endpoint_id: str
    since: datetime
    now: datetime


def _record(row: Any) -> WebhookDeliveryRecord:
    return WebhookDeliveryRecord(
        id=row.id,
        event_id=row.event_id,
        event_type=row.event_type,
        endpoint_id=row.endpoint_id,
        message_id=row.message_id,
        url=row.url,
        status=row.status,
        attempts=row.attempts,
        last_status=row.last_status,
        latency_ms=row.latency_ms,
        last_error=row.last_error,
        created_at=row.created_at,
        next_attempt_at=row.next_attempt_at if row.status == "pending" else None,
        delivered_at=row.delivered_at,
    )


def read_delivery_page(connection: Connection, query: DeliveryQuery) -> DeliveryPage:
    """Newest first, keyset-paginated by id."""
    limit = max(1, min(query.limit, MAX_PAGE_SIZE))
    statement = (
        select(*_LISTED)
        .where(webhook_outbox.c.account_id == query.account_id)
        .order_by(webhook_outbox.c.id.desc())
        .limit(limit + 1)
    )
    where = query.where
    if where.endpoint_id is not None:
        statement = statement.where(webhook_outbox.c.endpoint_id == where.endpoint_id)
    if where.message_id is not None:
        statement = statement.where(webhook_outbox.c.message_id == where.message_id)
    if where.status is not None:
        statement = statement.where(webhook_outbox.c.status == where.status)
    if where.event_type is not None:
        statement = statement.where(webhook_outbox.c.event_type == where.event_type)
    if query.cursor is not None:
        statement = statement.where(webhook_outbox.c.id < decode_id_cursor(query.cursor, "evt"))
    rows = connection.execute(statement).all()
    items = tuple(_record(row) for row in rows[:limit])
    next_cursor = encode_id_cursor(items[-1].id) if len(rows) > limit else None
    return DeliveryPage(items=items, next_cursor=next_cursor)


def _redeliver(now: datetime) -> dict[str, Any]:
    return {
        "status": "pending",
        "attempts": 0,
        "next_attempt_at": now,
        "retry_from": now,
        "delivered_at": None,
    }


class RedeliveryOperations:
    """Bulk functions for redelivery requests (one item at a time inside the group)."""

    def retry(
        self, connection: Connection, items: list[DeliveryRetry]
    ) -> Sequence[WebhookDeliveryRecord | None]:
        results: list[WebhookDeliveryRecord | None] = []
        for item in items:
            mine = (
                webhook_outbox.c.account_id == item.account_id,
                webhook_outbox.c.id == item.delivery_id,
            )
            connection.execute(webhook_outbox.update().where(*mine).values(_redeliver(item.now)))
            row = connection.execute(select(*_LISTED).where(*mine)).first()
            results.append(None if row is None else _record(row))
        return results

    def replay(self, connection: Connection, items: list[EndpointReplay]) -> Sequence[int]:
        results = []
        for item in items:
            replayed = connection.execute(
                webhook_outbox.update()
                .where(
                    webhook_outbox.c.account_id == item.account_id,
                    webhook_outbox.c.endpoint_id == item.endpoint_id,
                    webhook_outbox.c.created_at >= item.since,
                    webhook_outbox.c.status != "pending",
                )
                .values(_redeliver(item.now))
            )
            results.append(replayed.rowcount)
        return results
