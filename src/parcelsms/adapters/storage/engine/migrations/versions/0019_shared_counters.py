"""Shared limits: each account's use per UTC day, and one token bucket per API key.

``account_day_usage`` holds what the daily thresholds count (messages, spend and whether
the day's warnings were recorded), read and written in the accept transaction, so every
API process and node counts against one total. ``key_rate_buckets`` holds each API key's
token bucket, from which API processes take slices of requests. An installation upgraded
during a day starts that day's counters from its stored messages and warnings (read when an
account's row for the day is missing).

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-07
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0019"
down_revision: str | None = "0018"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "account_day_usage",
        sa.Column("account_id", sa.String(length=32), nullable=False),
        sa.Column("day", sa.Integer(), nullable=False),
        sa.Column("messages", sa.BigInteger(), nullable=False),
        sa.Column("spend_micros", sa.BigInteger(), nullable=False),
        sa.Column("warned_messages", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("warned_spend", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.PrimaryKeyConstraint("account_id", "day", name=op.f("pk_account_day_usage")),
        sqlite_with_rowid=False,
    )
    op.create_table(
        "key_rate_buckets",
        sa.Column("key_id", sa.String(length=32), nullable=False),
        sa.Column("tokens", sa.Float(), nullable=False),
        sa.Column("updated_at", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("key_id", name=op.f("pk_key_rate_buckets")),
        sqlite_with_rowid=False,
    )


def downgrade() -> None:
    op.drop_table("key_rate_buckets")
    op.drop_table("account_day_usage")
