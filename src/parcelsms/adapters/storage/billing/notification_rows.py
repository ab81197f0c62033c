"""Account events: the notification row and its webhook, written in the caller's transaction.

The webhook goes through the same outbox as message webhooks (``message_id`` NULL), to the
account's endpoints subscribed to the event's type
(:func:`~parcelsms.domain.webhook_routing.route_event`); with none, only the notification is
stored. Its body is built
once here, so every retry sends the same bytes and signature input.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import msgspec
from sqlalchemy import select
from sqlalchemy.engine import Connection

from parcelsms.adapters.storage.engine.id_cursors import decode_id_cursor, encode_id_cursor
from parcelsms.adapters.storage.engine.schema.billing_tables import notifications
from parcelsms.adapters.storage.webhooks.outbox_routing_rows import (
    OUTBOX_INSERT,
    outbox_rows,
    read_subscriptions,
)
from parcelsms.domain.account_events import AccountEvent
from parcelsms.domain.webhook_routing import canonical_event_type, route_event
from parcelsms.pipeline.billing_ports import Notification, NotificationPage

MAX_PAGE_SIZE = 500
_encoder = msgspec.json.Encoder()


def write_account_events(connection: Connection, events: Sequence[AccountEvent]) -> None:
    """Insert each event's notification and, for accounts with an endpoint, its webhook."""
    if not events:
        return
    connection.execute(
        notifications.insert(),
        [
            {
                "id": event.event_id,
                "account_id": event.account_id,
                "kind": event.type,
                "subject": event.subject[:200],
                "body": event.body,
                "data": event.data,
                "created_at": event.at,
            }
            for event in events
        ],
    )
    subscriptions = read_subscriptions(connection, (event.account_id for event in events))
    hooks = []
    for event in events:
        routes = route_event(
            frozenset({canonical_event_type(event.type)}),
            subscriptions.get(event.account_id, ()),
        )
        if routes:
            hooks.extend(
                outbox_rows(
                    routes,
                    event_id=event.event_id,
                    account_id=event.account_id,
                    message_id=None,
                    payload=_encoder.encode(event.webhook_payload()).decode("utf-8"),
                    at=event.at,
                )
            )
    OUTBOX_INSERT.execute(connection, hooks)


def _notification(row: Any) -> Notification:
    return Notification(
        id=row.id,
        account_id=row.account_id,
        kind=row.kind,
        subject=row.subject,
        body=row.body,
        data=dict(row.data),
        created_at=row.created_at,
    )


def read_notification_page(
    connection: Connection, account_id: str, cursor: str | None, limit: int
) -> NotificationPage:
    """Newest first, keyset-paginated by id."""
    limit = max(1, min(limit, MAX_PAGE_SIZE))
    query = (
        select(notifications)
        .where(notifications.c.account_id == account_id)
        .order_by(notifications.c.id.desc())
        .limit(limit + 1)
    )
    if cursor is not None:
        query = query.where(notifications.c.id < decode_id_cursor(cursor, "evt"))
    rows = connection.execute(query).all()
    items = tuple(_notification(row) for row in rows[:limit])
    next_cursor = encode_id_cursor(items[-1].id) if len(rows) > limit else None
    return NotificationPage(items=items, next_cursor=next_cursor)
