"""Outbox rows for an event: the endpoints' subscriptions read once per batch, routed by
:func:`parcelsms.domain.webhook_routing.route_event`, one row per destination.

Used by every writer of webhooks (status changes in ``messages/transition_rows``, account
events in ``billing/notification_rows``), in the writer's own transaction. The read is one
``SELECT`` per batch for all the batch's accounts (no cache to invalidate: an endpoint or
subscription change applies to the next batch, in every process); on SQLite it runs on the
driver's cursor, as the other lookups of the write transactions do.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

import msgspec
from sqlalchemy import select
from sqlalchemy.engine import Connection

from parcelsms.adapters.storage.engine.bulk_statements import insert_statement
from parcelsms.adapters.storage.engine.conditions import in_json_array, json_array
from parcelsms.adapters.storage.engine.driver_queries import SqliteDriverQuery
from parcelsms.adapters.storage.engine.schema.webhook_tables import (
    webhook_endpoints,
    webhook_outbox,
)
from parcelsms.domain.ids import new_id
from parcelsms.domain.webhook_routing import Route, Subscription

OUTBOX_COLUMNS = (
    "id",
    "event_id",
    "account_id",
    "endpoint_id",
    "event_type",
    "message_id",
    "url",
    "payload",
    "status",
    "attempts",
    "next_attempt_at",
    "created_at",
)
OUTBOX_INSERT = insert_statement(webhook_outbox, OUTBOX_COLUMNS)


_SUBSCRIPTIONS = select(
    webhook_endpoints.c.id,
    webhook_endpoints.c.account_id,
    webhook_endpoints.c.url,
    webhook_endpoints.c.event_types,
).where(webhook_endpoints.c.enabled)
# Read in every transaction that writes webhooks: on SQLite one statement text for any
# number of accounts (a JSON array), run on the driver's cursor (``SqliteDriverQuery``).
_SQLITE_SUBSCRIPTIONS = SqliteDriverQuery(
    _SUBSCRIPTIONS.where(in_json_array(webhook_endpoints.c.account_id, "accounts")).order_by(
        webhook_endpoints.c.id
    )
)


def read_subscriptions(
    connection: Connection, account_ids: Iterable[str]
) -> dict[str, list[Subscription]]:
    """Each account's enabled endpoints, oldest first; accounts without one are absent."""
    accounts = sorted(set(account_ids))
    if not accounts:
        return {}
    found: dict[str, list[Subscription]] = {}
    if connection.dialect.name == "sqlite":
        for endpoint_id, account_id, url, event_types in _SQLITE_SUBSCRIPTIONS.rows(
            connection, accounts=json_array(accounts)
        ):
            found.setdefault(account_id, []).append(
                Subscription(endpoint_id, url, frozenset(msgspec.json.decode(event_types)))
            )
        return found
    rows = connection.execute(
        _SUBSCRIPTIONS.where(webhook_endpoints.c.account_id.in_(accounts)).order_by(
            webhook_endpoints.c.id
        )
    )
    for row in rows:
        found.setdefault(row.account_id, []).append(
            Subscription(row.id, row.url, frozenset(row.event_types))
        )
    return found


def outbox_rows(
    routes: list[Route],
    *,
    event_id: str,
    account_id: str,
    message_id: str | None,
    payload: str,
    at: datetime,
) -> list[tuple[Any, ...]]:
    """Value tuples (:data:`OUTBOX_COLUMNS`) of one event's rows. The first destination's
    row takes the event's id as its own (one endpoint: delivery id = webhook-id)."""
    rows = []
    for index, route in enumerate(routes):
        rows.append(
            (
                event_id if index == 0 else new_id("evt"),
                event_id,
                account_id,
                route.endpoint_id,
                route.event_type,
                message_id,
                route.url,
                payload,
                "pending",
                0,
                at,
                at,
            )
        )
    return rows
