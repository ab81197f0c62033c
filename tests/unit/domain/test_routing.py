"""Route tables: which channels carry a country's messages, in which order."""

from __future__ import annotations

import pytest

from parcelsms.domain.routing import Route, RouteTable
from parcelsms.errors import CatalogueError, ConfigError

CHANNELS = {"eu", "latam", "backup"}


def test_explicit_country_route_wins_over_an_earlier_wildcard() -> None:
    table = RouteTable(
        [Route("*", ("backup",)), Route(frozenset({"MX", "ES"}), ("latam", "backup"))],
        CHANNELS,
    )
    assert table.plan_for("MX") == ("latam", "backup")
    assert table.plan_for("ES") == ("latam", "backup")
    assert table.plan_for("FR") == ("backup",)


def test_first_route_naming_a_country_wins() -> None:
    table = RouteTable(
        [Route(frozenset({"ES"}), ("eu",)), Route(frozenset({"ES", "MX"}), ("latam",))],
        CHANNELS,
    )
    assert table.plan_for("ES") == ("eu",)
    assert table.plan_for("MX") == ("latam",)


def test_first_wildcard_route_wins_among_wildcards() -> None:
    table = RouteTable([Route("*", ("eu",)), Route("*", ("backup",))], CHANNELS)
    assert table.plan_for("JP") == ("eu",)


def test_channel_order_is_the_failover_order() -> None:
    table = RouteTable([Route("*", ("backup", "eu", "latam"))], CHANNELS)
    assert table.plan_for("DE") == ("backup", "eu", "latam")


def test_country_without_route_is_unsupported() -> None:
    table = RouteTable([Route(frozenset({"ES"}), ("eu",))], CHANNELS)
    assert not table.serves("FR")
    with pytest.raises(CatalogueError) as caught:
        table.plan_for("FR")
    assert (caught.value.code, caught.value.field, caught.value.status) == (
        "unsupported_country",
        "to",
        422,
    )
    assert "FR" in caught.value.message


def test_empty_table_serves_nobody() -> None:
    with pytest.raises(CatalogueError):
        RouteTable([], CHANNELS).plan_for("ES")


def test_loader_spellings_are_normalised() -> None:
    route = Route(frozenset({"*"}), ["eu"])  # type: ignore[arg-type]
    assert route.countries == "*"
    assert route.channels == ("eu",)


@pytest.mark.parametrize(
    ("routes", "key", "words"),
    [
        ([Route("*", ("eu",)), Route("*", ("nope",))], "routes[1].channels", "unknown channel"),
        ([Route("*", ())], "routes[0].channels", "at least one channel"),
        ([Route("*", ("eu", "eu"))], "routes[0].channels", "twice"),
        ([Route(frozenset(), ("eu",))], "routes[0].countries", "at least one country"),
        ([Route(frozenset({"UK"}), ("eu",))], "routes[0].countries", "GB"),
        ([Route(frozenset({"es"}), ("eu",))], "routes[0].countries", "capitals"),
        ([Route(frozenset({"*", "ES"}), ("eu",))], "routes[0].countries", "mixed"),
    ],
)
def test_invalid_routes_are_refused_naming_their_key(
    routes: list[Route], key: str, words: str
) -> None:
    with pytest.raises(ConfigError) as caught:
        RouteTable(routes, CHANNELS)
    assert caught.value.key == key
    assert words in str(caught.value)
