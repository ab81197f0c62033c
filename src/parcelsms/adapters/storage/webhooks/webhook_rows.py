"""The webhook outbox as a work queue (rows are written by :mod:`.outbox_routing_rows`).

A sender claims due rows with a lease: claiming moves ``next_attempt_at`` to the end of the
lease, so a row whose sender died becomes due again by itself, and a restart loses nothing.
The lease is short; a sender renews it for rows whose request is still in flight and
releases (makes due now) the rows it claimed but did not attempt when it stops.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Integer, and_, bindparam, func, or_, select
from sqlalchemy.engine import Connection

from parcelsms.adapters.storage.context import StorageContext
from parcelsms.adapters.storage.engine.conditions import in_json_array, json_array
from parcelsms.adapters.storage.engine.driver_queries import SqliteDriverQuery
from parcelsms.adapters.storage.engine.keyed_updates import KeyedUpdate
from parcelsms.adapters.storage.engine.schema.column_types import (
    UtcDateTime,
    sqlite_datetime,
    sqlite_text,
)
from parcelsms.adapters.storage.engine.schema.webhook_tables import (
    webhook_endpoints,
    webhook_outbox,
)
from parcelsms.pipeline.webhook_ports import WebhookDelivery, WebhookResult


@dataclass(frozen=True, slots=True)
class WebhookClaimRequest:
    limit: int
    now: datetime
    lease_seconds: float
    busy_urls: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class LeaseChange:
    """Renew (``until`` the new lease end) or release (``until`` now) claimed rows."""

    claims: tuple[tuple[str, int], ...]
    until: datetime


_CLAIMED_COLUMNS = (
    webhook_outbox.c.id,
    webhook_outbox.c.event_id,
    webhook_outbox.c.account_id,
    webhook_outbox.c.endpoint_id,
    webhook_outbox.c.message_id,
    webhook_outbox.c.url,
    webhook_outbox.c.payload,
    webhook_outbox.c.attempts,
    webhook_outbox.c.created_at,
    webhook_outbox.c.retry_from,
)
_SECRET_COLUMNS = (
    webhook_endpoints.c.id,
    webhook_endpoints.c.account_id,
    webhook_endpoints.c.is_default,
    webhook_endpoints.c.secret,
    webhook_endpoints.c.previous_secret,
    webhook_endpoints.c.previous_secret_until,
)


def _due_ids(exclude_urls: bool) -> Any:
    conditions = [
        webhook_outbox.c.status == "pending",
        webhook_outbox.c.next_attempt_at <= bindparam("b_now", type_=UtcDateTime),
    ]
    if exclude_urls:
        conditions.append(webhook_outbox.c.url.not_in(bindparam("b_busy", expanding=True)))
    return (
        select(webhook_outbox.c.id)
        .where(*conditions)
        .order_by(webhook_outbox.c.next_attempt_at)
        .limit(bindparam("b_limit", type_=Integer))
        .with_for_update(skip_locked=True)
    )


def _claim_statement(exclude_urls: bool) -> Any:
    # Claiming moves the rows' next attempt to the end of the lease and reads them, in one
    # statement (UPDATE ... RETURNING) rather than a SELECT and an UPDATE naming every id.
    return (
        webhook_outbox.update()
        .where(webhook_outbox.c.id.in_(_due_ids(exclude_urls)))
        .values(next_attempt_at=bindparam("b_lease", type_=UtcDateTime))
        .returning(*_CLAIMED_COLUMNS)
    )


_CLAIM = _claim_statement(exclude_urls=False)
_CLAIM_EXCLUDING = _claim_statement(exclude_urls=True)

# On SQLite the claim and the secrets' read run on the driver's cursor (driver_queries.py): the
# webhook process holds the machine-wide write lock while it claims, and through Core the
# two statements cost about 1.3 ms and 0.5 ms per claim (the busy URLs' expanding IN and the
# secrets' were compiled anew for every claim; a Row and two datetime conversions per row).
# Busy URLs are one JSON array, empty when none is busy: one statement text for every claim.
_SQLITE_CLAIM = SqliteDriverQuery(
    webhook_outbox.update()
    .where(
        webhook_outbox.c.id.in_(
            select(webhook_outbox.c.id)
            .where(
                webhook_outbox.c.status == "pending",
                webhook_outbox.c.next_attempt_at <= bindparam("b_now"),
                ~in_json_array(webhook_outbox.c.url, "b_busy"),
            )
            .order_by(webhook_outbox.c.next_attempt_at)
            .limit(bindparam("b_limit", type_=Integer))
        )
    )
    .values(next_attempt_at=bindparam("b_lease"))
    .returning(*_CLAIMED_COLUMNS)
)
_SQLITE_SECRETS = SqliteDriverQuery(
    select(*_SECRET_COLUMNS).where(
        or_(
            in_json_array(webhook_endpoints.c.id, "b_endpoints"),
            and_(
                in_json_array(webhook_endpoints.c.account_id, "b_accounts"),
                webhook_endpoints.c.is_default,
            ),
        )
    )
)

_Claimed = tuple[str, str, str, str | None, str | None, str, str, int, datetime, datetime | None]
"""A claimed row: the values of :data:`_CLAIMED_COLUMNS`, times as aware datetimes."""
_Endpoint = tuple[str, str, bool, str, str | None, datetime | None]
"""An endpoint's signing row: the values of :data:`_SECRET_COLUMNS`."""


def _signing_secrets(endpoint: _Endpoint, now: datetime) -> tuple[str, ...]:
    _, _, _, secret, previous_secret, until = endpoint
    if previous_secret is not None and until is not None and until > now:
        return (secret, previous_secret)
    return (secret,)


def _claimed_on_sqlite(connection: Connection, request: WebhookClaimRequest) -> list[_Claimed]:
    rows = _SQLITE_CLAIM.rows(
        connection,
        b_now=sqlite_text(request.now),
        b_busy=json_array(request.busy_urls),
        b_limit=request.limit,
        b_lease=sqlite_text(request.now + timedelta(seconds=request.lease_seconds)),
    )
    return [(*row[:8], sqlite_datetime(row[8]), sqlite_datetime(row[9])) for row in rows]


def _claimed_through_core(connection: Connection, request: WebhookClaimRequest) -> list[_Claimed]:
    parameters: dict[str, Any] = {
        "b_now": request.now,
        "b_limit": request.limit,
        "b_lease": request.now + timedelta(seconds=request.lease_seconds),
    }
    statement = _CLAIM
    if request.busy_urls:
        statement = _CLAIM_EXCLUDING
        parameters["b_busy"] = list(request.busy_urls)
    return [tuple(row) for row in connection.execute(statement, parameters)]


class WebhookClaimOperation:
    """Claims due pending outbox rows, each request for one sender, with their secrets."""

    def __call__(
        self, connection: Connection, requests: list[WebhookClaimRequest]
    ) -> Sequence[list[WebhookDelivery]]:
        on_sqlite = connection.dialect.name == "sqlite"
        results = []
        for request in requests:
            claimed = (
                _claimed_on_sqlite(connection, request)
                if on_sqlite
                else _claimed_through_core(connection, request)
            )
            claimed.sort(key=lambda row: row[0])  # RETURNING has no order: oldest first
            secrets = self._secrets(connection, claimed, request.now, on_sqlite)
            results.append(
                [
                    WebhookDelivery(
                        id=row_id,
                        event_id=event_id,
                        account_id=account_id,
                        endpoint_id=endpoint_id,
                        message_id=message_id,
                        url=url,
                        secrets=secrets.get(endpoint_id or ("default", account_id), ()),
                        payload=payload,
                        attempts=attempts,
                        created_at=created_at,
                        retry_from=retry_from or created_at,
                    )
                    for (
                        row_id,
                        event_id,
                        account_id,
                        endpoint_id,
                        message_id,
                        url,
                        payload,
                        attempts,
                        created_at,
                        retry_from,
                    ) in claimed
                ]
            )
        return results

    @staticmethod
    def _secrets(
        connection: Connection, rows: list[_Claimed], now: datetime, on_sqlite: bool
    ) -> dict[Any, tuple[str, ...]]:
        """Secrets by endpoint id, and by ``("default", account_id)`` for callbacks."""
        endpoint_ids = sorted({row[3] for row in rows if row[3] is not None})
        callback_accounts = sorted({row[2] for row in rows if row[3] is None})
        if not endpoint_ids and not callback_accounts:
            return {}
        endpoints: list[_Endpoint]
        if on_sqlite:
            endpoints = [
                (row[0], row[1], bool(row[2]), row[3], row[4], sqlite_datetime(row[5]))
                for row in _SQLITE_SECRETS.rows(
                    connection,
                    b_endpoints=json_array(endpoint_ids),
                    b_accounts=json_array(callback_accounts),
                )
            ]
        else:
            endpoints = [
                tuple(row)
                for row in connection.execute(
                    select(*_SECRET_COLUMNS).where(
                        or_(
                            webhook_endpoints.c.id.in_(endpoint_ids),
                            and_(
                                webhook_endpoints.c.account_id.in_(callback_accounts),
                                webhook_endpoints.c.is_default,
                            ),
                        )
                    )
                )
            ]
        found: dict[Any, tuple[str, ...]] = {}
        for endpoint in endpoints:
            endpoint_id, account_id, is_default = endpoint[:3]
            secrets = _signing_secrets(endpoint, now)
            found[endpoint_id] = secrets
            if is_default:
                found[("default", account_id)] = secrets
        return found


# Each result its own row of values (status, retry time, latency), one statement for a batch.
# Only a row still pending is updated; "still" is a value of the row (``was``, always
# 'pending'), not a constant: see KeyedUpdate on why a condition on the table alone is slow.
_RESULT_UPDATE = KeyedUpdate(
    (
        "status",
        "next_attempt_at",
        "last_status",
        "last_error",
        "delivered_at",
        "latency",
        "id",
        "was",
    ),
    ("id",),
    {"next_attempt_at": UtcDateTime(), "delivered_at": UtcDateTime()},
    lambda row: (
        webhook_outbox.update()
        .where(webhook_outbox.c.id == row.c.id, webhook_outbox.c.status == row.c.was)
        .values(
            status=row.c.status,
            attempts=webhook_outbox.c.attempts + 1,
            next_attempt_at=func.coalesce(row.c.next_attempt_at, webhook_outbox.c.next_attempt_at),
            last_status=row.c.last_status,
            last_error=row.c.last_error,
            delivered_at=row.c.delivered_at,
            latency_ms=func.coalesce(row.c.latency, webhook_outbox.c.latency_ms),
        )
    ),
)
# A deferred row (its endpoint was busy) goes back untried: no attempt is counted.
_DEFER_UPDATE = (
    webhook_outbox.update()
    .where(
        webhook_outbox.c.id.in_(bindparam("b_ids", expanding=True)),
        webhook_outbox.c.status == "pending",
    )
    .values(next_attempt_at=bindparam("b_next_attempt_at", type_=UtcDateTime))
)
_RESULT_CHUNK = 500


class WebhookResultOperation:
    """Records delivery attempts: delivered, retry later, give up (``dead``), or deferred."""

    def __init__(self, context: StorageContext) -> None:
        self._context = context

    def __call__(self, connection: Connection, results: list[WebhookResult]) -> Sequence[None]:
        now = self._context.clock()
        deferred: dict[datetime | None, list[str]] = {}
        attempted: list[tuple[Any, ...]] = []
        for result in results:
            if result.deferred:
                deferred.setdefault(result.next_attempt_at or now, []).append(result.id)
                continue
            if result.ok:
                status = "delivered"
            elif result.next_attempt_at is None:
                status = "dead"
            else:
                status = "pending"
            attempted.append(
                (
                    status,
                    None if result.ok else result.next_attempt_at,
                    result.status,
                    result.error,
                    now if result.ok else None,
                    result.latency_ms,
                    result.id,
                    "pending",
                )
            )
        _RESULT_UPDATE.execute(connection, attempted)
        for due, ids in deferred.items():
            for start in range(0, len(ids), _RESULT_CHUNK):
                chunk = ids[start : start + _RESULT_CHUNK]
                connection.execute(_DEFER_UPDATE, {"b_ids": chunk, "b_next_attempt_at": due})
        return [None] * len(results)


# Only a row still in the claim that was renewed: pending, and not attempted since (a
# recorded result counts an attempt, so its retry time is never overwritten).
_LEASE_UPDATE = (
    webhook_outbox.update()
    .where(
        webhook_outbox.c.id == bindparam("b_id"),
        webhook_outbox.c.attempts == bindparam("b_attempts"),
        webhook_outbox.c.status == "pending",
    )
    .values(next_attempt_at=bindparam("b_until", type_=UtcDateTime))
)


class LeaseOperation:
    """Moves the next attempt of claimed rows: a renewed lease, or a release."""

    def __call__(self, connection: Connection, changes: list[LeaseChange]) -> Sequence[None]:
        for change in changes:
            if change.claims:
                connection.execute(
                    _LEASE_UPDATE,
                    [
                        {"b_id": row_id, "b_attempts": attempts, "b_until": change.until}
                        for row_id, attempts in change.claims
                    ],
                )
        return [None] * len(changes)
