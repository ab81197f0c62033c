"""Routes: which carrier channels, in which order, carry a message (pure).

A :class:`Route` has **filters**, ANDed, and a **plan**: an ordered tuple of channel names
with a strategy (:mod:`parcelsms.domain.route_plans` orders them). The filters, each
empty meaning "any":

=============  ==========================================================================
``accounts``   the sending account's id
``countries``  ISO 3166 alpha-2 codes of the destination's numbering plan, or ``"*"``
``prefixes``   E.164 prefixes of the destination (``+5511``)
``carriers``   the carrier the destination's number range was allocated to (the
               ``phonenumbers`` prefix data, offline; case-insensitive, ``"Vivo"``)
``sender_ids`` the sender ID the message goes out with (the one chosen for it)
=============  ==========================================================================

A :class:`RouteTable` is the validated, ordered list. **The first route whose filters all
match wins** — with one exception that keeps the old ``[[routes]] countries/channels`` tables
meaning what they meant: a *catch-all* (countries ``"*"`` and no other filter) applies only
when no other route matches, wherever it stands. No route matching means the message cannot
be sent: ``unsupported_country``.

The table keeps, per country, the positions of the routes that can match it (the routes
naming it, and those for any country), so matching looks at a handful of routes whatever
the table's size.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Final, Literal

import msgspec
import phonenumbers
from phonenumbers import carrier as phone_carriers

from parcelsms.domain.number_plans import parse_e164
from parcelsms.domain.numbers import KNOWN_REGIONS

ANY_COUNTRY: Final = "*"
Strategy = Literal["priority", "weighted", "least_cost"]
STRATEGIES: Final[tuple[Strategy, ...]] = ("priority", "weighted", "least_cost")
FILTER_NAMES: Final = ("accounts", "countries", "prefixes", "carriers", "sender_ids")

_PREFIX: Final = re.compile(r"\+[1-9][0-9]{0,14}")


class RouteInvalid(ValueError):
    """A route that cannot be used; ``field`` names its part (``channels``, ``weights``)."""

    def __init__(self, message: str, field: str) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


@dataclass(frozen=True, slots=True)
class Route:
    """Filters (ANDed; empty: any) and a plan of channels (see the module docstring).

    ``weights``: one per channel for ``weighted`` (0: only as a failover); ``delivery_floor``:
    for ``least_cost``, the share of delivered receipts (0..1) under which a channel is
    passed over for the dearer ones. ``name``: how errors and explanations refer to it
    (``routes[2]`` for the configuration file, the id for a stored route).
    """

    countries: frozenset[str] | Literal["*"] = ANY_COUNTRY
    channels: tuple[str, ...] = ()
    accounts: frozenset[str] = frozenset()
    prefixes: tuple[str, ...] = ()
    carriers: tuple[str, ...] = ()
    sender_ids: frozenset[str] = frozenset()
    strategy: Strategy = "priority"
    weights: tuple[int, ...] = ()
    delivery_floor: float = 0.0
    name: str = ""
    # The carriers casefolded, once: matching compares with them on every message.
    carrier_keys: frozenset[str] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        # Accept the spellings a loader naturally produces: ["*"] and lists.
        if self.countries != ANY_COUNTRY:
            countries = frozenset(self.countries)
            object.__setattr__(
                self, "countries", ANY_COUNTRY if countries == {ANY_COUNTRY} else countries
            )
        for name in ("channels", "prefixes", "carriers", "weights"):
            object.__setattr__(self, name, tuple(getattr(self, name)))
        for name in ("accounts", "sender_ids"):
            object.__setattr__(self, name, frozenset(getattr(self, name)))
        object.__setattr__(self, "carrier_keys", frozenset(c.casefold() for c in self.carriers))

    @property
    def is_catch_all(self) -> bool:
        """Any country and no other filter: used only when no other route matches."""
        return (
            self.countries == ANY_COUNTRY
            and not self.accounts
            and not self.prefixes
            and not self.carriers
            and not self.sender_ids
        )


class MessageFacts(msgspec.Struct, frozen=True):
    """What routing knows of a message. ``key`` spreads ``weighted`` plans (the same key
    always gets the same plan); the accept step passes the recipient's number."""

    country: str
    e164: str
    account_id: str | None = None
    sender_id: str | None = None
    key: str = ""


@functools.lru_cache(maxsize=8192)
def carrier_of(e164: str) -> str:
    """The carrier the number's range was allocated to ('' when unknown).

    From ``phonenumbers``' offline prefix data: a number ported to another carrier still
    reads as the original one.
    """
    try:
        number = parse_e164(e164)
    except phonenumbers.NumberParseException:
        return ""
    return str(phone_carriers.name_for_number(number, "en"))


def failed_filter(route: Route, facts: MessageFacts) -> tuple[str, str] | None:
    """The first filter of ``route`` that ``facts`` fail, with why; ``None``: it matches."""
    if route.accounts and facts.account_id not in route.accounts:
        return "accounts", f"account {facts.account_id or '(none)'} is not listed"
    countries = route.countries
    if countries != ANY_COUNTRY and facts.country not in countries:
        return "countries", f"{facts.country} is not listed"
    if route.prefixes and not facts.e164.startswith(route.prefixes):
        return "prefixes", "the number starts with none of the prefixes"
    if route.carriers:
        carrier = carrier_of(facts.e164)
        if carrier.casefold() not in route.carrier_keys:
            return "carriers", f"the number's carrier is {carrier or 'unknown'}"
    if route.sender_ids and facts.sender_id not in route.sender_ids:
        return "sender_ids", f"sender ID {facts.sender_id or '(channel default)'} is not listed"
    return None


class RouteTable:
    """An immutable, validated, ordered list of routes; see the module docstring."""

    __slots__ = ("_by_country", "_for_any_country", "_routes")

    def __init__(self, routes: Sequence[Route], known_channels: Iterable[str] | None) -> None:
        """Validate ``routes`` (:func:`check_route`; ``known_channels`` ``None``: any channel
        name) and index them; raise :class:`RouteInvalid` naming ``routes[i].<field>``."""
        known = None if known_channels is None else frozenset(known_channels)
        for index, route in enumerate(routes):
            try:
                check_route(route, known)
            except RouteInvalid as exc:
                raise RouteInvalid(exc.message, f"routes[{index}].{exc.field}") from None
        ordered = [route for route in routes if not route.is_catch_all]
        ordered += [route for route in routes if route.is_catch_all]
        self._routes = tuple(ordered)
        for_any: list[int] = []
        naming: dict[str, list[int]] = {}
        for position, route in enumerate(self._routes):
            if route.countries == ANY_COUNTRY:
                for_any.append(position)
            else:
                for country in route.countries:
                    naming.setdefault(country, []).append(position)
        self._for_any_country = tuple(self._routes[p] for p in for_any)
        self._by_country: Mapping[str, tuple[Route, ...]] = MappingProxyType(
            {
                country: tuple(self._routes[p] for p in sorted(positions + for_any))
                for country, positions in naming.items()
            }
        )

    @property
    def routes(self) -> tuple[Route, ...]:
        """The routes in the order they are tried (catch-alls last)."""
        return self._routes

    def candidates(self, country: str) -> tuple[Route, ...]:
        """The routes that may match a message to ``country``, in order."""
        return self._by_country.get(country, self._for_any_country)

    def match(self, facts: MessageFacts) -> Route | None:
        """The first route whose filters ``facts`` pass; ``None``: no route serves it."""
        for route in self._by_country.get(facts.country, self._for_any_country):
            if failed_filter(route, facts) is None:
                return route
        return None

    def reach(self, account_id: str) -> dict[str, bool]:
        """The countries a route may serve for ``account_id``, each with whether the route
        serves only some of its messages (a prefix, carrier or sender ID filter)."""
        reach: dict[str, bool] = {}
        for route in self._routes:
            if route.accounts and account_id not in route.accounts:
                continue
            partial = bool(route.prefixes or route.carriers or route.sender_ids)
            countries = KNOWN_REGIONS if route.countries == ANY_COUNTRY else route.countries
            for country in countries:
                reach[country] = reach.get(country, True) and partial
        return reach

    def __len__(self) -> int:
        return len(self._routes)

    def __repr__(self) -> str:
        return f"RouteTable({list(self._routes)!r})"


def check_route(route: Route, known_channels: frozenset[str] | None) -> None:
    """Raise :class:`RouteInvalid` naming the field when ``route`` cannot be used.

    Refused: no channel, an unknown channel (when ``known_channels`` is given), a channel
    twice, a country code without a numbering plan (``UK`` instead of ``GB``) or ``"*"``
    mixed with codes, a prefix that is not ``+`` and digits, an empty carrier or sender ID,
    weights that are not one non-negative number per channel with a positive sum (or given
    to another strategy), and a delivery floor outside 0..1.
    """
    _check_channels(route.channels, known_channels)
    if route.countries != ANY_COUNTRY:
        _check_countries(route.countries)
    for index, prefix in enumerate(route.prefixes):
        if not _PREFIX.fullmatch(prefix):
            raise RouteInvalid("a prefix is + and 1 to 15 digits (+5511)", f"prefixes[{index}]")
    for filter_name in ("carriers", "sender_ids", "accounts"):
        if any(not value.strip() for value in getattr(route, filter_name)):
            raise RouteInvalid("an empty name", filter_name)
    if route.strategy not in STRATEGIES:
        raise RouteInvalid(f"one of {', '.join(STRATEGIES)}", "strategy")
    if route.strategy == "weighted":
        weights = route.weights
        if len(weights) != len(route.channels):
            raise RouteInvalid("one weight per channel, in the order of channels", "weights")
        if any(weight < 0 for weight in weights) or sum(weights) <= 0:
            raise RouteInvalid("weights are 0 or more and at least one is positive", "weights")
    elif route.weights:
        raise RouteInvalid("weights apply to the weighted strategy only", "weights")
    if not 0.0 <= route.delivery_floor <= 1.0:
        raise RouteInvalid("a share from 0 to 1 (0.9 is 90 %)", "delivery_floor")


def _check_channels(channels: tuple[str, ...], known: frozenset[str] | None) -> None:
    if not channels:
        raise RouteInvalid("a route needs at least one channel", "channels")
    seen: set[str] = set()
    for name in channels:
        if known is not None and name not in known:
            names = ", ".join(sorted(known)) or "none"
            raise RouteInvalid(
                f"unknown channel {name!r}; configured channels: {names}", "channels"
            )
        if name in seen:
            raise RouteInvalid(f"channel {name!r} is listed twice", "channels")
        seen.add(name)


def _check_countries(countries: frozenset[str]) -> None:
    if not countries:
        raise RouteInvalid('a route needs at least one country (or "*")', "countries")
    for country in sorted(countries):
        if country == ANY_COUNTRY:
            raise RouteInvalid('"*" cannot be mixed with country codes', "countries")
        if country not in KNOWN_REGIONS:
            raise RouteInvalid(
                f"{country!r} is not an ISO 3166 alpha-2 country code with a numbering plan "
                "(write capitals; the United Kingdom is GB)",
                "countries",
            )
