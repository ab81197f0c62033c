"""Accounts, their keys and profiles, sandbox numbers, request nonces and the audit log.

Declared on the one :data:`~.metadata.metadata`; migrations create exactly these tables.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Column,
    Float,
    ForeignKey,
    Index,
    Integer,
    PrimaryKeyConstraint,
    String,
    Table,
    Text,
    UniqueConstraint,
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

accounts = Table(
    "accounts",
    metadata,
    Column("id", String(ID), primary_key=True),
    Column("name", String(200), nullable=False, unique=True),
    Column("status", String(16), nullable=False),
    Column("currency", String(3), nullable=False),
    Column("balance_micros", BigInteger, nullable=False),
    Column("reserved_micros", BigInteger, nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    # Billing settings read by the accept transaction (issue 5 part B, migration 0004):
    # pay only from packages; the home country domestic packages are for; the low-balance
    # alert threshold and whether the current crossing below it was announced.
    Column("package_only", Boolean, nullable=False, server_default=false()),
    Column("home_country", String(2)),
    Column("low_balance_threshold_micros", BigInteger),
    Column("low_balance_notified", Boolean, nullable=False, server_default=false()),
    # The latest expiry of the account's packages: the accept step looks for packages
    # only while it is in the future, so accounts without any cost no extra query.
    Column("packages_until", UtcDateTime),
    # The IANA zone the account's console shows times and days in (migration 0016).
    Column("time_zone", String(64), nullable=False, server_default="UTC"),
    CheckConstraint("status IN ('active', 'suspended')", name="status"),
    # A safety net under the reservation logic: money never goes below zero.
    CheckConstraint("balance_micros >= 0", name="balance_not_negative"),
    CheckConstraint("reserved_micros >= 0", name="reserved_not_negative"),
)

api_keys = Table(
    "api_keys",
    metadata,
    Column("id", String(ID), primary_key=True),
    Column("account_id", String(ID), ForeignKey("accounts.id"), nullable=False, index=True),
    Column("secret_hash", String(64), nullable=False),
    Column("label", String(200), nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("revoked_at", UtcDateTime),
    Column("last_used_at", UtcDateTime),
    # Scopes, allowlist, limits and the encrypted signing key (issue 5, migration 0003).
    Column("scopes", json_column(), nullable=False, server_default=text("'[]'")),
    Column("allowed_networks", json_column()),
    Column("require_signature", Boolean, nullable=False, server_default=false()),
    Column("rate_per_second", Float),
    Column("rate_burst", Integer),
    Column("signing_key", Text),
    # The operator allows the key as a query parameter (issue 14, migration 0006).
    Column("query_key_allowed", Boolean, nullable=False, server_default=false()),
)

# One row per account that is not a plain unverified sender without company details: a
# missing row means kind 'sender', verification 'unverified', nothing submitted.
account_profiles = Table(
    "account_profiles",
    metadata,
    Column("account_id", String(ID), ForeignKey("accounts.id"), primary_key=True),
    Column("kind", String(16), nullable=False),
    Column("verification", String(16), nullable=False),
    Column("verified_at", UtcDateTime),
    Column("review", String(16), nullable=False),
    Column("review_reason", Text),
    Column("submitted_at", UtcDateTime),
    Column("reviewed_at", UtcDateTime),
    Column("legal_name", String(200)),
    Column("registration_number", String(64)),
    Column("country", String(2)),
    Column("contact_name", String(200)),
    Column("contact_email", String(254)),
    Column("contact_phone", String(20)),
    Column("suspended_reason", Text),
    Column("suspended_at", UtcDateTime),
    Column("updated_at", UtcDateTime, nullable=False),
    CheckConstraint("kind IN ('sender', 'operator')", name="kind"),
    CheckConstraint("verification IN ('unverified', 'verified')", name="verification"),
    CheckConstraint("review IN ('none', 'pending_review', 'rejected', 'approved')", name="review"),
    Index(None, "kind"),
)

test_numbers = Table(
    "test_numbers",
    metadata,
    Column("id", String(ID), primary_key=True),
    Column("account_id", String(ID), ForeignKey("accounts.id"), nullable=False),
    Column("e164", String(20), nullable=False),
    Column("country", String(2), nullable=False),
    Column("status", String(16), nullable=False),
    # HMAC-SHA256(pepper, id + code) of the latest code; NULL once confirmed.
    Column("code_hash", String(64)),
    Column("code_expires_at", UtcDateTime),
    Column("attempts", Integer, nullable=False),
    Column("code_message_id", String(ID)),
    Column("created_at", UtcDateTime, nullable=False),
    Column("verified_at", UtcDateTime),
    CheckConstraint("status IN ('pending', 'verified')", name="status"),
    UniqueConstraint("account_id", "e164"),
)

# One row per verification code sent: the per-account daily cap counts them.
test_number_codes = Table(
    "test_number_codes",
    metadata,
    Column("id", AutoIncrementId, primary_key=True, autoincrement=True),
    Column("account_id", String(ID), ForeignKey("accounts.id"), nullable=False),
    Column("test_number_id", String(ID), nullable=False),
    Column("sent_at", UtcDateTime, nullable=False),
    Index(None, "account_id", "sent_at"),
)

request_nonces = Table(
    "request_nonces",
    metadata,
    Column("key_id", String(ID), nullable=False),
    Column("nonce", String(64), nullable=False),
    Column("expires_at", UtcDateTime, nullable=False, index=True),
    PrimaryKeyConstraint("key_id", "nonce"),
)

audit_log = Table(
    "audit_log",
    metadata,
    Column("id", String(ID), primary_key=True),
    Column("at", UtcDateTime, nullable=False),
    Column("actor", String(100), nullable=False),
    Column("actor_key_id", String(ID)),
    Column("action", String(64), nullable=False),
    Column("target_type", String(32), nullable=False),
    Column("target_id", String(64)),
    Column("account_id", String(ID)),
    Column("before", json_column()),
    Column("after", json_column()),
    Column("request_id", String(40)),
    Index(None, "account_id", "id"),
    Index(None, "action", "id"),
)
