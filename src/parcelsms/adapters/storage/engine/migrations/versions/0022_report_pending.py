"""The rollup changes not yet added to the report tables.

Every transaction that accepted messages or changed their status upserted its share of the
report rollups itself: on a paced single-message load (1,000 requests/s), 12 of the 26 rows
written per message (2026-12-06, bench/throughput.py), most of them the same hot rows
written again a few milliseconds later. Now a transaction writes one row here with its net
changes, and a fold adds the rows up and upserts the sums four times a second (and before a
report is read).

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-06
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0022"
down_revision: str | None = "0021"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "report_pending",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("deltas", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_report_pending")),
    )


def downgrade() -> None:
    # The changes not yet folded are added to the tables before the journal goes.
    from parcelsms.adapters.storage.reports.rollup_rows import fold_pending_rollups

    fold_pending_rollups(op.get_bind())
    op.drop_table("report_pending")
