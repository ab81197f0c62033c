"""What accounts send with: templates and their names, sender IDs, message settings.

Declared on the one :data:`~.metadata.metadata`; migrations create exactly these tables.
"""

from __future__ import annotations

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Column,
    ForeignKey,
    Index,
    Integer,
    PrimaryKeyConstraint,
    String,
    Table,
    Text,
)

from parcelsms.adapters.storage.engine.schema.column_types import (
    ID,
    UtcDateTime,
    json_column,
)
from parcelsms.adapters.storage.engine.schema.metadata import metadata

templates = Table(
    "templates",
    metadata,
    Column("id", String(ID), primary_key=True),
    Column("account_id", String(ID), ForeignKey("accounts.id"), nullable=False),
    Column("name", String(100), nullable=False),
    Column("language", String(16), nullable=False),
    Column("body", Text, nullable=False),
    Column("status", String(16), nullable=False),
    Column("reason", Text),
    Column("created_at", UtcDateTime, nullable=False),
    Column("reviewed_at", UtcDateTime),
    # Issue 4 (migration 0002): versions per variant, typed variables, findings.
    Column("version", Integer, nullable=False),
    Column("variables", json_column(), nullable=False),
    Column("findings", json_column(), nullable=False),
    Column("submitted_at", UtcDateTime),
    Column("superseded_by", String(ID)),
    CheckConstraint(
        "status IN ('draft', 'pending_review', 'approved', 'rejected', 'superseded')",
        name="status",
    ),
    Index(None, "account_id", "name", "language", "status"),
    # The operators' review queue: by status, oldest first.
    Index(None, "status", "id"),
)

# One row per template name: what the variants of a template share.
template_names = Table(
    "template_names",
    metadata,
    Column("account_id", String(ID), ForeignKey("accounts.id"), nullable=False),
    Column("name", String(100), nullable=False),
    Column("default_language", String(16), nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
    PrimaryKeyConstraint("account_id", "name"),
)

# A sender ID registered by an account for one country ("*": every country that does not
# require a registration naming it), reviewed by the operator.
sender_ids = Table(
    "sender_ids",
    metadata,
    Column("id", String(ID), primary_key=True),
    Column("account_id", String(ID), ForeignKey("accounts.id"), nullable=False),
    Column("value", String(16), nullable=False),
    Column("kind", String(16), nullable=False),
    Column("country", String(2), nullable=False),
    Column("status", String(16), nullable=False),
    Column("reason", Text),
    Column("created_at", UtcDateTime, nullable=False),
    Column("reviewed_at", UtcDateTime),
    CheckConstraint("kind IN ('alphanumeric', 'numeric')", name="kind"),
    CheckConstraint("status IN ('pending_review', 'approved', 'rejected')", name="status"),
    Index(None, "account_id", "id"),
    Index(None, "status", "id"),
)

# Per-account message settings: smart encoding and the domains links may point to.
message_settings = Table(
    "message_settings",
    metadata,
    Column("account_id", String(ID), ForeignKey("accounts.id"), primary_key=True),
    Column("smart_encoding", Boolean, nullable=False),
    Column("link_domains", json_column(), nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
    # Sent back to a recipient who opts out (migration 0006); NULL: no confirmation.
    Column("opt_out_reply", Text),
)
