"""Routes: the operator's route table kept through ``/admin/v1/routes``.

One row per route, tried in ``position`` order (0 first) before the configuration file's
routes. Declared on the one :data:`~.metadata.metadata`; migrations create exactly these.
"""

from __future__ import annotations

from sqlalchemy import Column, Integer, String, Table, Text

from parcelsms.adapters.storage.engine.schema.column_types import UtcDateTime
from parcelsms.adapters.storage.engine.schema.metadata import metadata

routes = Table(
    "routes",
    metadata,
    Column("id", String(40), primary_key=True),
    Column("position", Integer, nullable=False),
    # The route's filters and plan as JSON (msgspec): the API's shape, kept in one place.
    Column("definition", Text, nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
)
