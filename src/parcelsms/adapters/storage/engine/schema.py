"""The database schema as SQLAlchemy Core tables (SQLite and PostgreSQL alike).

Migrations (``migrations/versions``) create exactly this schema; a test compares the two.

Conventions: ids are sortable prefixed strings (``msg_…``); times are UTC (:class:`UtcDateTime`);
money is integer micro-units (``BigInteger``); lists and small documents are JSON.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    CheckConstraint,
    Column,
    DateTime,
    Dialect,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    PrimaryKeyConstraint,
    String,
    Table,
    Text,
    UniqueConstraint,
    false,
    text,
)
from sqlalchemy.types import TypeDecorator

NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

metadata = MetaData(naming_convention=NAMING_CONVENTION)


class UtcDateTime(TypeDecorator[datetime]):
    """A timezone-aware UTC ``datetime`` on every backend.

    SQLite has no time zone type: values are stored as naive UTC text
    ``YYYY-MM-DD HH:MM:SS.ffffff`` (SQLAlchemy's own format, which sorts correctly) and come
    back marked UTC. On SQLite the conversion is done here with the C-level ``isoformat`` /
    ``fromisoformat`` instead of SQLAlchemy's generic processors: timestamps are on every
    hot row, and this halves their cost. Naive values are refused on the way in, because a
    naive time silently shifted by the server's zone is the classic billing-report bug.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def bind_processor(self, dialect: Dialect) -> Callable[[Any], Any] | None:
        if dialect.name == "sqlite":
            return _sqlite_text
        return super().bind_processor(dialect)

    def result_processor(self, dialect: Dialect, coltype: Any) -> Callable[[Any], Any] | None:
        if dialect.name == "sqlite":
            return _sqlite_datetime
        return super().result_processor(dialect, coltype)

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return _aware(value).astimezone(UTC)

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if not isinstance(value, datetime):
            raise TypeError(f"expected a datetime from the database, got {type(value)!r}")
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _aware(value: datetime) -> datetime:
    if value.tzinfo is None:
        raise ValueError("naive datetime given to the database; use UTC-aware times")
    return value


def _sqlite_text(value: datetime | None) -> str | None:
    if value is None:
        return None
    utc = _aware(value).astimezone(UTC).replace(tzinfo=None)
    return utc.isoformat(" ", "microseconds")


def _sqlite_datetime(value: str | None) -> datetime | None:
    if value is None:
        return None
    return datetime.fromisoformat(value).replace(tzinfo=UTC)


def _json() -> JSON:
    # none_as_null: a Python None is SQL NULL, not the JSON text 'null'.
    return JSON(none_as_null=True)


# SQLite only makes INTEGER PRIMARY KEY an alias of the rowid; PostgreSQL wants BIGINT.
AutoIncrementId = BigInteger().with_variant(Integer(), "sqlite")

ID = 32  # "msg_" + 26 characters, with room for longer prefixes


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
    Column("scopes", _json(), nullable=False, server_default=text("'[]'")),
    Column("allowed_networks", _json()),
    Column("require_signature", Boolean, nullable=False, server_default=false()),
    Column("rate_per_second", Float),
    Column("rate_burst", Integer),
    Column("signing_key", Text),
)

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
    Column("variables", _json(), nullable=False),
    Column("findings", _json(), nullable=False),
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
    Column("link_domains", _json(), nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
)

messages = Table(
    "messages",
    metadata,
    Column("id", String(ID), primary_key=True),
    Column("account_id", String(ID), ForeignKey("accounts.id"), nullable=False),
    Column("to_e164", String(20), nullable=False),
    Column("country", String(2), nullable=False),
    Column("template_id", String(ID)),
    Column("language", String(16)),
    Column("body", Text, nullable=False),
    Column("encoding", String(8), nullable=False),
    Column("segments", Integer, nullable=False),
    Column("price_micros", BigInteger, nullable=False),
    Column("currency", String(3), nullable=False),
    # reserved → settled | refunded: guards exactly-once billing at the row itself.
    Column("billing", String(16), nullable=False),
    # The package that paid the message (its price_micros is then 0); NULL: the balance.
    # No foreign key: adding one would make SQLite copy this table; the message's
    # package_use ledger row carries the checked reference.
    Column("package_id", String(ID)),
    Column("sender_id", String(32)),
    Column("client_ref", String(200)),
    Column("callback_url", Text),
    Column("status", String(16), nullable=False),
    Column("route_plan", _json(), nullable=False),
    Column("route_index", Integer, nullable=False),
    Column("channel", String(100)),
    Column("claim_token", String(64)),
    Column("claimed_at", UtcDateTime),
    Column("next_attempt_at", UtcDateTime, nullable=False),
    Column("valid_until", UtcDateTime, nullable=False),
    Column("flags", _json(), nullable=False),
    Column("idempotency_key", String(200)),
    Column("request_hash", String(128)),
    Column("created_at", UtcDateTime, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
    Column("submitted_at", UtcDateTime),
    Column("final_at", UtcDateTime),
    Column("last_error", _json()),
    CheckConstraint(
        "status IN ('scheduled', 'queued', 'submitted', 'delivered', 'undelivered', "
        "'expired', 'rejected', 'failed', 'canceled')",
        name="status",
    ),
    CheckConstraint("billing IN ('reserved', 'settled', 'refunded')", name="billing"),
    # Claiming seeks (queued, unclaimed) and reads in due order; recovery seeks (queued,
    # claimed by someone).
    Index(None, "status", "claim_token", "next_attempt_at"),
    Index(None, "status", "valid_until"),
    Index(None, "account_id", "id"),
    Index(None, "account_id", "client_ref"),
    Index(None, "account_id", "to_e164"),
    # NULL keys are distinct on SQLite and PostgreSQL: only keyed requests are constrained.
    Index(None, "account_id", "idempotency_key", unique=True),
)

message_parts = Table(
    "message_parts",
    metadata,
    Column("message_id", String(ID), ForeignKey("messages.id"), nullable=False),
    Column("part_no", Integer, nullable=False),
    Column("channel", String(100), nullable=False),
    # The id as the carrier wrote it, and its exact key: what a receipt names it by
    # (protocol.smpp.message_id, domain.receipt_correlation).
    Column("carrier_id_raw", String(100), nullable=False),
    Column("carrier_id", String(100), nullable=False),
    # Wire time of the submit_sm_resp, microseconds since the epoch (migration 0005).
    Column("responded_at_us", BigInteger, nullable=False, server_default=text("0")),
    Column("status", String(16), nullable=False),
    Column("stat", String(16)),
    Column("err", String(16)),
    Column("receipt_raw", Text),
    Column("submitted_at", UtcDateTime, nullable=False),
    Column("done_at", UtcDateTime),
    PrimaryKeyConstraint("message_id", "part_no"),
    Index(None, "channel", "carrier_id"),
)

message_events = Table(
    "message_events",
    metadata,
    Column("id", AutoIncrementId, primary_key=True, autoincrement=True),
    Column("message_id", String(ID), ForeignKey("messages.id"), nullable=False),
    Column("status", String(16), nullable=False),
    Column("at", UtcDateTime, nullable=False),
    Column("detail", _json()),
    Index(None, "message_id", "id"),
)

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
    CheckConstraint(
        "kind IN ('topup', 'reserve', 'settle', 'refund', 'package_grant', 'package_use', "
        "'package_refund')",
        name="kind",
    ),
    Index(None, "account_id", "id"),
    # One reserve, one settle, one refund at most per message (NULL message ids, i.e.
    # top-ups, are distinct).
    UniqueConstraint("message_id", "kind"),
)

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
    Column("payload", _json(), nullable=False),
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

inbound_messages = Table(
    "inbound_messages",
    metadata,
    Column("id", String(ID), primary_key=True),
    Column("channel", String(100), nullable=False),
    Column("source", String(32), nullable=False),
    Column("destination", String(32), nullable=False),
    Column("text", Text, nullable=False),
    Column("received_at", UtcDateTime, nullable=False),
    Column("account_id", String(ID), ForeignKey("accounts.id")),
    Index(None, "account_id", "id"),
)

# --- accounts, keys and the operator (issue 5, migration 0003) ------------------------------

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
    Column("before", _json()),
    Column("after", _json()),
    Column("request_id", String(40)),
    Index(None, "account_id", "id"),
    Index(None, "action", "id"),
)

# --- billing and limits (issue 5 part B, migration 0004) ------------------------------------

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
    Column("countries", _json(), nullable=False),
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
    Column("data", _json(), nullable=False),
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
