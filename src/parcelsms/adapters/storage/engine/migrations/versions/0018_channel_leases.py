"""Several pipeline processes on one database: the nodes and their channel leases.

``pipeline_nodes`` lists the pipeline processes working on the database (node id = the
dispatcher's claim token, heartbeat on the database's clock); ``channel_leases`` says which
node holds each carrier channel's binds, until when. A node whose heartbeat stopped for the
takeover time is dead: its leases are taken over and its claims resolved.

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-06
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0018"
down_revision: str | None = "0017"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "pipeline_nodes",
        sa.Column("node_id", sa.String(64), primary_key=True),
        sa.Column("host", sa.String(255), nullable=False),
        sa.Column("pid", sa.Integer, nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("heartbeat_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "channel_leases",
        sa.Column("channel", sa.String(100), primary_key=True),
        sa.Column("node_id", sa.String(64), nullable=False),
        sa.Column("acquired_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index(op.f("ix_channel_leases_node_id"), "channel_leases", ["node_id"])


def downgrade() -> None:
    op.drop_index(op.f("ix_channel_leases_node_id"), table_name="channel_leases")
    op.drop_table("channel_leases")
    op.drop_table("pipeline_nodes")
