"""Sums of the report rollups (what :class:`~parcelsms.pipeline.report_ports.ReportStore` reads).

One ``SELECT … GROUP BY`` per report, from one of three tables:

* ``report_hours`` for totals, or groups by day (any time zone), hour, status or account:
  a few rows per account and hour (the operator's, but by account, read the rows summed
  over all accounts);
* ``report_daily`` for the whole UTC days of the period when the grouping is one of its
  dimensions (country, template, channel): a few hundred rows per account and day,
  whatever the volume; the hours before the first and after the last whole day read
  ``report_rollups`` (the operator's groups by channel read the channel-and-country rows
  summed over all accounts);
* ``report_rollups`` (hourly, every dimension) otherwise: a sender's report reads a
  contiguous run of its key (account, hour), the operator's goes through the hour index.

The operator's channel costs are read apart and priced in SQL (:mod:`.report_cost_rows`),
then put on the figures: a group's cost on its first row.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Final

import msgspec
from sqlalchemy import ColumnElement, Table, func, select
from sqlalchemy.engine import Connection

from parcelsms.adapters.storage.engine.schema.report_tables import (
    LATENCY_COLUMNS,
    report_daily,
    report_hours,
    report_rollups,
)
from parcelsms.adapters.storage.reports.report_cost_rows import GroupCosts, read_group_costs
from parcelsms.adapters.storage.reports.rollup_rows import ALL_ACCOUNTS
from parcelsms.pipeline.report_ports import Dimension, RollupQuery, RollupSum

_HOURLY_COLUMN: Final[dict[str, str]] = {
    "hour": "hour",
    "account": "account_id",
    "country": "country",
    "channel": "channel",
    "template": "template_id",
}
_COUNTRY_LENGTH: Final = 2


_HOUR_TOTALS: Final = ((), ("hour",), ("account",))
_DAILY_DIMENSIONS: Final[dict[tuple[Dimension, ...], str]] = {
    ("country",): "country",
    ("template",): "template",
    ("channel",): "channel_country",
}


def _daily_dimension(query: RollupQuery) -> str | None:
    """The ``report_daily`` dimension that answers ``query``'s whole UTC days, or ``None``:
    read hourly."""
    if not query.days_suffice:
        return None
    return _DAILY_DIMENSIONS.get(query.dimensions)


def _sums(table: Table) -> list[ColumnElement[Any]]:
    return [
        func.sum(table.c.messages).label("messages"),
        func.sum(table.c.segments).label("segments"),
        func.sum(table.c.charged_micros).label("charged_micros"),
        *(func.sum(table.c[name]).label(name) for name in LATENCY_COLUMNS),
    ]


def _read_daily(connection: Connection, query: RollupQuery, dimension: str) -> list[dict[str, Any]]:
    d = report_daily.c
    keys: list[ColumnElement[Any]] = []
    if "account" in query.dimensions:
        keys.append(d.account_id)
    if "hour" in query.dimensions:
        keys.append(d.day)
    keys += [d.value, d.currency, d.status]
    statement = (
        select(*keys, *_sums(report_daily))
        .where(
            d.dimension == dimension,
            d.day >= query.since_hour // 24,
            d.day < query.until_hour // 24,
        )
        .group_by(*keys)
        .having(func.sum(d.messages) != 0)
    )
    if query.account_id is not None:
        statement = statement.where(d.account_id == query.account_id)
    elif "account" not in query.dimensions and dimension == "channel_country":
        statement = statement.where(d.account_id == ALL_ACCOUNTS)
    else:
        statement = statement.where(d.account_id != ALL_ACCOUNTS)
    found = []
    for row in connection.execute(statement):
        values = dict(row._mapping)
        if "day" in values:
            values["hour"] = values.pop("day") * 24
        value = values.pop("value")
        if dimension == "country":
            values["country"] = value
        elif dimension == "template":
            values["template_id"] = value
        else:
            values["country"] = value[:_COUNTRY_LENGTH]
            values["channel"] = value[_COUNTRY_LENGTH:]
        found.append(values)
    return found


def _read_hour_totals(connection: Connection, query: RollupQuery) -> list[dict[str, Any]]:
    h = report_hours.c
    keys: list[ColumnElement[Any]] = []
    if "account" in query.dimensions:
        keys.append(h.account_id)
    if "hour" in query.dimensions:
        # Days are enough: group by the first hour of each UTC day in SQL.
        keys.append((h.hour // 24 * 24).label("hour") if query.days_suffice else h.hour)
    keys += [h.currency, h.status]
    statement = (
        select(*keys, *_sums(report_hours))
        .where(h.hour >= query.since_hour, h.hour < query.until_hour)
        .group_by(*keys)
        .having(func.sum(h.messages) != 0)
    )
    if query.account_id is not None:
        statement = statement.where(h.account_id == query.account_id)
    elif "account" in query.dimensions:
        statement = statement.where(h.account_id != ALL_ACCOUNTS)
    else:
        statement = statement.where(h.account_id == ALL_ACCOUNTS)
    return [dict(row._mapping) for row in connection.execute(statement)]


def _read_hourly(connection: Connection, query: RollupQuery) -> list[dict[str, Any]]:
    r = report_rollups.c
    names = [_HOURLY_COLUMN[dimension] for dimension in query.dimensions]
    keys: list[ColumnElement[Any]] = [r[name] for name in names]
    keys += [r.currency, r.status]
    statement = (
        select(*keys, *_sums(report_rollups))
        .where(r.hour >= query.since_hour, r.hour < query.until_hour)
        .group_by(*keys)
        # Rows a message moved out of stay behind with zero counts.
        .having(func.sum(r.messages) != 0)
    )
    if query.account_id is not None:
        statement = statement.where(r.account_id == query.account_id)
    return [dict(row._mapping) for row in connection.execute(statement)]


def read_rollup_sums(connection: Connection, query: RollupQuery) -> list[RollupSum]:
    """The rollups of ``query`` summed per group, status and currency."""
    dimension = _daily_dimension(query)
    # The whole UTC days inside the period; the hours before and after them read hourly.
    first_day = -(-query.since_hour // 24) * 24
    last_day = query.until_hour // 24 * 24
    if query.dimensions in _HOUR_TOTALS:
        rows = _read_hour_totals(connection, query)
    elif dimension is not None and first_day < last_day:
        rows = _read_daily(
            connection,
            msgspec.structs.replace(query, since_hour=first_day, until_hour=last_day),
            dimension,
        )
        for since, until in ((query.since_hour, first_day), (last_day, query.until_hour)):
            if since < until:
                edge = msgspec.structs.replace(query, since_hour=since, until_hour=until)
                rows += _read_hourly(connection, edge)
    else:
        rows = _read_hourly(connection, query)
    sums = _folded(rows, query.dimensions)
    if not query.with_costs:
        return sums
    return _with_costs(sums, read_group_costs(connection, query), by_status=not query.dimensions)


def _folded(rows: Sequence[dict[str, Any]], dimensions: Sequence[Dimension]) -> list[RollupSum]:
    names = [_HOURLY_COLUMN[dimension] for dimension in dimensions]
    folded: dict[tuple[Any, ...], RollupSum] = {}
    for row in rows:
        found = RollupSum(
            group=tuple(row[name] for name in names),
            currency=row["currency"],
            status=row["status"],
            messages=int(row["messages"]),
            segments=int(row["segments"]),
            charged_micros=int(row["charged_micros"]),
            latency=tuple(int(row[name]) for name in LATENCY_COLUMNS),
        )
        key = (found.group, found.currency, found.status)
        before = folded.get(key)
        folded[key] = found if before is None else _added(before, found)
    return list(folded.values())


def _with_costs(sums: list[RollupSum], costs: GroupCosts, by_status: bool) -> list[RollupSum]:
    """``sums`` with each group's cost on its first row (0 on the others)."""
    priced: set[tuple[tuple[int | str, ...], str, str]] = set()
    found = []
    for row in sums:
        key = (row.group, row.currency, row.status if by_status else "")
        cost: int | None = 0
        if key not in priced:
            priced.add(key)
            cost = costs.get(key, 0)
        found.append(msgspec.structs.replace(row, cost_micros=cost))
    return found


def _added(one: RollupSum, other: RollupSum) -> RollupSum:
    return RollupSum(
        group=one.group,
        currency=one.currency,
        status=one.status,
        messages=one.messages + other.messages,
        segments=one.segments + other.segments,
        charged_micros=one.charged_micros + other.charged_micros,
        latency=tuple(a + b for a, b in zip(one.latency, other.latency, strict=True)),
    )
