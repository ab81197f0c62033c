"""Webhook endpoints and the webhook outbox (rows are written by :mod:`.transitions`).

A sender claims due rows with a lease: claiming moves ``next_attempt_at`` to the end of the
lease, so a row whose sender died becomes due again by itself, and a restart loses nothing.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Integer, bindparam, func, select
from sqlalchemy.engine import Connection

from parcelsms.adapters.storage.context import StorageContext
from parcelsms.adapters.storage.engine.schema.column_types import UtcDateTime
from parcelsms.adapters.storage.engine.schema.webhook_tables import (
    webhook_endpoints,
    webhook_outbox,
)
from parcelsms.pipeline.webhook_ports import (
    WebhookAttempt,
    WebhookDelivery,
    WebhookEndpoint,
    WebhookResult,
)


@dataclass(frozen=True, slots=True)
class WebhookClaimRequest:
    limit: int
    now: datetime
    lease_seconds: float


@dataclass(frozen=True, slots=True)
class EndpointChange:
    account_id: str
    url: str
    secret: str


_DUE_IDS = (
    select(webhook_outbox.c.id)
    .where(
        webhook_outbox.c.status == "pending",
        webhook_outbox.c.next_attempt_at <= bindparam("b_now", type_=UtcDateTime),
    )
    .order_by(webhook_outbox.c.next_attempt_at)
    .limit(bindparam("b_limit", type_=Integer))
    .with_for_update(skip_locked=True)
)
# Claiming moves the rows' next attempt to the end of the lease and reads them, in one
# statement (UPDATE ... RETURNING) rather than a SELECT and an UPDATE naming every id.
_CLAIM = (
    webhook_outbox.update()
    .where(webhook_outbox.c.id.in_(_DUE_IDS))
    .values(next_attempt_at=bindparam("b_lease", type_=UtcDateTime))
    .returning(
        webhook_outbox.c.id,
        webhook_outbox.c.account_id,
        webhook_outbox.c.message_id,
        webhook_outbox.c.url,
        webhook_outbox.c.payload,
        webhook_outbox.c.attempts,
        webhook_outbox.c.created_at,
    )
)


class WebhookClaimOperation:
    """Claims due pending outbox rows, each request for one sender."""

    def __call__(
        self, connection: Connection, requests: list[WebhookClaimRequest]
    ) -> Sequence[list[WebhookDelivery]]:
        results = []
        for request in requests:
            lease_end = request.now + timedelta(seconds=request.lease_seconds)
            claimed = connection.execute(
                _CLAIM, {"b_now": request.now, "b_limit": request.limit, "b_lease": lease_end}
            )
            rows = sorted(claimed, key=lambda row: row.id)  # RETURNING has no order: oldest first
            secrets: dict[str, str] = {}
            if rows:
                accounts = sorted({row.account_id for row in rows})
                secrets = {
                    row.account_id: row.secret
                    for row in connection.execute(
                        select(webhook_endpoints.c.account_id, webhook_endpoints.c.secret).where(
                            webhook_endpoints.c.account_id.in_(accounts)
                        )
                    )
                }
            results.append(
                [
                    WebhookDelivery(
                        id=row.id,
                        account_id=row.account_id,
                        message_id=row.message_id,
                        url=row.url,
                        secret=secrets.get(row.account_id),
                        payload=row.payload,
                        attempts=row.attempts,
                        created_at=row.created_at,
                    )
                    for row in rows
                ]
            )
        return results


_RESULT_COLUMNS = ("status", "next_attempt_at", "last_status", "last_error", "delivered_at")
_RESULT_UPDATE = (
    webhook_outbox.update()
    .where(
        webhook_outbox.c.id.in_(bindparam("b_ids", expanding=True)),
        webhook_outbox.c.status == "pending",
    )
    .values(
        status=bindparam("b_status"),
        attempts=webhook_outbox.c.attempts + 1,
        next_attempt_at=func.coalesce(
            bindparam("b_next_attempt_at", type_=UtcDateTime), webhook_outbox.c.next_attempt_at
        ),
        last_status=bindparam("b_last_status"),
        last_error=bindparam("b_last_error"),
        delivered_at=bindparam("b_delivered_at", type_=UtcDateTime),
    )
)
_RESULT_CHUNK = 500


class WebhookResultOperation:
    """Records delivery attempts: delivered, retry later, or give up (``failed``)."""

    def __init__(self, context: StorageContext) -> None:
        self._context = context

    def __call__(self, connection: Connection, results: list[WebhookResult]) -> Sequence[None]:
        now = self._context.clock()
        # Results with the same values (every "delivered, 204" of a batch) share one
        # UPDATE ... WHERE id IN (...) instead of one statement execution per row.
        groups: dict[tuple[Any, ...], list[str]] = {}
        for result in results:
            if result.ok:
                status = "delivered"
            elif result.next_attempt_at is None:
                status = "failed"
            else:
                status = "pending"
            values = (
                status,
                None if result.ok else result.next_attempt_at,
                result.status,
                result.error,
                now if result.ok else None,
            )
            groups.setdefault(values, []).append(result.id)
        for values, ids in groups.items():
            parameters = {
                f"b_{name}": value for name, value in zip(_RESULT_COLUMNS, values, strict=True)
            }
            for start in range(0, len(ids), _RESULT_CHUNK):
                chunk = ids[start : start + _RESULT_CHUNK]
                connection.execute(_RESULT_UPDATE, {"b_ids": chunk, **parameters})
        return [None] * len(results)


class EndpointOperation:
    """Creates or replaces an account's webhook endpoint."""

    def __init__(self, context: StorageContext) -> None:
        self._context = context

    def __call__(
        self, connection: Connection, changes: list[EndpointChange]
    ) -> Sequence[WebhookEndpoint]:
        results = []
        for change in changes:
            now = self._context.clock()
            updated = connection.execute(
                webhook_endpoints.update()
                .where(webhook_endpoints.c.account_id == change.account_id)
                .values(url=change.url, secret=change.secret, created_at=now)
            )
            if updated.rowcount == 0:
                connection.execute(
                    webhook_endpoints.insert().values(
                        account_id=change.account_id,
                        url=change.url,
                        secret=change.secret,
                        created_at=now,
                    )
                )
            results.append(
                WebhookEndpoint(
                    account_id=change.account_id,
                    url=change.url,
                    secret=change.secret,
                    created_at=now,
                )
            )
        return results


def read_endpoint(connection: Connection, account_id: str) -> WebhookEndpoint | None:
    row = connection.execute(
        select(webhook_endpoints).where(webhook_endpoints.c.account_id == account_id)
    ).first()
    if row is None:
        return None
    return WebhookEndpoint(
        account_id=row.account_id, url=row.url, secret=row.secret, created_at=row.created_at
    )


def read_attempts(
    connection: Connection, account_id: str, message_id: str | None, limit: int
) -> list[WebhookAttempt]:
    """The account's outbox rows (of one message when given), newest first."""
    query = select(webhook_outbox).where(webhook_outbox.c.account_id == account_id)
    if message_id is not None:
        query = query.where(webhook_outbox.c.message_id == message_id)
    rows = connection.execute(query.order_by(webhook_outbox.c.id.desc()).limit(limit))
    return [
        WebhookAttempt(
            id=row.id,
            message_id=row.message_id,
            url=row.url,
            status=row.status,
            attempts=row.attempts,
            last_status=row.last_status,
            last_error=row.last_error,
            created_at=row.created_at,
            delivered_at=row.delivered_at,
        )
        for row in rows
    ]
