"""An index of the pending receipts the sweep has still to look at.

The sweep (every second, in a write transaction) reads the unchecked pending receipts in
arrival order. Receipts it checked and could not place stay for the pending TTL (72 h); a
carrier that sends receipts for ids it never gave us (a bind shared with another system)
leaves millions, and the sweep walked them all each time: 43 ms per 500,000 rows, every
second, holding the write lock. A partial index holds only the unchecked ones.

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-05
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0021"
down_revision: str | None = "0020"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index(
        "ix_pending_receipts_unchecked",
        "pending_receipts",
        ["id"],
        sqlite_where=sa.text("match_key IS NOT NULL AND responded_at_us IS NULL AND checked IS 0"),
        postgresql_where=sa.text(
            "match_key IS NOT NULL AND responded_at_us IS NULL AND checked IS false"
        ),
    )


def downgrade() -> None:
    op.drop_index("ix_pending_receipts_unchecked", table_name="pending_receipts")
