"""Who may not be texted: each account's suppression list, the operator's global blacklist,
and the count of sends refused because of them.

Declared on the one :data:`~.metadata.metadata`; migrations create exactly these tables.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Column,
    ForeignKey,
    PrimaryKeyConstraint,
    String,
    Table,
)

from parcelsms.adapters.storage.engine.schema.column_types import ID, UtcDateTime
from parcelsms.adapters.storage.engine.schema.metadata import metadata

suppressions = Table(
    "suppressions",
    metadata,
    Column("account_id", String(ID), ForeignKey("accounts.id"), nullable=False),
    Column("number", String(20), nullable=False),
    # "keyword" (the recipient replied STOP), "api" or "import" (the sender added it).
    Column("source", String(16), nullable=False),
    # The reply that opted the number out, for a "keyword" entry.
    Column("inbound_id", String(ID)),
    Column("created_at", UtcDateTime, nullable=False),
    # The accept step looks up (account, numbers of a batch): the key is the index.
    PrimaryKeyConstraint("account_id", "number"),
)

blacklist = Table(
    "blacklist",
    metadata,
    Column("number", String(20), primary_key=True),
    Column("note", String(200)),
    Column("created_at", UtcDateTime, nullable=False),
)

refusal_counts = Table(
    "refusal_counts",
    metadata,
    Column("account_id", String(ID), ForeignKey("accounts.id"), nullable=False),
    # The UTC day, YYYY-MM-DD.
    Column("day", String(10), nullable=False),
    # The catalogued code: recipient_opted_out or recipient_blacklisted.
    Column("reason", String(32), nullable=False),
    Column("count", BigInteger, nullable=False),
    PrimaryKeyConstraint("account_id", "day", "reason"),
)
