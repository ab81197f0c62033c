"""Every table of the schema on the one metadata: what migrations create and are compared to.

A table module declares its tables on :data:`.metadata.metadata` when it is imported; this
module imports them all, so :func:`declared_metadata` holds the complete schema whatever else
the process has imported.
"""

from __future__ import annotations

from types import ModuleType

from sqlalchemy import MetaData

from parcelsms.adapters.storage.engine.schema import (
    account_tables,
    billing_tables,
    channel_tables,
    cluster_tables,
    console_tables,
    content_tables,
    message_tables,
    receipt_tables,
    recipient_block_tables,
    report_tables,
    route_tables,
    shared_limit_tables,
    webhook_tables,
)
from parcelsms.adapters.storage.engine.schema.metadata import metadata

TABLE_MODULES: tuple[ModuleType, ...] = (
    account_tables,
    content_tables,
    message_tables,
    receipt_tables,
    billing_tables,
    recipient_block_tables,
    webhook_tables,
    channel_tables,
    cluster_tables,
    console_tables,
    report_tables,
    route_tables,
    shared_limit_tables,
)
"""The modules declaring the schema's tables, accounts first (most tables refer to them)."""


def declared_metadata() -> MetaData:
    """The metadata with every table of the schema declared on it."""
    return metadata
