"""Routes: which carrier channels, in which order, carry messages to a country.

A :class:`Route` names countries (ISO 3166 alpha-2 codes, or the wildcard ``"*"``) and an
ordered tuple of channel names: the first channel is tried first, the next ones are the
failover plan. A :class:`RouteTable` answers ``plan_for(country)``:

* the first route that names the country explicitly wins;
* otherwise the first wildcard route;
* otherwise the country is not served: ``unsupported_country``.

So an operator can write a catch-all ``["*"]`` route first and still override single
countries below it. The table is validated at construction against the set of configured
channel names, with errors naming the route's key (``routes[2].channels``).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType
from typing import Final, Literal

from parcelsms.domain.error_catalogue import error
from parcelsms.domain.numbers import KNOWN_REGIONS
from parcelsms.errors import ConfigError

ANY_COUNTRY: Final = "*"


@dataclass(frozen=True, slots=True)
class Route:
    """Channels (in failover order) for ``countries``, or for any country when ``"*"``."""

    countries: frozenset[str] | Literal["*"]
    channels: tuple[str, ...]

    def __post_init__(self) -> None:
        # Accept the spellings a loader naturally produces: ["*"] and a list of channels.
        if self.countries != ANY_COUNTRY:
            countries = frozenset(self.countries)
            object.__setattr__(
                self, "countries", ANY_COUNTRY if countries == {ANY_COUNTRY} else countries
            )
        object.__setattr__(self, "channels", tuple(self.channels))


class RouteTable:
    """An immutable, validated list of routes; see the module docstring for the rule."""

    __slots__ = ("_by_country", "_routes", "_wildcard_plan")

    def __init__(self, routes: Sequence[Route], known_channels: Iterable[str]) -> None:
        """Validate ``routes`` against ``known_channels``; raise :class:`ConfigError`.

        Refused: a route without countries or without channels, a country code unknown to
        the numbering metadata (``UK`` instead of ``GB``), an unknown channel name and a
        channel listed twice in one route.
        """
        known = frozenset(known_channels)
        by_country: dict[str, tuple[str, ...]] = {}
        wildcard_plan: tuple[str, ...] | None = None
        for index, route in enumerate(routes):
            _check_channels(route.channels, known, f"routes[{index}].channels")
            if route.countries == ANY_COUNTRY:
                if wildcard_plan is None:
                    wildcard_plan = route.channels
                continue
            _check_countries(route.countries, f"routes[{index}].countries")
            for country in route.countries:
                by_country.setdefault(country, route.channels)
        self._routes = tuple(routes)
        self._by_country: Mapping[str, tuple[str, ...]] = MappingProxyType(by_country)
        self._wildcard_plan = wildcard_plan

    @property
    def routes(self) -> tuple[Route, ...]:
        """The routes in the order they were given."""
        return self._routes

    def plan_for(self, country: str, *, field: str = "to") -> tuple[str, ...]:
        """Channel names to try, in order, for a message to ``country``.

        Raises :class:`CatalogueError` ``unsupported_country`` (with ``field``) when no
        route serves the country.
        """
        plan = self._by_country.get(country, self._wildcard_plan)
        if plan is None:
            raise error(
                "unsupported_country",
                f"Messages to {country} are not supported: no route is configured for it.",
                field=field,
            )
        return plan

    def serves(self, country: str) -> bool:
        """True when :meth:`plan_for` has a plan for ``country``."""
        return country in self._by_country or self._wildcard_plan is not None

    def __repr__(self) -> str:
        return f"RouteTable({list(self._routes)!r})"


def _check_channels(channels: tuple[str, ...], known: frozenset[str], key: str) -> None:
    if not channels:
        raise ConfigError("a route needs at least one channel", key=key)
    seen: set[str] = set()
    for name in channels:
        if name not in known:
            names = ", ".join(sorted(known)) or "none"
            raise ConfigError(f"unknown channel {name!r}; configured channels: {names}", key=key)
        if name in seen:
            raise ConfigError(f"channel {name!r} is listed twice", key=key)
        seen.add(name)


def _check_countries(countries: frozenset[str], key: str) -> None:
    if not countries:
        raise ConfigError('a route needs at least one country (or "*")', key=key)
    for country in sorted(countries):
        if country == ANY_COUNTRY:
            raise ConfigError('"*" cannot be mixed with country codes', key=key)
        if country not in KNOWN_REGIONS:
            raise ConfigError(
                f"{country!r} is not an ISO 3166 alpha-2 country code with a numbering plan "
                "(write capitals; the United Kingdom is GB)",
                key=key,
            )
