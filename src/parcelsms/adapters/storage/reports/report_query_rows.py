"""Sums of the report rollups (what :class:`~parcelsms.pipeline.report_ports.ReportStore` reads).

One ``SELECT … GROUP BY`` over the hours asked for: a sender's report reads a contiguous
run of the table's key (account, hour), the operator's goes through the hour index. Channel
costs reuse the operator's cost table and its lookup rule (:mod:`..billing.price_rows`, as
the margins report does): the segments of messages that reached a carrier (submitted or a
carrier outcome, on a channel), times the cost per segment of their channel and country.
"""

from __future__ import annotations

from typing import Any, Final

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.engine import Connection

from parcelsms.adapters.storage.billing.price_rows import cost_lookup, read_channel_costs, unit_cost
from parcelsms.adapters.storage.engine.schema.report_tables import LATENCY_COLUMNS, report_rollups
from parcelsms.domain.status import CARRIER_OUTCOMES, MessageStatus
from parcelsms.pipeline.report_ports import Dimension, RollupQuery, RollupSum

_COLUMN: Final[dict[Dimension, str]] = {
    "hour": "hour",
    "account": "account_id",
    "country": "country",
    "channel": "channel",
    "template": "template_id",
}
_REACHED_CARRIER: Final = frozenset({MessageStatus.SUBMITTED, *CARRIER_OUTCOMES})
_r = report_rollups.c


def read_rollup_sums(connection: Connection, query: RollupQuery) -> list[RollupSum]:
    """The rollups of ``query`` summed per group, status and currency."""
    names = [_COLUMN[dimension] for dimension in query.dimensions]
    # Costs depend on channel and country: group by them too, then fold them away.
    extra = [name for name in ("channel", "country") if query.with_costs and name not in names]
    keys: list[ColumnElement[Any]] = [_r[name] for name in (*names, *extra)]
    keys += [_r.currency, _r.status]
    messages = func.sum(_r.messages)
    statement = (
        select(
            *keys,
            messages.label("messages"),
            func.sum(_r.segments).label("segments"),
            func.sum(_r.charged_micros).label("charged_micros"),
            *(func.sum(_r[name]).label(name) for name in LATENCY_COLUMNS),
        )
        .where(_r.hour >= query.since_hour, _r.hour < query.until_hour)
        .group_by(*keys)
        # Rows a message moved out of stay behind with zero counts.
        .having(messages != 0)
    )
    if query.account_id is not None:
        statement = statement.where(_r.account_id == query.account_id)
    rows = connection.execute(statement).all()
    if not query.with_costs:
        return [_sum(row, names) for row in rows]
    costs = cost_lookup(read_channel_costs(connection))
    folded: dict[tuple[Any, ...], RollupSum] = {}
    for row in rows:
        cost: int | None = 0
        if row.status in _REACHED_CARRIER and row.channel:
            per_segment = unit_cost(costs, row.channel, row.country)
            cost = None if per_segment is None else per_segment * int(row.segments)
        found = _sum(row, names, cost)
        key = (found.group, found.currency, found.status)
        before = folded.get(key)
        folded[key] = found if before is None else _added(before, found)
    return list(folded.values())


def _sum(row: Any, names: list[str], cost: int | None = None) -> RollupSum:
    return RollupSum(
        group=tuple(row._mapping[name] for name in names),
        currency=row.currency,
        status=row.status,
        messages=int(row.messages),
        segments=int(row.segments),
        charged_micros=int(row.charged_micros),
        latency=tuple(int(row._mapping[name]) for name in LATENCY_COLUMNS),
        cost_micros=cost,
    )


def _added(one: RollupSum, other: RollupSum) -> RollupSum:
    cost = None
    if one.cost_micros is not None and other.cost_micros is not None:
        cost = one.cost_micros + other.cost_micros
    return RollupSum(
        group=one.group,
        currency=one.currency,
        status=one.status,
        messages=one.messages + other.messages,
        segments=one.segments + other.segments,
        charged_micros=one.charged_micros + other.charged_micros,
        latency=tuple(a + b for a, b in zip(one.latency, other.latency, strict=True)),
        cost_micros=cost,
    )
