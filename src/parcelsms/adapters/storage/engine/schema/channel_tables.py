"""Channels: the latest health snapshot of each carrier channel.

Written about every second by the pipeline process that owns the channel's binds, read by
the API and the CLI (which may run in other processes). Declared on the one
:data:`~.metadata.metadata`; migrations create exactly these tables.
"""

from __future__ import annotations

from sqlalchemy import Column, String, Table, Text

from parcelsms.adapters.storage.engine.schema.column_types import UtcDateTime
from parcelsms.adapters.storage.engine.schema.metadata import metadata

channel_health = Table(
    "channel_health",
    metadata,
    Column("channel", String(100), primary_key=True),
    Column("updated_at", UtcDateTime, nullable=False),
    Column("breaker", String(16), nullable=False),
    # The whole snapshot as JSON (msgspec): its shape is the API's, kept in one place.
    Column("snapshot", Text, nullable=False),
)
