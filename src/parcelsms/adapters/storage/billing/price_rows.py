"""The operator's price list and channel costs: rows, audited changes, reads.

Prices live in ``prices`` (country ``'*'`` is the default). The configuration's ``[prices]``
seeds the table once, when it is empty; from then on the database is the price list and the
operator edits it (admin API, CLI), each change audited with before/after in its transaction.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, FromClause, and_, func, select
from sqlalchemy.engine import Connection

from parcelsms.adapters.storage.accounts.audit_rows import write_audit
from parcelsms.adapters.storage.context import StorageContext
from parcelsms.adapters.storage.engine.schema.billing_tables import channel_costs, prices
from parcelsms.domain.money import format_micros
from parcelsms.domain.pricing import PriceList
from parcelsms.pipeline.account_security_ports import Actor
from parcelsms.pipeline.billing_ports import DEFAULT_COUNTRY, ChannelCost, PriceEntry


@dataclass(frozen=True, slots=True)
class PriceChange:
    country: str
    micros: int | None  # None: remove the country's own price
    actor: Actor


@dataclass(frozen=True, slots=True)
class CostChange:
    channel: str
    country: str
    micros: int | None  # None: remove
    actor: Actor


def _price_row(connection: Connection, country: str) -> PriceEntry | None:
    row = connection.execute(select(prices).where(prices.c.country == country)).first()
    if row is None:
        return None
    return PriceEntry(country=row.country, price_micros=row.price_micros, updated_at=row.updated_at)


def _cost_row(connection: Connection, channel: str, country: str) -> ChannelCost | None:
    row = connection.execute(
        select(channel_costs).where(
            channel_costs.c.channel == channel, channel_costs.c.country == country
        )
    ).first()
    if row is None:
        return None
    return ChannelCost(
        channel=row.channel,
        country=row.country,
        cost_micros=row.cost_micros,
        updated_at=row.updated_at,
    )


def _money(micros: int | None) -> dict[str, str] | None:
    return None if micros is None else {"amount": format_micros(micros)}


class PriceOperations:
    """Bulk functions for price and cost writes (one item at a time inside the group)."""

    def __init__(self, context: StorageContext) -> None:
        self._context = context

    def seed(self, connection: Connection, items: list[PriceList]) -> Sequence[bool]:
        results = []
        for price_list in items:
            (count,) = connection.execute(select(func.count()).select_from(prices)).one()
            if count:
                results.append(False)
                continue
            now = self._context.clock()
            connection.execute(
                prices.insert(),
                [
                    {
                        "country": DEFAULT_COUNTRY,
                        "price_micros": price_list.default_micros,
                        "updated_at": now,
                    },
                    *(
                        {"country": country, "price_micros": micros, "updated_at": now}
                        for country, micros in sorted(price_list.per_country.items())
                    ),
                ],
            )
            results.append(True)
        return results

    def set_price(
        self, connection: Connection, items: list[PriceChange]
    ) -> Sequence[PriceEntry | bool]:
        results: list[PriceEntry | bool] = []
        for item in items:
            now = self._context.clock()
            before = _price_row(connection, item.country)
            if item.micros is None:
                if before is None:
                    results.append(False)
                    continue
                connection.execute(prices.delete().where(prices.c.country == item.country))
            elif before is None:
                connection.execute(
                    prices.insert().values(
                        country=item.country, price_micros=item.micros, updated_at=now
                    )
                )
            else:
                connection.execute(
                    prices.update()
                    .where(prices.c.country == item.country)
                    .values(price_micros=item.micros, updated_at=now)
                )
            write_audit(
                connection,
                item.actor,
                "price.remove" if item.micros is None else "price.set",
                at=now,
                target_type="price",
                target_id=item.country,
                account_id=None,
                before=_money(before.price_micros if before else None),
                after=_money(item.micros),
            )
            if item.micros is None:
                results.append(True)
            else:
                results.append(
                    PriceEntry(country=item.country, price_micros=item.micros, updated_at=now)
                )
        return results

    def set_cost(
        self, connection: Connection, items: list[CostChange]
    ) -> Sequence[ChannelCost | bool]:
        results: list[ChannelCost | bool] = []
        for item in items:
            now = self._context.clock()
            before = _cost_row(connection, item.channel, item.country)
            where = (channel_costs.c.channel == item.channel) & (
                channel_costs.c.country == item.country
            )
            if item.micros is None:
                if before is None:
                    results.append(False)
                    continue
                connection.execute(channel_costs.delete().where(where))
            elif before is None:
                connection.execute(
                    channel_costs.insert().values(
                        channel=item.channel,
                        country=item.country,
                        cost_micros=item.micros,
                        updated_at=now,
                    )
                )
            else:
                connection.execute(
                    channel_costs.update()
                    .where(where)
                    .values(cost_micros=item.micros, updated_at=now)
                )
            write_audit(
                connection,
                item.actor,
                "channel_cost.remove" if item.micros is None else "channel_cost.set",
                at=now,
                target_type="channel_cost",
                target_id=f"{item.channel}/{item.country}",
                account_id=None,
                before=_money(before.cost_micros if before else None),
                after=_money(item.micros),
            )
            if item.micros is None:
                results.append(True)
            else:
                results.append(
                    ChannelCost(
                        channel=item.channel,
                        country=item.country,
                        cost_micros=item.micros,
                        updated_at=now,
                    )
                )
        return results


def read_prices(connection: Connection) -> list[PriceEntry]:
    """The default first (``'*'`` sorts before letters), then countries in order."""
    rows = connection.execute(select(prices).order_by(prices.c.country))
    return [
        PriceEntry(country=row.country, price_micros=row.price_micros, updated_at=row.updated_at)
        for row in rows
    ]


def read_price_list(connection: Connection) -> PriceList | None:
    """The stored list as a domain :class:`PriceList`; ``None`` before it was seeded."""
    entries = read_prices(connection)
    default = next((e.price_micros for e in entries if e.country == DEFAULT_COUNTRY), None)
    if default is None:
        return None
    return PriceList(
        default,
        {e.country: e.price_micros for e in entries if e.country != DEFAULT_COUNTRY},
    )


def read_channel_costs(connection: Connection) -> list[ChannelCost]:
    rows = connection.execute(
        select(channel_costs).order_by(channel_costs.c.channel, channel_costs.c.country)
    )
    return [
        ChannelCost(
            channel=row.channel,
            country=row.country,
            cost_micros=row.cost_micros,
            updated_at=row.updated_at,
        )
        for row in rows
    ]


def cost_lookup(costs: Sequence[ChannelCost]) -> dict[tuple[str, str], int]:
    """``(channel, country)`` → cost per segment, ``country`` ``'*'`` for a channel default."""
    return {(cost.channel, cost.country): cost.cost_micros for cost in costs}


def unit_cost(lookup: dict[tuple[str, str], int], channel: str, country: str) -> int | None:
    """The per-segment cost over ``channel`` to ``country``; ``None`` when none is set."""
    found = lookup.get((channel, country))
    return found if found is not None else lookup.get((channel, DEFAULT_COUNTRY))


def joined_unit_cost(rows: FromClause) -> tuple[FromClause, ColumnElement[Any]]:
    """:func:`unit_cost` in SQL, for reads that price many rows at once: ``rows`` (with
    ``channel`` and ``country`` columns) joined to the cost table, and the per-segment cost
    column of the join (NULL when none is set). The same rule: the country's cost, else
    the channel's default."""
    exact = channel_costs.alias("exact_cost")
    default = channel_costs.alias("default_cost")
    joined = rows.outerjoin(
        exact, and_(exact.c.channel == rows.c.channel, exact.c.country == rows.c.country)
    ).outerjoin(
        default, and_(default.c.channel == rows.c.channel, default.c.country == DEFAULT_COUNTRY)
    )
    return joined, func.coalesce(exact.c.cost_micros, default.c.cost_micros)
