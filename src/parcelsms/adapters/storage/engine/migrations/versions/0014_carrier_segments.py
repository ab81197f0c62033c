"""Segments that reached a carrier per hour and per day and template, over all accounts.

``report_carrier_hours`` and ``report_carrier_days`` are what the operator's channel costs
multiply in reports grouped by hour (or days of a time zone) and by template, so those
read a few rows per hour or day instead of every hourly rollup.

Every rollup table is then filled from the existing messages (``parcelsms reports rebuild``):
the rebuild is today's code and writes every rollup table, so it runs in the newest
migration that changes them (a later one that adds a rollup table moves the call there).

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-05
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_ID = 32


def upgrade() -> None:
    op.create_table(
        "report_carrier_hours",
        sa.Column("hour", sa.Integer(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("country", sa.String(length=2), nullable=False),
        sa.Column("channel", sa.String(length=100), nullable=False),
        sa.Column("segments", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint(
            "hour", "country", "channel", "currency", name=op.f("pk_report_carrier_hours")
        ),
        sqlite_with_rowid=False,
    )
    op.create_table(
        "report_carrier_days",
        sa.Column("day", sa.Integer(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("template_id", sa.String(length=_ID), nullable=False),
        sa.Column("country", sa.String(length=2), nullable=False),
        sa.Column("channel", sa.String(length=100), nullable=False),
        sa.Column("segments", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint(
            "day",
            "template_id",
            "country",
            "channel",
            "currency",
            name=op.f("pk_report_carrier_days"),
        ),
        sqlite_with_rowid=False,
    )
    # Imported here, not at the top: only an upgrade that finds messages needs it.
    from parcelsms.adapters.storage.reports.rollup_rebuild import rebuild_rollups

    rebuild_rollups(op.get_bind())


def downgrade() -> None:
    op.drop_table("report_carrier_days")
    op.drop_table("report_carrier_hours")
