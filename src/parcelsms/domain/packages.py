"""Packages: bundles of segments for a region, with an expiry, and which one pays a message.

A package covers a **region** of destinations:

* ``domestic``: the account's home country only;
* ``international``: every country except the account's home country;
* ``countries``: an explicit list of countries.

The home country is fixed when the package is granted (a package is sold for a region, and
changing the account's home country later does not turn a domestic package into another
country's), so a stored package carries ``countries``: for ``domestic`` the home country,
for ``international`` the one country it excludes, for ``countries`` its list.

:func:`choose_package` is the rule the accept transaction applies: among the account's
packages that are not expired, cover the destination and hold enough segments for the whole
message, the one expiring soonest (ties: the oldest). A message is never split between a
package and the balance, nor between two packages.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Final, Literal

from parcelsms.domain.error_catalogue import error
from parcelsms.domain.numbers import KNOWN_REGIONS

PackageRegion = Literal["domestic", "international", "countries"]
REGIONS: Final[tuple[PackageRegion, ...]] = ("domestic", "international", "countries")
MAX_PACKAGE_COUNTRIES: Final = 250


@dataclass(frozen=True, slots=True)
class PackageBalance:
    """What the choice needs to know about one package."""

    id: str
    region: PackageRegion
    countries: frozenset[str]
    remaining_segments: int
    expires_at: datetime


def covers(region: PackageRegion, countries: Iterable[str], destination: str) -> bool:
    """Whether a package of ``region`` with stored ``countries`` covers ``destination``."""
    if region == "international":
        return destination not in countries
    return destination in countries


def region_countries(
    region: str, home_country: str | None, countries: Sequence[str] | None
) -> tuple[str, ...]:
    """The ``countries`` to store for a new package; ``invalid_request`` naming the field.

    ``domestic`` needs the account's home country; ``international`` stores it when known
    (without one, every destination counts as international); ``countries`` needs a
    non-empty list of ISO 3166 alpha-2 codes (and only that region takes a list).
    """
    if region not in REGIONS:
        raise error("invalid_request", f"region is one of {', '.join(REGIONS)}.", field="region")
    if region != "countries":
        if countries:
            raise error(
                "invalid_request",
                "countries is given only with region `countries`.",
                field="countries",
            )
        if region == "domestic" and home_country is None:
            raise error(
                "account_state_conflict",
                "The account has no home country: set it (or have its company details "
                "verified) before granting a domestic package.",
                field="region",
            )
        return (home_country,) if home_country is not None else ()
    if not countries:
        raise error("invalid_request", "Name at least one country.", field="countries")
    if len(countries) > MAX_PACKAGE_COUNTRIES:
        raise error(
            "invalid_request", f"At most {MAX_PACKAGE_COUNTRIES} countries.", field="countries"
        )
    cleaned: list[str] = []
    for index, country in enumerate(countries):
        code = country.strip().upper()
        if code not in KNOWN_REGIONS:
            raise error(
                "invalid_request",
                f"{country!r} is not an ISO 3166 alpha-2 country code with a numbering plan.",
                field=f"countries[{index}]",
            )
        if code not in cleaned:
            cleaned.append(code)
    return tuple(sorted(cleaned))


def choose_package(
    packages: Iterable[PackageBalance], destination: str, segments: int, now: datetime
) -> PackageBalance | None:
    """The package that pays a message of ``segments`` to ``destination`` at ``now``."""
    best: PackageBalance | None = None
    for package in packages:
        if package.expires_at <= now or package.remaining_segments < segments:
            continue
        if not covers(package.region, package.countries, destination):
            continue
        if best is None or (package.expires_at, package.id) < (best.expires_at, best.id):
            best = package
    return best


def missing_segments(
    packages: Iterable[PackageBalance], destination: str, segments: int, now: datetime
) -> int:
    """How many segments short the best covering package is (``segments`` when none covers)."""
    most = 0
    for package in packages:
        if package.expires_at > now and covers(package.region, package.countries, destination):
            most = max(most, package.remaining_segments)
    return max(segments - most, 0)
