"""The operator's channel costs per group, read apart from the figures and priced in SQL.

A cost is the segments that reached a carrier times the cost per segment of their channel
and country (:func:`~..billing.price_rows.joined_unit_cost`, the rule of ``unit_cost``).
The figures of a group need no channel or country; its cost does, so reading both from
one table would multiply the rows read by every channel and country. Instead one
``SELECT`` sums the segments per group, currency, country and channel over the narrowest
table that has them, joins the cost table and answers one row per group and currency:

* by hour (or days of a time zone): ``report_carrier_hours`` (per hour, country and
  channel, all accounts);
* by template: ``report_carrier_days`` (per UTC day, template, country and channel);
* by country, channel, account, status, or UTC day: ``report_daily``'s channel-and-country
  rows (all accounts summed under ``'*'``, and each account's);

the whole UTC days from the daily tables, the hours before and after them from the hourly
rollups. The carrier tables sum every account: an operator's report of one account by
hour or template reads that account's hourly rollups.
"""

from __future__ import annotations

from typing import Any, Final

from sqlalchemy import ColumnElement, Select, and_, case, func, literal, select, union_all
from sqlalchemy.engine import Connection

from parcelsms.adapters.storage.billing.price_rows import joined_unit_cost
from parcelsms.adapters.storage.engine.schema.report_tables import (
    report_carrier_days,
    report_carrier_hours,
    report_daily,
    report_rollups,
)
from parcelsms.adapters.storage.reports.rollup_rows import ALL_ACCOUNTS, REACHED_CARRIER
from parcelsms.pipeline.report_ports import RollupQuery

GroupCosts = dict[tuple[tuple[int | str, ...], str, str], int | None]
"""``(group, currency, status)`` → the channel cost of the group's segments that reached a
carrier, ``None`` when a channel and country of the group has no cost set. ``status`` is
'' unless the query has no dimensions (then costs are per status)."""

_COUNTRY_LENGTH: Final = 2
_REACHED: Final = sorted(REACHED_CARRIER)


def read_group_costs(connection: Connection, query: RollupQuery) -> GroupCosts:
    """The costs of ``query``'s groups (at most one dimension)."""
    rows = union_all(*_sources(query)).subquery("carried")
    joined, per_segment = joined_unit_cost(rows)
    statement = (
        select(
            rows.c.grp,
            rows.c.currency,
            func.sum(rows.c.segments * per_segment),
            # Rows that messages moved out of stay behind with 0 segments: no cost needed.
            func.sum(case((and_(per_segment.is_(None), rows.c.segments != 0), 1), else_=0)),
        )
        .select_from(joined)
        .group_by(rows.c.grp, rows.c.currency)
    )
    costs: GroupCosts = {}
    for group, currency, cost, unpriced in connection.execute(statement):
        # Without dimensions the group column holds the status.
        key = ((group,), currency, "") if query.dimensions else ((), currency, group)
        costs[key] = None if unpriced else int(cost or 0)
    return costs


def _sources(query: RollupQuery) -> list[Select[Any]]:
    dimension = query.dimensions[0] if query.dimensions else None
    if dimension == "hour" and query.account_id is None:
        c = report_carrier_hours.c
        return [
            select(_hour(c.hour, query), c.currency, c.country, c.channel, c.segments).where(
                c.hour >= query.since_hour, c.hour < query.until_hour
            )
        ]
    first_day = -(-query.since_hour // 24)
    last_day = query.until_hour // 24
    whole_days = (
        first_day < last_day
        and (dimension != "hour" or query.days_suffice)
        and (dimension != "template" or query.account_id is None)
    )
    if not whole_days:
        return [_hours(query, query.since_hour, query.until_hour)]
    sources = [_days(query, first_day, last_day)]
    for since, until in ((query.since_hour, first_day * 24), (last_day * 24, query.until_hour)):
        if since < until:
            sources.append(_hours(query, since, until))
    return sources


def _hour(hour: ColumnElement[int], query: RollupQuery) -> ColumnElement[Any]:
    return (hour // 24 * 24 if query.days_suffice else hour).label("grp")


def _days(query: RollupQuery, first_day: int, last_day: int) -> Select[Any]:
    dimension = query.dimensions[0] if query.dimensions else None
    if dimension == "template":
        c = report_carrier_days.c
        return select(
            c.template_id.label("grp"), c.currency, c.country, c.channel, c.segments
        ).where(c.day >= first_day, c.day < last_day)
    d = report_daily.c
    country = func.substr(d.value, 1, _COUNTRY_LENGTH)
    channel = func.substr(d.value, _COUNTRY_LENGTH + 1)
    group: ColumnElement[Any] = {
        None: d.status,
        "hour": d.day * 24,
        "country": country,
        "channel": channel,
        "account": d.account_id,
    }[dimension]
    statement = select(
        group.label("grp"),
        d.currency,
        country.label("country"),
        channel.label("channel"),
        d.segments,
    ).where(
        d.dimension == "channel_country",
        d.day >= first_day,
        d.day < last_day,
        d.status.in_(_REACHED),
        func.length(d.value) > _COUNTRY_LENGTH,
    )
    if query.account_id is not None:
        return statement.where(d.account_id == query.account_id)
    if dimension == "account":
        return statement.where(d.account_id != ALL_ACCOUNTS)
    return statement.where(d.account_id == ALL_ACCOUNTS)


def _hours(query: RollupQuery, since: int, until: int) -> Select[Any]:
    r = report_rollups.c
    dimension = query.dimensions[0] if query.dimensions else None
    group: ColumnElement[Any] = {
        None: r.status,
        "hour": _hour(r.hour, query),
        "country": r.country,
        "channel": r.channel,
        "account": r.account_id,
        "template": r.template_id,
    }[dimension]
    statement = select(group.label("grp"), r.currency, r.country, r.channel, r.segments).where(
        r.hour >= since, r.hour < until, r.channel != literal(""), r.status.in_(_REACHED)
    )
    if query.account_id is not None:
        statement = statement.where(r.account_id == query.account_id)
    return statement
