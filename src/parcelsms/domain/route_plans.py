"""Plans: the matched route's channels in the order a message will try them (pure).

``plan = route(facts, table, conditions)``: the first matching route of the table
(:mod:`parcelsms.domain.routing`), its channels ordered by its strategy:

==============  ========================================================================
``priority``    as listed: the first healthy channel first
``weighted``    one channel first, picked by a hash of the message's key in proportion to
                the weights (the same key always picks the same channel), then the
                others as listed
``least_cost``  cheapest first by the channel's cost for the country (its own cost, else
                its default, else unknown: after every known cost); a channel whose
                recent delivery rate for the country is under the route's floor goes
                after those above it (a channel with too few receipts to tell counts as
                above)
==============  ========================================================================

Whatever the strategy, a channel that is down right now (no bind, or its circuit breaker
open) moves to the end of the plan — kept, not dropped: it may be back by the time the
message's turn comes, and the dispatcher skips whatever is down when it sends.

A plan never loses a channel: every channel of the route is in it, once.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Final

from parcelsms.domain.error_catalogue import error
from parcelsms.domain.routing import MessageFacts, Route, RouteTable

DEFAULT_COST_COUNTRY: Final = "*"
_EMPTY: Final[Mapping[tuple[str, str], float]] = MappingProxyType({})
_NO_COSTS: Final[Mapping[tuple[str, str], int]] = MappingProxyType({})


@dataclass(frozen=True, slots=True)
class ChannelConditions:
    """What routing knows of the channels now.

    ``down``: channels with no bind or an open breaker; ``delivery_rates``: the share of
    delivered receipts per (channel, country) where enough receipts came to tell;
    ``costs``: micro-units per segment per (channel, country), ``"*"`` for a channel's
    default.
    """

    down: frozenset[str] = frozenset()
    delivery_rates: Mapping[tuple[str, str], float] = field(default_factory=lambda: _EMPTY)
    costs: Mapping[tuple[str, str], int] = field(default_factory=lambda: _NO_COSTS)

    def cost(self, channel: str, country: str) -> int | None:
        """What one segment to ``country`` costs over ``channel``; ``None``: not known."""
        costs = self.costs
        found = costs.get((channel, country))
        return costs.get((channel, DEFAULT_COST_COUNTRY)) if found is None else found

    def below_floor(self, channel: str, country: str, floor: float) -> bool:
        rate = self.delivery_rates.get((channel, country))
        return rate is not None and rate < floor


NO_CONDITIONS: Final = ChannelConditions()


def route(
    facts: MessageFacts,
    table: RouteTable,
    conditions: ChannelConditions = NO_CONDITIONS,
    *,
    field: str = "to",
) -> tuple[str, ...]:
    """The plan for ``facts``; ``unsupported_country`` (naming ``field``) when no route
    matches."""
    matched = table.match(facts)
    if matched is None:
        raise error(
            "unsupported_country",
            f"Messages to {facts.country} are not supported: no route serves this number.",
            field=field,
        )
    return plan(matched, facts, conditions)


def plan(route: Route, facts: MessageFacts, conditions: ChannelConditions) -> tuple[str, ...]:
    """``route``'s channels in the order ``facts`` will try them (module docstring)."""
    channels = route.channels
    if route.strategy == "weighted":
        first = weighted_choice(channels, route.weights, facts.key)
        channels = (first, *(name for name in channels if name != first))
    elif route.strategy == "least_cost":
        channels = least_cost_order(route, facts.country, conditions)
    down = conditions.down
    if down and not down.isdisjoint(channels):
        channels = (
            *(name for name in channels if name not in down),
            *(name for name in channels if name in down),
        )
    return channels


def weighted_choice(channels: tuple[str, ...], weights: tuple[int, ...], key: str) -> str:
    """The channel ``key`` falls on when the weights split the hash space among channels."""
    digest = hashlib.blake2b(key.encode("utf-8"), digest_size=8).digest()
    point = int.from_bytes(digest, "big") % sum(weights)
    for name, weight in zip(channels, weights, strict=True):
        if point < weight:
            return name
        point -= weight
    raise AssertionError("the weights' sum bounds the point")  # pragma: no cover


def least_cost_order(route: Route, country: str, conditions: ChannelConditions) -> tuple[str, ...]:
    """Above the floor before below it; within each, known costs ascending, then unknown
    costs, ties in the listed order."""

    def rank(indexed: tuple[int, str]) -> tuple[bool, bool, int, int]:
        position, name = indexed
        cost = conditions.cost(name, country)
        below = conditions.below_floor(name, country, route.delivery_floor)
        return below, cost is None, cost or 0, position

    return tuple(name for _, name in sorted(enumerate(route.channels), key=rank))
