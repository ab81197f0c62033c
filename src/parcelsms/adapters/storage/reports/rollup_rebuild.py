"""Recompute the report rollups from the message table (``parcelsms reports rebuild``).

The rollups are kept in every transaction that changes messages, so a rebuild should find
nothing to change; it exists for the upgrade that creates them, for a database restored
from pieces, and as the independent count the property tests compare against. It reads the
messages in id order, a chunk at a time, counts them in memory exactly as the batch
functions do (:mod:`.rollup_rows`) and replaces the table's rows, in the caller's
transaction. The pending changes not yet folded are in that count too: the caller drops them
(:mod:`.report_stores`).
"""

from __future__ import annotations

from typing import Final

from sqlalchemy import delete, select
from sqlalchemy.engine import Connection

from parcelsms.adapters.storage.engine.deferred_writes import write_deferred_now
from parcelsms.adapters.storage.engine.schema.message_tables import messages
from parcelsms.adapters.storage.engine.schema.report_tables import (
    report_carrier_days,
    report_carrier_hours,
    report_daily,
    report_hours,
    report_rollups,
)
from parcelsms.adapters.storage.reports.rollup_rows import RollupDeltas, charged
from parcelsms.domain.report_figures import hour_of, latency_bucket
from parcelsms.domain.status import MessageStatus

_CHUNK: Final = 50_000
_COLUMNS: Final = (
    messages.c.id,
    messages.c.account_id,
    messages.c.currency,
    messages.c.country,
    messages.c.channel,
    messages.c.template_id,
    messages.c.status,
    messages.c.segments,
    messages.c.billing,
    messages.c.price_micros,
    messages.c.created_at,
    messages.c.final_at,
)


def count_messages(connection: Connection) -> RollupDeltas:
    """The rollups of the messages as stored now, counted directly."""
    deltas = RollupDeltas()
    after = ""
    while True:
        rows = connection.execute(
            select(*_COLUMNS).where(messages.c.id > after).order_by(messages.c.id).limit(_CHUNK)
        ).all()
        if not rows:
            return deltas
        for row in rows:
            latency = None
            if row.status == MessageStatus.DELIVERED and row.final_at is not None:
                latency = latency_bucket(row.created_at, row.final_at)
            deltas.add(
                (
                    hour_of(row.created_at),
                    row.account_id,
                    row.currency,
                    row.country,
                    row.channel or "",
                    row.template_id or "",
                    row.status,
                ),
                1,
                row.segments,
                charged(row.billing, row.price_micros),
                latency,
            )
        after = rows[-1].id


def rebuild_rollups(connection: Connection) -> int:
    """Replace every rollup row by a count of the messages; returns the rows written."""
    # Deltas of the operations before this one in the transaction are in the messages
    # counted here: written first, they are then replaced with everything else.
    write_deferred_now(connection, RollupDeltas)
    counted = count_messages(connection)
    connection.execute(delete(report_rollups))
    connection.execute(delete(report_daily))
    connection.execute(delete(report_hours))
    connection.execute(delete(report_carrier_hours))
    connection.execute(delete(report_carrier_days))
    return counted.apply(connection)
