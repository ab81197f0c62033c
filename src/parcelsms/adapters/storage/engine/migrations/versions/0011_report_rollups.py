"""Report rollups, and the message list's country filter index.

* ``report_daily``: the same per UTC day, one dimension at a time, and ``report_hours``:
  per hour, account and status only (what most reports read).
* ``report_rollups``: message counts per hour × account × country × channel × template ×
  status, with segments, money charged and a time-to-delivery histogram; filled from the
  existing messages by migration 0014 (the same computation as ``parcelsms reports rebuild``).
* ``messages`` gains an index on ``(account_id, country, id)`` for ``GET /v1/messages?country``.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-05
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_ID = 32
_LATENCY_BUCKETS = 16


def upgrade() -> None:
    op.create_table(
        "report_rollups",
        sa.Column("hour", sa.Integer(), nullable=False),
        sa.Column("account_id", sa.String(length=_ID), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("country", sa.String(length=2), nullable=False),
        sa.Column("channel", sa.String(length=100), nullable=False),
        sa.Column("template_id", sa.String(length=_ID), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("messages", sa.BigInteger(), nullable=False),
        sa.Column("segments", sa.BigInteger(), nullable=False),
        sa.Column("charged_micros", sa.BigInteger(), nullable=False),
        *(
            sa.Column(f"latency_{index:02d}", sa.BigInteger(), nullable=False)
            for index in range(_LATENCY_BUCKETS)
        ),
        sa.PrimaryKeyConstraint(
            "account_id",
            "hour",
            "country",
            "channel",
            "template_id",
            "status",
            "currency",
            name=op.f("pk_report_rollups"),
        ),
        sqlite_with_rowid=False,
    )
    with op.batch_alter_table("report_rollups", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_report_rollups_hour"), ["hour"], unique=False)
    op.create_table(
        "report_daily",
        sa.Column("day", sa.Integer(), nullable=False),
        sa.Column("account_id", sa.String(length=_ID), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("dimension", sa.String(length=16), nullable=False),
        sa.Column("value", sa.String(length=110), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("messages", sa.BigInteger(), nullable=False),
        sa.Column("segments", sa.BigInteger(), nullable=False),
        sa.Column("charged_micros", sa.BigInteger(), nullable=False),
        *(
            sa.Column(f"latency_{index:02d}", sa.BigInteger(), nullable=False)
            for index in range(_LATENCY_BUCKETS)
        ),
        sa.PrimaryKeyConstraint(
            "account_id",
            "dimension",
            "day",
            "value",
            "status",
            "currency",
            name=op.f("pk_report_daily"),
        ),
        sqlite_with_rowid=False,
    )
    with op.batch_alter_table("report_daily", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_report_daily_dimension_day"), ["dimension", "day"], unique=False
        )
    op.create_table(
        "report_hours",
        sa.Column("hour", sa.Integer(), nullable=False),
        sa.Column("account_id", sa.String(length=_ID), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("messages", sa.BigInteger(), nullable=False),
        sa.Column("segments", sa.BigInteger(), nullable=False),
        sa.Column("charged_micros", sa.BigInteger(), nullable=False),
        *(
            sa.Column(f"latency_{index:02d}", sa.BigInteger(), nullable=False)
            for index in range(_LATENCY_BUCKETS)
        ),
        sa.PrimaryKeyConstraint(
            "account_id", "hour", "status", "currency", name=op.f("pk_report_hours")
        ),
        sqlite_with_rowid=False,
    )
    with op.batch_alter_table("report_hours", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_report_hours_hour"), ["hour"], unique=False)
    with op.batch_alter_table("messages", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_messages_account_id_country_id"),
            ["account_id", "country", "id"],
            unique=False,
        )
    # The rollups of the existing messages are counted by the newest migration that
    # changes the rollup tables (0014): the rebuild is today's code and writes every table.


def downgrade() -> None:
    with op.batch_alter_table("messages", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_messages_account_id_country_id"))
    with op.batch_alter_table("report_hours", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_report_hours_hour"))
    op.drop_table("report_hours")
    with op.batch_alter_table("report_daily", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_report_daily_dimension_day"))
    op.drop_table("report_daily")
    with op.batch_alter_table("report_rollups", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_report_rollups_hour"))
    op.drop_table("report_rollups")
