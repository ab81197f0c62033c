"""Webhooks: each account's endpoint and the outbox of deliveries.

Declared on the one :data:`~.metadata.metadata`; migrations create exactly these tables.
"""

from __future__ import annotations

from sqlalchemy import (
    CheckConstraint,
    Column,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
)

from parcelsms.adapters.storage.engine.schema.column_types import (
    ID,
    UtcDateTime,
)
from parcelsms.adapters.storage.engine.schema.metadata import metadata

webhook_endpoints = Table(
    "webhook_endpoints",
    metadata,
    Column("account_id", String(ID), ForeignKey("accounts.id"), primary_key=True),
    Column("url", Text, nullable=False),
    Column("secret", String(200), nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
)

webhook_outbox = Table(
    "webhook_outbox",
    metadata,
    Column("id", String(ID), primary_key=True),
    Column("account_id", String(ID), ForeignKey("accounts.id"), nullable=False),
    # NULL for account events (balance.low, account.threshold_warning; migration 0004).
    Column("message_id", String(ID), ForeignKey("messages.id"), index=True),
    Column("url", Text, nullable=False),
    Column("payload", Text, nullable=False),
    Column("status", String(16), nullable=False),
    Column("attempts", Integer, nullable=False),
    Column("next_attempt_at", UtcDateTime, nullable=False),
    Column("last_status", Integer),
    Column("last_error", Text),
    Column("created_at", UtcDateTime, nullable=False),
    Column("delivered_at", UtcDateTime),
    CheckConstraint("status IN ('pending', 'delivered', 'failed')", name="status"),
    Index(None, "status", "next_attempt_at"),
)
