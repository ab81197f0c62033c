"""Webhooks: each account's endpoints (with their subscriptions and secrets) and the outbox
of deliveries.

Declared on the one :data:`~.metadata.metadata`; migrations create exactly these tables.
"""

from __future__ import annotations

from typing import get_args

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Column,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
)

from parcelsms.adapters.storage.engine.schema.checks import one_of
from parcelsms.adapters.storage.engine.schema.column_types import (
    ID,
    UtcDateTime,
    json_column,
)
from parcelsms.adapters.storage.engine.schema.metadata import metadata
from parcelsms.pipeline.webhook_ports import DeliveryStatus

webhook_endpoints = Table(
    "webhook_endpoints",
    metadata,
    Column("id", String(ID), primary_key=True),
    Column("account_id", String(ID), ForeignKey("accounts.id"), nullable=False, index=True),
    Column("url", Text, nullable=False),
    # Canonical event type names (parcelsms.domain.webhook_routing), a JSON list.
    Column("event_types", json_column(), nullable=False),
    # The endpoint of the original single-endpoint API (/v1/webhooks); its secret also
    # signs the webhooks sent to messages' own callback URLs.
    Column("is_default", Boolean, nullable=False),
    Column("enabled", Boolean, nullable=False),
    Column("secret", String(200), nullable=False),
    # After a rotation the old secret signs too, until previous_secret_until.
    Column("previous_secret", String(200)),
    Column("previous_secret_until", UtcDateTime),
    Column("created_at", UtcDateTime, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
)

OUTBOX_STATUSES: tuple[str, ...] = get_args(DeliveryStatus)  # a new one needs a migration

webhook_outbox = Table(
    "webhook_outbox",
    metadata,
    Column("id", String(ID), primary_key=True),
    Column("account_id", String(ID), ForeignKey("accounts.id"), nullable=False),
    # The webhook-id header: one event sent to several endpoints keeps one id.
    Column("event_id", String(ID), nullable=False),
    # NULL for a message's own callback_url.
    Column("endpoint_id", String(ID)),
    Column("event_type", String(40), nullable=False),
    # NULL for account events (balance.low, account.threshold_warning; migration 0004).
    Column("message_id", String(ID), ForeignKey("messages.id"), index=True),
    Column("url", Text, nullable=False),
    Column("payload", Text, nullable=False),
    Column("status", String(16), nullable=False),
    Column("attempts", Integer, nullable=False),
    Column("next_attempt_at", UtcDateTime, nullable=False),
    Column("last_status", Integer),
    Column("last_error", Text),
    Column("latency_ms", Integer),
    Column("created_at", UtcDateTime, nullable=False),
    # The retry window runs from here: created_at, or the moment of a redelivery request.
    Column("retry_from", UtcDateTime),
    Column("delivered_at", UtcDateTime),
    # Comparisons, not IN: written for every webhook (checks.py, migration 0023).
    CheckConstraint(one_of("status", OUTBOX_STATUSES), name="status"),
    Index(None, "status", "next_attempt_at"),
    Index(None, "account_id", "id"),
    Index(None, "endpoint_id", "created_at"),
)
