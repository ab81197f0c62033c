"""Messages, their carrier parts and status events, and inbound messages.

Declared on the one :data:`~.metadata.metadata`; migrations create exactly these tables.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
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
    literal_column,
    text,
    true,
)

from parcelsms.adapters.storage.engine.schema.checks import one_of
from parcelsms.adapters.storage.engine.schema.column_types import (
    ID,
    AutoIncrementId,
    UtcDateTime,
    json_column,
)
from parcelsms.adapters.storage.engine.schema.metadata import metadata
from parcelsms.domain.status import MessageStatus

# A value added here needs a migration of the checks (test_write_checks.py fails until then).
MESSAGE_STATUSES = tuple(status.value for status in MessageStatus)
BILLING_STATES = ("reserved", "settled", "refunded")

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
    Column("route_plan", json_column(), nullable=False),
    Column("route_index", Integer, nullable=False),
    Column("channel", String(100)),
    Column("claim_token", String(64)),
    Column("claimed_at", UtcDateTime),
    Column("next_attempt_at", UtcDateTime, nullable=False),
    Column("valid_until", UtcDateTime, nullable=False),
    Column("flags", json_column(), nullable=False),
    Column("idempotency_key", String(200)),
    Column("request_hash", String(128)),
    Column("created_at", UtcDateTime, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
    Column("submitted_at", UtcDateTime),
    Column("final_at", UtcDateTime),
    Column("last_error", json_column()),
    # Comparisons, not IN: this row is written for every message (checks.py, migration 0023).
    CheckConstraint(one_of("status", MESSAGE_STATUSES), name="status"),
    CheckConstraint(one_of("billing", BILLING_STATES), name="billing"),
    # Claiming seeks (queued, unclaimed) and reads in due order; recovery seeks (queued,
    # claimed by someone); expiry seeks submitted messages past their validity. Both indexes
    # hold only the messages in that status (partial, migration 0012): a message leaves
    # them as it moves on, so they stay as small as the traffic in flight however large the
    # table grows, and a final message's status change touches neither.
    Index(
        "ix_messages_queue",
        "claim_token",
        "next_attempt_at",
        sqlite_where=text("status = 'queued'"),
        postgresql_where=text("status = 'queued'"),
    ),
    Index(
        "ix_messages_awaiting_receipt",
        "valid_until",
        sqlite_where=text("status = 'submitted'"),
        postgresql_where=text("status = 'submitted'"),
    ),
    Index(None, "account_id", "id"),
    # Searches by reference or number list newest first: the index ends in id so no sort
    # is needed and no statistics have to talk the planner out of walking (account_id, id)
    # (migration 0017).
    # Partial (migration 0020): only messages that carry a reference are indexed.
    Index(
        None,
        "account_id",
        "client_ref",
        "id",
        sqlite_where=text("client_ref IS NOT NULL"),
        postgresql_where=text("client_ref IS NOT NULL"),
    ),
    # The message list's country filter (newest first within the country).
    Index(None, "account_id", "country", "id"),
    # Its status filter (migration 0017): a rare status is a short stretch, not a walk.
    Index(None, "account_id", "status", "id"),
    Index(None, "account_id", "to_e164", "id"),
    # A reply is owned by the latest message sent to its number (migration 0006).
    Index(None, "to_e164", "created_at"),
    # Only keyed requests are indexed (and constrained), partial since migration 0020: a full
    # index gave every unkeyed message an entry, and under ANALYZE statistics, which count
    # those NULL keys as one value, SQLite planned a keyed lookup as a scan of the table.
    Index(
        None,
        "account_id",
        "idempotency_key",
        unique=True,
        sqlite_where=text("idempotency_key IS NOT NULL"),
        postgresql_where=text("idempotency_key IS NOT NULL"),
    ),
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
    Column("detail", json_column()),
    Index(None, "message_id", "id"),
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
    # NULL: no message to this number within the match window (kept for the operator).
    Column("account_id", String(ID), ForeignKey("accounts.id")),
    # The outbound message it answers and that message's client_ref (migration 0006).
    # No foreign key: adding one would make SQLite copy this table.
    Column("message_id", String(ID)),
    Column("client_ref", String(200)),
    # "opt_out" / "opt_in" when the whole text is a keyword (domain.reply_keywords).
    Column("keyword", String(16)),
    # False: parts of a concatenated reply stopped arriving; missing_parts lists them.
    Column("complete", Boolean, nullable=False, server_default=true()),
    Column("missing_parts", json_column()),
    # The events feed's order: assigned under the database's write lock, so it is commit
    # order (docs/inbound.md, "The events cursor"). NULL on rows from before 0006.
    Column("seq", BigInteger),
    Index(None, "account_id", "id"),
    Index(None, "message_id"),
    Index(None, "account_id", "seq"),
    Index(None, "seq", unique=True),
)

message_attempts = Table(
    "message_attempts",
    metadata,
    # An earlier attempt of a message that reached a carrier and was given up after a
    # failed receipt (or no receipt): its parts as they were, and what it cost the operator
    # (``segments`` over ``channel``, for the margins report). The message's current
    # attempt is in ``message_parts`` (migration 0013).
    Column("id", AutoIncrementId, primary_key=True, autoincrement=True),
    Column("message_id", String(ID), ForeignKey("messages.id"), nullable=False),
    Column("attempt", Integer, nullable=False),
    Column("channel", String(100), nullable=False),
    Column("segments", Integer, nullable=False),
    # "receipt" (a retryable failed receipt) or "no_receipt" (silence past the limit).
    Column("reason", String(16), nullable=False),
    Column("stat", String(16)),
    Column("err", String(16)),
    Column("parts", json_column(), nullable=False),
    Column("submitted_at", UtcDateTime),
    Column("ended_at", UtcDateTime, nullable=False),
    Index(None, "message_id", "id"),
)

# Conditions naming the status as a literal: a partial index is used only when the query's
# WHERE repeats the index's own condition, and a bound parameter (``status = ?``) does not.
IS_QUEUED = messages.c.status == literal_column("'queued'")
IS_SUBMITTED = messages.c.status == literal_column("'submitted'")
