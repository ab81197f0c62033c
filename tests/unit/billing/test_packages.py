"""Which package pays a message: region coverage, expiry, soonest expiry first."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from parcelsms.domain.packages import (
    PackageBalance,
    choose_package,
    covers,
    missing_segments,
    region_countries,
)
from parcelsms.errors import CatalogueError

NOW = datetime(2030, 1, 1, tzinfo=UTC)


def package(
    name: str,
    region: str,
    countries: set[str],
    remaining: int = 10,
    days: float = 5,
) -> PackageBalance:
    return PackageBalance(
        id=name,
        region=region,  # type: ignore[arg-type]
        countries=frozenset(countries),
        remaining_segments=remaining,
        expires_at=NOW + timedelta(days=days),
    )


def test_a_domestic_package_never_pays_for_an_international_message() -> None:
    domestic = package("home", "domestic", {"GB"})

    assert choose_package([domestic], "GB", 1, NOW) is domestic
    assert choose_package([domestic], "FR", 1, NOW) is None


def test_an_international_package_pays_everywhere_but_the_home_country() -> None:
    international = package("abroad", "international", {"GB"})

    assert covers("international", {"GB"}, "US")
    assert choose_package([international], "US", 2, NOW) is international
    assert choose_package([international], "GB", 2, NOW) is None


def test_a_country_list_covers_exactly_its_countries() -> None:
    listed = package("eu", "countries", {"ES", "FR"})

    assert [choose_package([listed], country, 1, NOW) for country in ("ES", "FR", "DE")] == [
        listed,
        listed,
        None,
    ]


def test_the_package_expiring_soonest_pays_first() -> None:
    later = package("later", "countries", {"ES"}, days=30)
    sooner = package("sooner", "countries", {"ES"}, days=2)

    assert choose_package([later, sooner], "ES", 1, NOW) is sooner


def test_expired_packages_and_packages_without_enough_segments_are_skipped() -> None:
    expired = package("expired", "countries", {"ES"}, days=-1)
    short = package("short", "countries", {"ES"}, remaining=2, days=1)
    enough = package("enough", "countries", {"ES"}, remaining=3, days=9)

    assert choose_package([expired, short, enough], "ES", 3, NOW) is enough
    assert choose_package([expired, short], "ES", 3, NOW) is None


def test_missing_segments_counts_from_the_fullest_covering_package() -> None:
    short = package("short", "countries", {"ES"}, remaining=2)
    elsewhere = package("elsewhere", "countries", {"FR"}, remaining=50)

    assert missing_segments([short, elsewhere], "ES", 5, NOW) == 3
    assert missing_segments([elsewhere], "ES", 5, NOW) == 5


def test_domestic_needs_a_home_country_and_stores_it() -> None:
    assert region_countries("domestic", "GB", None) == ("GB",)
    with pytest.raises(CatalogueError) as caught:
        region_countries("domestic", None, None)
    assert caught.value.code == "account_state_conflict"


def test_a_country_list_is_checked_normalised_and_required() -> None:
    assert region_countries("countries", None, ["fr", "ES", "FR"]) == ("ES", "FR")
    with pytest.raises(CatalogueError) as empty:
        region_countries("countries", "GB", [])
    with pytest.raises(CatalogueError) as unknown:
        region_countries("countries", "GB", ["ES", "XX"])
    with pytest.raises(CatalogueError) as misplaced:
        region_countries("domestic", "GB", ["ES"])

    assert empty.value.field == "countries"
    assert unknown.value.field == "countries[1]"
    assert misplaced.value.field == "countries"
