"""Route tables: which route a message matches, by filters ANDed, first match first."""

from __future__ import annotations

import pytest

from parcelsms.domain.route_plans import route
from parcelsms.domain.routing import MessageFacts, Route, RouteInvalid, RouteTable, carrier_of
from parcelsms.errors import CatalogueError

CHANNELS = {"eu", "latam", "backup"}
VIVO_SAO_PAULO = "+5511971234567"  # allocated to Vivo in phonenumbers' carrier data
CLARO_SAO_PAULO = "+5511991234567"  # allocated to Claro


def facts(country: str = "ES", e164: str = "+34612345678", **extra: str) -> MessageFacts:
    return MessageFacts(country=country, e164=e164, **extra)  # type: ignore[arg-type]


def plan_for(table: RouteTable, country: str) -> tuple[str, ...]:
    return route(facts(country, ""), table)


def test_explicit_country_route_wins_over_an_earlier_catch_all() -> None:
    table = RouteTable(
        [Route("*", ("backup",)), Route(frozenset({"MX", "ES"}), ("latam", "backup"))],
        CHANNELS,
    )
    assert plan_for(table, "MX") == ("latam", "backup")
    assert plan_for(table, "ES") == ("latam", "backup")
    assert plan_for(table, "FR") == ("backup",)


def test_first_route_naming_a_country_wins() -> None:
    table = RouteTable(
        [Route(frozenset({"ES"}), ("eu",)), Route(frozenset({"ES", "MX"}), ("latam",))],
        CHANNELS,
    )
    assert plan_for(table, "ES") == ("eu",)
    assert plan_for(table, "MX") == ("latam",)


def test_first_catch_all_wins_among_catch_alls() -> None:
    table = RouteTable([Route("*", ("eu",)), Route("*", ("backup",))], CHANNELS)
    assert plan_for(table, "JP") == ("eu",)


def test_a_filtered_route_for_any_country_is_tried_in_its_place_not_last() -> None:
    table = RouteTable(
        [
            Route("*", ("backup",), sender_ids=frozenset({"Parcels"})),
            Route(frozenset({"ES"}), ("eu",)),
        ],
        CHANNELS,
    )
    assert route(facts(sender_id="Parcels"), table) == ("backup",)
    assert route(facts(sender_id="Other"), table) == ("eu",)


def test_channel_order_is_the_failover_order() -> None:
    table = RouteTable([Route("*", ("backup", "eu", "latam"))], CHANNELS)
    assert plan_for(table, "DE") == ("backup", "eu", "latam")


def test_country_without_route_is_unsupported() -> None:
    table = RouteTable([Route(frozenset({"ES"}), ("eu",))], CHANNELS)
    assert not table.candidates("FR")
    with pytest.raises(CatalogueError) as caught:
        plan_for(table, "FR")
    assert (caught.value.code, caught.value.field, caught.value.status) == (
        "unsupported_country",
        "to",
        422,
    )
    assert "FR" in caught.value.message


def test_empty_table_serves_nobody() -> None:
    with pytest.raises(CatalogueError):
        plan_for(RouteTable([], CHANNELS), "ES")


def test_an_account_route_applies_to_that_account_only() -> None:
    table = RouteTable(
        [Route("*", ("latam",), accounts=frozenset({"acc_1"})), Route("*", ("eu",))], CHANNELS
    )
    assert route(facts(account_id="acc_1"), table) == ("latam",)
    assert route(facts(account_id="acc_2"), table) == ("eu",)


def test_a_prefix_route_takes_only_numbers_starting_with_one_of_its_prefixes() -> None:
    table = RouteTable(
        [
            Route(frozenset({"BR"}), ("latam",), prefixes=("+5511", "+5521")),
            Route(frozenset({"BR"}), ("eu",)),
        ],
        CHANNELS,
    )
    assert route(facts("BR", "+5521987654321"), table) == ("latam",)
    assert route(facts("BR", "+5531987654321"), table) == ("eu",)


def test_a_carrier_route_takes_numbers_of_that_carriers_ranges_whatever_the_case() -> None:
    assert carrier_of(VIVO_SAO_PAULO) == "Vivo"
    assert carrier_of(CLARO_SAO_PAULO) == "Claro"
    table = RouteTable(
        [Route(frozenset({"BR"}), ("latam",), carriers=("vivo",)), Route("*", ("eu",))],
        CHANNELS,
    )
    assert route(facts("BR", VIVO_SAO_PAULO), table) == ("latam",)
    assert route(facts("BR", CLARO_SAO_PAULO), table) == ("eu",)


def test_filters_are_anded() -> None:
    table = RouteTable(
        [
            Route(
                frozenset({"BR"}),
                ("latam",),
                accounts=frozenset({"acc_1"}),
                prefixes=("+5511",),
                sender_ids=frozenset({"Parcels"}),
            ),
            Route("*", ("eu",)),
        ],
        CHANNELS,
    )
    every = {"account_id": "acc_1", "sender_id": "Parcels"}
    assert route(facts("BR", VIVO_SAO_PAULO, **every), table) == ("latam",)
    assert route(facts("BR", VIVO_SAO_PAULO, account_id="acc_1"), table) == ("eu",)
    assert route(facts("BR", "+5521987654321", **every), table) == ("eu",)
    assert route(facts("BR", VIVO_SAO_PAULO, sender_id="Parcels"), table) == ("eu",)


def test_only_routes_naming_the_country_or_any_country_are_candidates() -> None:
    routes = [Route(frozenset({f"{c}"}), ("eu",)) for c in ("ES", "FR", "DE")]
    table = RouteTable([*routes, Route("*", ("backup",))], CHANNELS)
    assert [r.countries for r in table.candidates("FR")] == [frozenset({"FR"}), "*"]
    assert [r.countries for r in table.candidates("JP")] == ["*"]


def test_reach_names_the_countries_an_account_can_send_to_and_which_are_partial() -> None:
    table = RouteTable(
        [
            Route(frozenset({"BR"}), ("latam",), prefixes=("+5511",)),
            Route(frozenset({"ES", "MX"}), ("eu",)),
            Route(frozenset({"JP"}), ("eu",), accounts=frozenset({"acc_other"})),
        ],
        CHANNELS,
    )
    assert table.reach("acc_1") == {"BR": True, "ES": False, "MX": False}
    assert table.reach("acc_other")["JP"] is False


def test_loader_spellings_are_normalised() -> None:
    route_ = Route(frozenset({"*"}), ["eu"])  # type: ignore[arg-type]
    assert route_.countries == "*"
    assert route_.channels == ("eu",)
    assert route_.is_catch_all


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
        ([Route("*", ("eu",), prefixes=("5511",))], "routes[0].prefixes[0]", "+ and 1 to 15"),
        ([Route("*", ("eu",), carriers=(" ",))], "routes[0].carriers", "empty"),
        (
            [Route("*", ("eu", "latam"), strategy="weighted", weights=(1,))],
            "routes[0].weights",
            "one weight per channel",
        ),
        (
            [Route("*", ("eu", "latam"), strategy="weighted", weights=(0, 0))],
            "routes[0].weights",
            "positive",
        ),
        ([Route("*", ("eu",), weights=(1,))], "routes[0].weights", "weighted strategy only"),
        (
            [Route("*", ("eu",), strategy="least_cost", delivery_floor=1.5)],
            "routes[0].delivery_floor",
            "0 to 1",
        ),
        ([Route("*", ("eu",), strategy="fastest")], "routes[0].strategy", "one of"),  # type: ignore[arg-type]
    ],
)
def test_invalid_routes_are_refused_naming_their_key(
    routes: list[Route], key: str, words: str
) -> None:
    with pytest.raises(RouteInvalid) as caught:
        RouteTable(routes, CHANNELS)
    assert caught.value.field == key
    assert words in str(caught.value)


def test_without_known_channels_any_channel_name_is_taken() -> None:
    table = RouteTable([Route("*", ("anything",))], None)
    assert plan_for(table, "ES") == ("anything",)
