"""Money and limits: the ledger, prices, channel costs, packages, notifications, account limits.

Declared on the one :data:`~.metadata.metadata`; migrations create exactly these tables.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Column,
    ForeignKey,
    Index,
    Integer,
    PrimaryKeyConstraint,
    String,
    Table,
    Text,
    UniqueConstraint,
    text,
)

from parcelsms.adapters.storage.engine.schema.checks import one_of
from parcelsms.adapters.storage.engine.schema.column_types import (
    ID,
    UtcDateTime,
    json_column,
)
from parcelsms.adapters.storage.engine.schema.metadata import metadata
from parcelsms.pipeline.billing_ports import LEDGER_KINDS  # a new kind needs a migration

ledger = Table(
    "ledger",
    metadata,
    Column("id", String(ID), primary_key=True),
    Column("account_id", String(ID), ForeignKey("accounts.id"), nullable=False),
    Column("message_id", String(ID), ForeignKey("messages.id")),
    Column("kind", String(16), nullable=False),
    Column("amount_micros", BigInteger, nullable=False),
    Column("reserved_delta_micros", BigInteger, nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("note", Text),
    # Package movements (migration 0004): the package and its segments moved (+ grant and
    # refund, - use); 0 for money rows.
    Column("package_id", String(ID), ForeignKey("packages.id")),
    Column("segments_delta", Integer, nullable=False, server_default=text("0")),
    # Comparisons, not IN: written twice for every message (checks.py, migration 0023).
    CheckConstraint(one_of("kind", LEDGER_KINDS), name="kind"),
    Index(None, "account_id", "id"),
    # One reserve, one settle, one refund at most per message (NULL message ids, i.e.
    # top-ups, are distinct).
    UniqueConstraint("message_id", "kind"),
)

# The operator's per-segment prices; country '*' is the default. Seeded from [prices] once.
prices = Table(
    "prices",
    metadata,
    Column("country", String(2), primary_key=True),
    Column("price_micros", BigInteger, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
    CheckConstraint("price_micros >= 0", name="price_not_negative"),
)

# What a channel costs the operator per segment, by country ('*': the channel's default).
channel_costs = Table(
    "channel_costs",
    metadata,
    Column("channel", String(100), nullable=False),
    Column("country", String(2), nullable=False),
    Column("cost_micros", BigInteger, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
    PrimaryKeyConstraint("channel", "country"),
    CheckConstraint("cost_micros >= 0", name="cost_not_negative"),
)

# Bundles of segments for a region with an expiry. remaining_segments only moves through
# ledger rows naming the package (grant +, use -, refund +).
packages = Table(
    "packages",
    metadata,
    Column("id", String(ID), primary_key=True),
    Column("account_id", String(ID), ForeignKey("accounts.id"), nullable=False),
    Column("name", String(200), nullable=False),
    Column("region", String(16), nullable=False),
    Column("countries", json_column(), nullable=False),
    Column("segments", Integer, nullable=False),
    Column("remaining_segments", Integer, nullable=False),
    Column("expires_at", UtcDateTime, nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    CheckConstraint("region IN ('domestic', 'international', 'countries')", name="region"),
    CheckConstraint("remaining_segments >= 0", name="remaining_not_negative"),
    Index(None, "account_id", "expires_at"),
)

# E-mail-ready notices to an account (low balance, daily-limit warnings).
notifications = Table(
    "notifications",
    metadata,
    Column("id", String(ID), primary_key=True),
    Column("account_id", String(ID), ForeignKey("accounts.id"), nullable=False),
    Column("kind", String(64), nullable=False),
    Column("subject", String(200), nullable=False),
    Column("body", Text, nullable=False),
    Column("data", json_column(), nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Index(None, "account_id", "id"),
    Index(None, "kind", "id"),
)

# Per-account limits set by the operator; NULL: the configured default ([limits]).
account_limits = Table(
    "account_limits",
    metadata,
    Column("account_id", String(ID), ForeignKey("accounts.id"), primary_key=True),
    Column("recipient_per_hour", Integer),
    Column("recipient_per_day", Integer),
    Column("duplicate_window_seconds", Integer),
    Column("daily_messages", Integer),
    Column("daily_spend_micros", BigInteger),
    Column("updated_at", UtcDateTime, nullable=False),
)
