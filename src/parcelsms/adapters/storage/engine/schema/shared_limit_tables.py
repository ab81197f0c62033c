"""Limits every process shares: the day's use of each account, and the API keys' token buckets.

Declared on the one :data:`~.metadata.metadata`; migrations create exactly these tables.
Both are read and written inside writer transactions, which the engines serialise (SQLite's
one writer, PostgreSQL's advisory lock), so a read-then-write is atomic across processes and
machines.
"""

from __future__ import annotations

from sqlalchemy import BigInteger, Boolean, Column, Float, Integer, String, Table, false

from parcelsms.adapters.storage.engine.schema.column_types import ID
from parcelsms.adapters.storage.engine.schema.metadata import metadata

account_day_usage = Table(
    "account_day_usage",
    metadata,
    # No foreign key: a derived count (it can be rebuilt from messages and notifications).
    Column("account_id", String(ID), primary_key=True),
    # Whole UTC days since the Unix epoch.
    Column("day", Integer, primary_key=True),
    Column("messages", BigInteger, nullable=False),
    # Charged to the balance at accept (0 for a message a package paid), in micro-units.
    Column("spend_micros", BigInteger, nullable=False),
    # Whether that day's account.threshold_warning for the limit was recorded.
    Column("warned_messages", Boolean, nullable=False, server_default=false()),
    Column("warned_spend", Boolean, nullable=False, server_default=false()),
    sqlite_with_rowid=False,
)
"""What each account used each UTC day: the daily thresholds count here, in the accept
transaction (:mod:`parcelsms.adapters.storage.messages.daily_usage_rows`)."""

key_rate_buckets = Table(
    "key_rate_buckets",
    metadata,
    Column("key_id", String(ID), primary_key=True),
    # Tokens left at ``updated_at`` (seconds since the Unix epoch, wall clock).
    Column("tokens", Float, nullable=False),
    Column("updated_at", Float, nullable=False),
    sqlite_with_rowid=False,
)
"""The one token bucket per API key that every API process takes slices of
(:mod:`parcelsms.adapters.storage.accounts.key_rate_rows`)."""
