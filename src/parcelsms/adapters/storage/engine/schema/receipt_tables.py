"""Delivery receipts not matched yet, those that never matched, and channels' id formats.

Declared on the one :data:`~.metadata.metadata`; migrations create exactly these tables.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Index,
    String,
    Table,
    Text,
    false,
)

from parcelsms.adapters.storage.engine.schema.column_types import (
    ID,
    AutoIncrementId,
    UtcDateTime,
    json_column,
)
from parcelsms.adapters.storage.engine.schema.metadata import metadata

pending_receipts = Table(
    "pending_receipts",
    metadata,
    Column("id", AutoIncrementId, primary_key=True, autoincrement=True),
    Column("channel", String(100), nullable=False),
    Column("carrier_id", String(100), nullable=False),
    # The exact key of the response id the receipt names; NULL while the channel's id
    # format is not known yet.
    Column("match_key", String(100)),
    # The submission it belongs to, when the channel knew it; NULL: choose by time.
    Column("responded_at_us", BigInteger),
    Column("received_at", UtcDateTime, nullable=False, index=True),
    Column("received_at_us", BigInteger, nullable=False),
    # Looked at once the early window closed and still matching nothing.
    Column("checked", Boolean, nullable=False, server_default=false()),
    Column("payload", json_column(), nullable=False),
    Index(None, "channel", "match_key"),
)

unmatched_receipts = Table(
    "unmatched_receipts",
    metadata,
    Column("id", String(ID), primary_key=True),
    Column("channel", String(100), nullable=False),
    Column("carrier_id", String(100), nullable=False),
    Column("stat", String(16)),
    Column("err", String(16)),
    Column("raw", Text, nullable=False),
    Column("received_at", UtcDateTime, nullable=False),
    Column("moved_at", UtcDateTime, nullable=False, index=True),
)

channel_id_formats = Table(
    "channel_id_formats",
    metadata,
    Column("channel", String(100), primary_key=True),
    Column("reading", String(40), nullable=False),
    Column("learned_at", UtcDateTime, nullable=False),
)
