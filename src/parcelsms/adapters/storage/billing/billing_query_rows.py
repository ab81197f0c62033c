"""Billing reads: ledger pages (also the source of the CSV export) and the margins report."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import case, func, select
from sqlalchemy.engine import Connection

from parcelsms.adapters.storage.billing.price_rows import cost_lookup, read_channel_costs, unit_cost
from parcelsms.adapters.storage.engine.id_cursors import decode_id_cursor, encode_id_cursor
from parcelsms.adapters.storage.engine.schema.billing_tables import ledger
from parcelsms.adapters.storage.engine.schema.message_tables import message_attempts, messages
from parcelsms.pipeline.billing_ports import LedgerEntry, LedgerFilter, LedgerPage, MarginRow

MAX_PAGE_SIZE = 1000
_LEDGER_PREFIX = "led"


def _entry(row: Any) -> LedgerEntry:
    return LedgerEntry(
        id=row.id,
        account_id=row.account_id,
        kind=row.kind,
        amount_micros=row.amount_micros,
        reserved_delta_micros=row.reserved_delta_micros,
        segments_delta=row.segments_delta,
        message_id=row.message_id,
        package_id=row.package_id,
        note=row.note,
        created_at=row.created_at,
    )


def read_ledger_page(
    connection: Connection,
    account_id: str,
    filters: LedgerFilter,
    cursor: str | None,
    limit: int,
    oldest_first: bool,
) -> LedgerPage:
    """Keyset-paginated by id: newest first, or oldest first for exports."""
    limit = max(1, min(limit, MAX_PAGE_SIZE))
    order = ledger.c.id.asc() if oldest_first else ledger.c.id.desc()
    query = select(ledger).where(ledger.c.account_id == account_id).order_by(order).limit(limit + 1)
    if cursor is not None:
        last = decode_id_cursor(cursor, _LEDGER_PREFIX)
        query = query.where(ledger.c.id > last if oldest_first else ledger.c.id < last)
    if filters.kind is not None:
        query = query.where(ledger.c.kind == filters.kind)
    if filters.message_id is not None:
        query = query.where(ledger.c.message_id == filters.message_id)
    if filters.since is not None:
        query = query.where(ledger.c.created_at >= filters.since)
    if filters.until is not None:
        query = query.where(ledger.c.created_at < filters.until)
    rows = connection.execute(query).all()
    items = tuple(_entry(row) for row in rows[:limit])
    next_cursor = encode_id_cursor(items[-1].id) if len(rows) > limit else None
    return LedgerPage(items=items, next_cursor=next_cursor)


def read_margin_report(connection: Connection, since: datetime, until: datetime) -> list[MarginRow]:
    """Messages accepted in ``[since, until)`` that reached a carrier, grouped; with the
    segments of their earlier attempts given up after a failed receipt (``message_attempts``:
    a cost on the channel that carried them, no revenue — the message is billed once)."""
    from_package = case((messages.c.package_id.is_not(None), messages.c.segments), else_=0)
    earned = case((messages.c.billing == "settled", messages.c.price_micros), else_=0)
    rows = connection.execute(
        select(
            messages.c.country,
            messages.c.channel,
            messages.c.currency,
            func.count().label("messages"),
            func.sum(messages.c.segments).label("segments"),
            func.sum(from_package).label("package_segments"),
            func.sum(earned).label("revenue"),
        )
        .where(
            # A scan of the period's rows by created_at (no index: an operator report is
            # worth less than one more index on every accepted message).
            messages.c.created_at >= since,
            messages.c.created_at < until,
            messages.c.submitted_at.is_not(None),
            messages.c.channel.is_not(None),
        )
        .group_by(messages.c.country, messages.c.channel, messages.c.currency)
        .order_by(messages.c.country, messages.c.channel, messages.c.currency)
    )
    groups: dict[tuple[str, str, str], list[int]] = {}
    for row in rows:
        groups[(row.country, row.channel, row.currency)] = [
            int(row.messages),
            int(row.segments or 0),
            int(row.package_segments or 0),
            int(row.revenue or 0),
            0,
        ]
    for key, failover_segments in _failover_segments(connection, since, until).items():
        groups.setdefault(key, [0, 0, 0, 0, 0])[4] = failover_segments
    costs = cost_lookup(read_channel_costs(connection))
    report = []
    for (country, channel, currency), figures in sorted(groups.items()):
        count, segments, package_segments, revenue, failover_segments = figures
        per_segment = unit_cost(costs, channel, country)
        cost = None if per_segment is None else per_segment * (segments + failover_segments)
        report.append(
            MarginRow(
                country=country,
                channel=channel,
                currency=currency,
                messages=count,
                segments=segments,
                package_segments=package_segments,
                revenue_micros=revenue,
                cost_micros=cost,
                margin_micros=None if cost is None else revenue - cost,
                failover_segments=failover_segments,
            )
        )
    return report


def _failover_segments(
    connection: Connection, since: datetime, until: datetime
) -> dict[tuple[str, str, str], int]:
    """Segments of abandoned attempts of the period's messages, by country, channel and
    currency."""
    rows = connection.execute(
        select(
            messages.c.country,
            message_attempts.c.channel,
            messages.c.currency,
            func.sum(message_attempts.c.segments).label("segments"),
        )
        .select_from(
            message_attempts.join(messages, messages.c.id == message_attempts.c.message_id)
        )
        .where(messages.c.created_at >= since, messages.c.created_at < until)
        .group_by(messages.c.country, message_attempts.c.channel, messages.c.currency)
    )
    return {(row.country, row.channel, row.currency): int(row.segments or 0) for row in rows}
