"""Report rollups: message counts per hour and group, kept in the transactions that change them.

Declared on the one :data:`~.metadata.metadata`; migrations create exactly these tables.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Column,
    Index,
    Integer,
    PrimaryKeyConstraint,
    String,
    Table,
    Text,
)

from parcelsms.adapters.storage.engine.schema.column_types import ID, AutoIncrementId
from parcelsms.adapters.storage.engine.schema.metadata import metadata
from parcelsms.domain.report_figures import LATENCY_BUCKETS

LATENCY_COLUMNS: tuple[str, ...] = tuple(f"latency_{index:02d}" for index in range(LATENCY_BUCKETS))
"""A column per time-to-delivery bucket of :data:`~..report_figures.LATENCY_BOUNDS`."""

report_rollups = Table(
    "report_rollups",
    metadata,
    # Whole hours since the Unix epoch of the messages' created_at (UTC).
    Column("hour", Integer, nullable=False),
    # No foreign key: a rollup row is a derived count, rebuilt from messages at will.
    Column("account_id", String(ID), nullable=False),
    Column("currency", String(3), nullable=False),
    Column("country", String(2), nullable=False),
    # '' for none (a queued message has no channel yet; a message without a template):
    # NULLs are distinct in a unique key, so they could not be upserted.
    Column("channel", String(100), nullable=False),
    Column("template_id", String(ID), nullable=False),
    Column("status", String(16), nullable=False),
    Column("messages", BigInteger, nullable=False),
    Column("segments", BigInteger, nullable=False),
    # Money charged (billing settled) for these messages, in the currency's micro-units.
    Column("charged_micros", BigInteger, nullable=False),
    # Delivered messages by time to delivery (non-zero only where status is delivered).
    *(Column(name, BigInteger, nullable=False) for name in LATENCY_COLUMNS),
    # A sender's report reads one account's hours: the key leads with them.
    PrimaryKeyConstraint(
        "account_id", "hour", "country", "channel", "template_id", "status", "currency"
    ),
    # The operator's report reads every account's hours.
    Index(None, "hour"),
    # Clustered on the key: a report reads a contiguous run of rows (SQLite).
    sqlite_with_rowid=False,
)

report_daily = Table(
    "report_daily",
    metadata,
    # Whole days since the Unix epoch of the messages' created_at (UTC).
    Column("day", Integer, nullable=False),
    Column("account_id", String(ID), nullable=False),
    Column("currency", String(3), nullable=False),
    # One slice of the hourly key per dimension (see reports.rollup_rows.daily_keys):
    # 'country', 'template' and 'channel_country' (the country's two letters, then the
    # channel; '' before submission). 'channel_country' also sums every account under
    # account_id '*', for the operator's reports.
    Column("dimension", String(16), nullable=False),
    Column("value", String(110), nullable=False),
    Column("status", String(16), nullable=False),
    Column("messages", BigInteger, nullable=False),
    Column("segments", BigInteger, nullable=False),
    Column("charged_micros", BigInteger, nullable=False),
    *(Column(name, BigInteger, nullable=False) for name in LATENCY_COLUMNS),
    PrimaryKeyConstraint("account_id", "dimension", "day", "value", "status", "currency"),
    # The operator's report reads every account's days of one dimension.
    Index(None, "dimension", "day"),
    sqlite_with_rowid=False,
)
"""The same counts per UTC day and one dimension at a time: what whole-day reports read.

A report groups by one dimension, so a day holds a few hundred rows per account where the
hourly table holds thousands per hour (every combination of country, channel, template and
status); a 30-day report reads ~10^4 rows instead of ~10^6.
"""

report_hours = Table(
    "report_hours",
    metadata,
    Column("hour", Integer, nullable=False),
    Column("account_id", String(ID), nullable=False),
    Column("currency", String(3), nullable=False),
    Column("status", String(16), nullable=False),
    Column("messages", BigInteger, nullable=False),
    Column("segments", BigInteger, nullable=False),
    Column("charged_micros", BigInteger, nullable=False),
    *(Column(name, BigInteger, nullable=False) for name in LATENCY_COLUMNS),
    PrimaryKeyConstraint("account_id", "hour", "status", "currency"),
    Index(None, "hour"),
    sqlite_with_rowid=False,
)
"""The counts per hour, account and status only, and per hour and status over all accounts
(account_id '*'): reports by day (of any time zone), hour, status or account read a
handful of rows per hour."""

report_carrier_hours = Table(
    "report_carrier_hours",
    metadata,
    Column("hour", Integer, nullable=False),
    Column("currency", String(3), nullable=False),
    Column("country", String(2), nullable=False),
    Column("channel", String(100), nullable=False),
    Column("segments", BigInteger, nullable=False),
    PrimaryKeyConstraint("hour", "country", "channel", "currency"),
    sqlite_with_rowid=False,
)
"""Segments that reached a carrier (submitted or a carrier outcome, on a channel) per hour,
country and channel, over every account: what the operator's channel costs multiply when
a report groups by hour (or by days of a time zone). A few rows per hour, whatever the
number of accounts, templates and statuses."""

report_carrier_days = Table(
    "report_carrier_days",
    metadata,
    # Whole days since the Unix epoch of the messages' created_at (UTC).
    Column("day", Integer, nullable=False),
    Column("currency", String(3), nullable=False),
    # '' for a message without a template.
    Column("template_id", String(ID), nullable=False),
    Column("country", String(2), nullable=False),
    Column("channel", String(100), nullable=False),
    Column("segments", BigInteger, nullable=False),
    PrimaryKeyConstraint("day", "template_id", "country", "channel", "currency"),
    sqlite_with_rowid=False,
)
"""The same per UTC day and template: the operator's costs of a report by template."""

report_pending = Table(
    "report_pending",
    metadata,
    Column("id", AutoIncrementId, primary_key=True, autoincrement=True),
    # JSON: a list of [hour, account_id, currency, country, channel, template_id, status,
    # messages, segments, charged_micros, then (latency bucket, messages) pairs for the
    # buckets that changed] (reports.rollup_rows.RollupDeltas.write).
    Column("deltas", Text, nullable=False),
)
"""What transactions changed in the rollups and nobody has added to the tables above yet:
one row per transaction, committed with the messages it counts (migration 0022). A fold
(:func:`~parcelsms.adapters.storage.reports.rollup_rows.fold_pending_rollups`) deletes the
rows and adds their sum to the tables, in one transaction; reports fold before they read."""
