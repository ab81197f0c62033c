"""The cluster: the pipeline processes (nodes) working on this database and the channel leases.

A pipeline node registers under its claim token and renews ``heartbeat_at`` at every
heartbeat; each carrier channel's binds live on the node holding its lease until
``expires_at``. Times are the database server's clock (never a node's), so nodes whose
clocks disagree still agree on who is live. Declared on the one :data:`~.metadata.metadata`;
migrations create exactly these tables.
"""

from __future__ import annotations

from sqlalchemy import Column, Index, Integer, String, Table

from parcelsms.adapters.storage.engine.schema.column_types import UtcDateTime
from parcelsms.adapters.storage.engine.schema.metadata import metadata

pipeline_nodes = Table(
    "pipeline_nodes",
    metadata,
    # The node's dispatcher claim token: the claims a dead node leaves carry it.
    Column("node_id", String(64), primary_key=True),
    Column("host", String(255), nullable=False),
    Column("pid", Integer, nullable=False),
    Column("started_at", UtcDateTime, nullable=False),
    Column("heartbeat_at", UtcDateTime, nullable=False),
)

channel_leases = Table(
    "channel_leases",
    metadata,
    Column("channel", String(100), primary_key=True),
    Column("node_id", String(64), nullable=False),
    Column("acquired_at", UtcDateTime, nullable=False),
    Column("expires_at", UtcDateTime, nullable=False),
    Index(None, "node_id"),
)
