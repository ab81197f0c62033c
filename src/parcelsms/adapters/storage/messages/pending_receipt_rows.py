"""Receipts still waiting for their part: the sweep, the unmatched list, learned id readings.

A receipt that :class:`~parcelsms.adapters.storage.messages.receipt_rows.ReceiptOperation`
could not place stays in ``pending_receipts``. :class:`PendingSweepOperation` looks at those
whose early window closed and sets aside (``unmatched_receipts``) those older than the
pending time-to-live; :class:`ReadingOperation` records a channel's learned id reading and
places the receipts that waited for it. docs/smpp.md, "Message ids and correlation".
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

import msgspec
from sqlalchemy import delete, select, update
from sqlalchemy.engine import Connection

from parcelsms.adapters.storage.context import StorageContext
from parcelsms.adapters.storage.engine.query_results import run_query
from parcelsms.adapters.storage.engine.schema.receipt_tables import (
    channel_id_formats,
    pending_receipts,
    unmatched_receipts,
)
from parcelsms.adapters.storage.messages.receipt_rows import PENDING_COLUMNS, ReceiptOperation
from parcelsms.domain.ids import new_id
from parcelsms.domain.receipt_correlation import Reading, micros, receipt_key
from parcelsms.pipeline.receipt_ports import ReceiptRecord, UnmatchedReceipt

_log = logging.getLogger(__name__)

# Largest number of pending receipts one sweep looks at.
_SWEEP_LIMIT = 2_000


@dataclass(frozen=True, slots=True)
class SweepRequest:
    now: datetime
    pending_ttl: timedelta


@dataclass(frozen=True, slots=True)
class SweepResult:
    """What one sweep did: receipts decided now, and receipts given up as unmatched."""

    resolved: int
    unmatched: int


class PendingSweepOperation:
    """Decides pending receipts whose early window closed; moves expired ones to unmatched."""

    def __init__(self, context: StorageContext, receipts: ReceiptOperation) -> None:
        self._context = context
        self._receipts = receipts

    def __call__(self, connection: Connection, requests: list[SweepRequest]) -> list[SweepResult]:
        return [self._sweep(connection, request) for request in requests]

    def _sweep(self, connection: Connection, request: SweepRequest) -> SweepResult:
        window_us = self._context.receipt_early_window_us
        rows = run_query(
            connection,
            select(*PENDING_COLUMNS)
            .where(
                pending_receipts.c.match_key.is_not(None),
                pending_receipts.c.responded_at_us.is_(None),
                pending_receipts.c.checked.is_(False),
                pending_receipts.c.received_at_us <= micros(request.now) - window_us,
            )
            .order_by(pending_receipts.c.id)
            .limit(_SWEEP_LIMIT),
        ).all()
        resolved = self._receipts.resolve_rows(connection, rows, mark_checked=True)
        return SweepResult(resolved, _expire_pending(connection, request))


def _expire_pending(connection: Connection, request: SweepRequest) -> int:
    horizon = request.now - request.pending_ttl
    rows = run_query(
        connection,
        select(pending_receipts.c.id, pending_receipts.c.payload)
        .where(pending_receipts.c.received_at < horizon)
        .limit(_SWEEP_LIMIT),
    ).all()
    if not rows:
        return 0
    records = [msgspec.convert(row.payload, ReceiptRecord) for row in rows]
    connection.execute(
        unmatched_receipts.insert(),
        [
            {
                "id": new_id("rcp"),
                "channel": record.channel,
                "carrier_id": record.carrier_id,
                "stat": record.stat,
                "err": record.err,
                "raw": record.raw,
                "received_at": record.received_at,
                "moved_at": request.now,
            }
            for record in records
        ],
    )
    connection.execute(
        delete(pending_receipts).where(pending_receipts.c.id.in_([row.id for row in rows]))
    )
    _log.warning("receipts matched no submission and were set aside", extra={"count": len(rows)})
    return len(rows)


@dataclass(frozen=True, slots=True)
class ReadingRequest:
    channel: str
    reading: Reading
    at: datetime


class ReadingOperation:
    """Records a channel's learned id reading, keys the receipts that waited for it and
    places those it can."""

    def __init__(self, receipts: ReceiptOperation) -> None:
        self._receipts = receipts

    def __call__(self, connection: Connection, requests: list[ReadingRequest]) -> list[int]:
        return [self._record(connection, request) for request in requests]

    def _record(self, connection: Connection, request: ReadingRequest) -> int:
        existing = run_query(
            connection,
            select(channel_id_formats.c.reading).where(
                channel_id_formats.c.channel == request.channel
            ),
        ).scalar_one_or_none()
        if existing is None:
            connection.execute(
                channel_id_formats.insert().values(
                    channel=request.channel, reading=request.reading.value, learned_at=request.at
                )
            )
        elif existing != request.reading.value:
            connection.execute(
                channel_id_formats.update()
                .where(channel_id_formats.c.channel == request.channel)
                .values(reading=request.reading.value, learned_at=request.at)
            )
        rows = run_query(
            connection,
            select(pending_receipts.c.id, pending_receipts.c.carrier_id).where(
                pending_receipts.c.channel == request.channel,
                pending_receipts.c.match_key.is_(None),
            ),
        ).all()
        keyed = []
        for row in rows:
            key = receipt_key(row.carrier_id, request.reading)
            if key is None:
                continue  # this reading cannot name it: it stays until it is set aside
            connection.execute(
                update(pending_receipts)
                .where(pending_receipts.c.id == row.id)
                .values(match_key=key, checked=False)
            )
            keyed.append(row.id)
        if keyed:
            waiting = run_query(
                connection,
                select(*PENDING_COLUMNS)
                .where(pending_receipts.c.id.in_(keyed))
                .order_by(pending_receipts.c.id),
            ).all()
            self._receipts.resolve_rows(connection, waiting, mark_checked=False)
        return len(keyed)


def load_readings(connection: Connection) -> dict[str, Reading]:
    """The id reading learned for each channel so far."""
    rows = run_query(connection, select(channel_id_formats.c.channel, channel_id_formats.c.reading))
    return {row.channel: Reading(row.reading) for row in rows}


def list_unmatched(
    connection: Connection, channel: str | None, limit: int, before: str | None
) -> list[UnmatchedReceipt]:
    """Receipts set aside, newest first (ids sort by creation time)."""
    query = select(unmatched_receipts).order_by(unmatched_receipts.c.id.desc()).limit(limit)
    if channel is not None:
        query = query.where(unmatched_receipts.c.channel == channel)
    if before is not None:
        query = query.where(unmatched_receipts.c.id < before)
    return [
        UnmatchedReceipt(
            id=row.id,
            channel=row.channel,
            carrier_id=row.carrier_id,
            stat=row.stat,
            err=row.err,
            raw=row.raw,
            received_at=row.received_at,
            moved_at=row.moved_at,
        )
        for row in run_query(connection, query)
    ]
