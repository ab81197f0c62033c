"""Webhook endpoints: an account's several endpoints, their subscriptions and secrets.

Every operation is scoped to its account: an endpoint id of another account is not found.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.engine import Connection

from parcelsms.adapters.storage.context import StorageContext
from parcelsms.adapters.storage.engine.schema.webhook_tables import (
    webhook_endpoints,
    webhook_outbox,
)
from parcelsms.domain.ids import new_id
from parcelsms.domain.webhook_routing import DEFAULT_EVENT_TYPES
from parcelsms.pipeline.webhook_ports import EndpointChanges, WebhookEndpoint


@dataclass(frozen=True, slots=True)
class DefaultEndpointChange:
    account_id: str
    url: str
    secret: str


@dataclass(frozen=True, slots=True)
class NewEndpoint:
    account_id: str
    url: str
    event_types: tuple[str, ...]
    secret: str


@dataclass(frozen=True, slots=True)
class EndpointUpdate:
    account_id: str
    endpoint_id: str
    changes: EndpointChanges


@dataclass(frozen=True, slots=True)
class SecretRotation:
    account_id: str
    endpoint_id: str
    secret: str
    overlap_until: datetime


@dataclass(frozen=True, slots=True)
class EndpointRef:
    account_id: str
    endpoint_id: str


def endpoint_from_row(row: Any) -> WebhookEndpoint:
    return WebhookEndpoint(
        id=row.id,
        account_id=row.account_id,
        url=row.url,
        event_types=tuple(row.event_types),
        is_default=row.is_default,
        enabled=row.enabled,
        secret=row.secret,
        previous_secret=row.previous_secret,
        previous_secret_until=row.previous_secret_until,
        created_at=row.created_at,
        updated_at=row.updated_at,
    )


def read_default_endpoint(connection: Connection, account_id: str) -> WebhookEndpoint | None:
    row = connection.execute(
        select(webhook_endpoints).where(
            webhook_endpoints.c.account_id == account_id, webhook_endpoints.c.is_default
        )
    ).first()
    return None if row is None else endpoint_from_row(row)


def read_endpoint(connection: Connection, ref: EndpointRef) -> WebhookEndpoint | None:
    row = connection.execute(
        select(webhook_endpoints).where(
            webhook_endpoints.c.account_id == ref.account_id,
            webhook_endpoints.c.id == ref.endpoint_id,
        )
    ).first()
    return None if row is None else endpoint_from_row(row)


def read_endpoints(connection: Connection, account_id: str) -> list[WebhookEndpoint]:
    rows = connection.execute(
        select(webhook_endpoints)
        .where(webhook_endpoints.c.account_id == account_id)
        .order_by(webhook_endpoints.c.id)
    )
    return [endpoint_from_row(row) for row in rows]


class EndpointOperations:
    """Bulk functions for endpoint writes (one item at a time inside the group)."""

    def __init__(self, context: StorageContext) -> None:
        self._context = context

    def set_default(
        self, connection: Connection, items: list[DefaultEndpointChange]
    ) -> Sequence[WebhookEndpoint]:
        """Replace the default endpoint's URL and secret (at once: no overlap), or create it
        with the default subscriptions."""
        results = []
        for item in items:
            now = self._context.clock()
            current = read_default_endpoint(connection, item.account_id)
            if current is None:
                endpoint_id = new_id("whe")
                connection.execute(
                    webhook_endpoints.insert().values(
                        id=endpoint_id,
                        account_id=item.account_id,
                        url=item.url,
                        event_types=list(DEFAULT_EVENT_TYPES),
                        is_default=True,
                        enabled=True,
                        secret=item.secret,
                        created_at=now,
                        updated_at=now,
                    )
                )
            else:
                endpoint_id = current.id
                connection.execute(
                    webhook_endpoints.update()
                    .where(webhook_endpoints.c.id == endpoint_id)
                    .values(
                        url=item.url,
                        secret=item.secret,
                        previous_secret=None,
                        previous_secret_until=None,
                        created_at=now,
                        updated_at=now,
                    )
                )
            results.append(_existing(connection, item.account_id, endpoint_id))
        return results

    def create(self, connection: Connection, items: list[NewEndpoint]) -> Sequence[WebhookEndpoint]:
        results = []
        for item in items:
            now = self._context.clock()
            endpoint_id = new_id("whe")
            connection.execute(
                webhook_endpoints.insert().values(
                    id=endpoint_id,
                    account_id=item.account_id,
                    url=item.url,
                    event_types=list(item.event_types),
                    is_default=False,
                    enabled=True,
                    secret=item.secret,
                    created_at=now,
                    updated_at=now,
                )
            )
            results.append(_existing(connection, item.account_id, endpoint_id))
        return results

    def update(
        self, connection: Connection, items: list[EndpointUpdate]
    ) -> Sequence[WebhookEndpoint | None]:
        results: list[WebhookEndpoint | None] = []
        for item in items:
            values: dict[str, Any] = {"updated_at": self._context.clock()}
            changes = item.changes
            if changes.url is not None:
                values["url"] = changes.url
            if changes.event_types is not None:
                values["event_types"] = list(changes.event_types)
            if changes.enabled is not None:
                values["enabled"] = changes.enabled
            updated = connection.execute(
                webhook_endpoints.update()
                .where(
                    webhook_endpoints.c.account_id == item.account_id,
                    webhook_endpoints.c.id == item.endpoint_id,
                )
                .values(values)
            )
            found = updated.rowcount > 0
            results.append(
                _existing(connection, item.account_id, item.endpoint_id) if found else None
            )
        return results

    def rotate(
        self, connection: Connection, items: list[SecretRotation]
    ) -> Sequence[WebhookEndpoint | None]:
        results: list[WebhookEndpoint | None] = []
        for item in items:
            current = read_endpoint(connection, EndpointRef(item.account_id, item.endpoint_id))
            if current is None:
                results.append(None)
                continue
            connection.execute(
                webhook_endpoints.update()
                .where(webhook_endpoints.c.id == current.id)
                .values(
                    secret=item.secret,
                    previous_secret=current.secret,
                    previous_secret_until=item.overlap_until,
                    updated_at=self._context.clock(),
                )
            )
            results.append(_existing(connection, item.account_id, current.id))
        return results

    def delete(self, connection: Connection, items: list[EndpointRef]) -> Sequence[bool]:
        """Delete endpoints; their pending deliveries are dead-lettered (kept, listed)."""
        results = []
        for item in items:
            if read_endpoint(connection, item) is None:
                results.append(False)
                continue
            connection.execute(
                webhook_outbox.update()
                .where(
                    webhook_outbox.c.endpoint_id == item.endpoint_id,
                    webhook_outbox.c.status == "pending",
                )
                .values(status="dead", last_error="endpoint_deleted")
            )
            connection.execute(
                webhook_endpoints.delete().where(webhook_endpoints.c.id == item.endpoint_id)
            )
            results.append(True)
        return results


def _existing(connection: Connection, account_id: str, endpoint_id: str) -> WebhookEndpoint:
    endpoint = read_endpoint(connection, EndpointRef(account_id, endpoint_id))
    assert endpoint is not None, "the endpoint was written in this transaction"
    return endpoint
