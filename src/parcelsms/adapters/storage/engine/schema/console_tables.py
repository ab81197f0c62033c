"""Console users and their sessions (the web console's log-in).

Declared on the one :data:`~.metadata.metadata`; migrations create exactly these tables.
A console user belongs to one sender account with a role (``owner``, ``developer``,
``viewer``) or is an operator (``account_id`` NULL, role ``operator``). A session row is what
a signed cookie names: logging out or changing the password ends it server-side.
"""

from __future__ import annotations

from sqlalchemy import CheckConstraint, Column, ForeignKey, String, Table, Text

from parcelsms.adapters.storage.engine.schema.column_types import ID, UtcDateTime
from parcelsms.adapters.storage.engine.schema.metadata import metadata

console_users = Table(
    "console_users",
    metadata,
    Column("id", String(ID), primary_key=True),
    # Stored lower-cased: one person, one row, however they type it.
    Column("email", String(320), nullable=False, unique=True),
    Column("account_id", String(ID), ForeignKey("accounts.id"), index=True),
    Column("role", String(16), nullable=False),
    Column("password_hash", Text, nullable=False),
    Column("time_zone", String(64), nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("password_changed_at", UtcDateTime, nullable=False),
    CheckConstraint("role IN ('owner', 'developer', 'viewer', 'operator')", name="role"),
    CheckConstraint("(role = 'operator') = (account_id IS NULL)", name="operator_has_no_account"),
)

console_sessions = Table(
    "console_sessions",
    metadata,
    # The SHA-256 of the session token the cookie carries (the token itself is never stored).
    Column("token_hash", String(64), primary_key=True),
    Column("user_id", String(ID), ForeignKey("console_users.id"), nullable=False, index=True),
    Column("created_at", UtcDateTime, nullable=False),
    Column("expires_at", UtcDateTime, nullable=False),
)
