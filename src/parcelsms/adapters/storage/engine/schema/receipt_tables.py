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
    text,
)

from parcelsms.adapters.storage.engine.schema.column_types import (
    ID,
    AutoIncrementId,
    UtcDateTime,
    json_column,
)
from parcelsms.adapters.storage.engine.schema.metadata import metadata

# The sweep's conditions as each dialect renders them (``checked.is_(False)``), so that the
# planner sees that the query implies the partial index's condition.
_UNCHECKED_SQLITE = "match_key IS NOT NULL AND responded_at_us IS NULL AND checked IS 0"
_UNCHECKED_POSTGRESQL = "match_key IS NOT NULL AND responded_at_us IS NULL AND checked IS false"

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
    # The receipts the sweep still has to look at, in arrival order (partial, migration
    # 0021): checked receipts wait up to the pending TTL (72 h), and a carrier that sends
    # receipts for ids it never gave us can leave millions; without this index the sweep
    # walked them all every second, holding the write lock (43 ms per 500,000).
    Index(
        "ix_pending_receipts_unchecked",
        "id",
        sqlite_where=text(_UNCHECKED_SQLITE),
        postgresql_where=text(_UNCHECKED_POSTGRESQL),
    ),
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
