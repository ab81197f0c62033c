"""Plans: each strategy orders the matched route's channels; what is down goes last."""

from __future__ import annotations

from collections import Counter

from hypothesis import given
from hypothesis import strategies as st

from parcelsms.domain.route_explanation import explain
from parcelsms.domain.route_plans import ChannelConditions, plan, route
from parcelsms.domain.routing import MessageFacts, Route, RouteTable

SPAIN = MessageFacts(country="ES", e164="+34612345678", key="+34612345678")


def test_priority_keeps_the_listed_order() -> None:
    assert plan(Route("*", ("a", "b", "c")), SPAIN, ChannelConditions()) == ("a", "b", "c")


def test_priority_puts_a_channel_that_is_down_last() -> None:
    conditions = ChannelConditions(down=frozenset({"a"}))
    assert plan(Route("*", ("a", "b", "c")), SPAIN, conditions) == ("b", "c", "a")


def test_weighted_gives_the_same_key_the_same_plan() -> None:
    rule = Route("*", ("a", "b", "c"), strategy="weighted", weights=(1, 1, 1))
    plans = {plan(rule, SPAIN, ChannelConditions()) for _ in range(20)}
    assert len(plans) == 1


def test_weighted_splits_keys_in_proportion_to_the_weights() -> None:
    rule = Route("*", ("a", "b", "c"), strategy="weighted", weights=(6, 3, 1))
    firsts = Counter(
        plan(rule, MessageFacts("ES", "", key=f"+3461234{n:04d}"), ChannelConditions())[0]
        for n in range(10_000)
    )
    assert abs(firsts["a"] / 10_000 - 0.6) < 0.03
    assert abs(firsts["b"] / 10_000 - 0.3) < 0.03
    assert abs(firsts["c"] / 10_000 - 0.1) < 0.02


def test_weighted_never_puts_a_zero_weight_channel_first_but_keeps_it_for_failover() -> None:
    rule = Route("*", ("a", "b"), strategy="weighted", weights=(0, 1))
    for n in range(200):
        assert plan(rule, MessageFacts("ES", "", key=str(n)), ChannelConditions()) == ("b", "a")


def test_least_cost_puts_the_cheapest_channel_first_and_unknown_costs_last() -> None:
    rule = Route("*", ("a", "b", "c", "d"), strategy="least_cost")
    conditions = ChannelConditions(
        costs={("a", "ES"): 9000, ("b", "*"): 5000, ("b", "ES"): 7000, ("c", "*"): 6000}
    )
    # b's own cost for ES (7000) counts, not its default; d has no cost at all.
    assert plan(rule, SPAIN, conditions) == ("c", "b", "a", "d")


def test_least_cost_passes_over_a_cheap_channel_delivering_under_the_floor() -> None:
    rule = Route("*", ("cheap", "dear"), strategy="least_cost", delivery_floor=0.9)
    costs = {("cheap", "ES"): 1000, ("dear", "ES"): 5000}
    poor = ChannelConditions(costs=costs, delivery_rates={("cheap", "ES"): 0.5})
    assert plan(rule, SPAIN, poor) == ("dear", "cheap")
    good = ChannelConditions(costs=costs, delivery_rates={("cheap", "ES"): 0.95})
    assert plan(rule, SPAIN, good) == ("cheap", "dear")


def test_least_cost_reads_the_delivery_rate_of_the_messages_country_only() -> None:
    rule = Route("*", ("cheap", "dear"), strategy="least_cost", delivery_floor=0.9)
    conditions = ChannelConditions(
        costs={("cheap", "*"): 1000, ("dear", "*"): 5000},
        delivery_rates={("cheap", "MX"): 0.1},
    )
    assert plan(rule, SPAIN, conditions) == ("cheap", "dear")


channel_names = st.lists(
    st.text("abcdefgh", min_size=1, max_size=3), min_size=1, max_size=6, unique=True
)


@given(
    channels=channel_names,
    data=st.data(),
    key=st.text(max_size=12),
)
def test_every_strategy_gives_every_channel_of_the_route_exactly_once(
    channels: list[str], data: st.DataObject, key: str
) -> None:
    strategy = data.draw(st.sampled_from(["priority", "weighted", "least_cost"]))
    weights: tuple[int, ...] = ()
    if strategy == "weighted":
        weights = tuple(
            data.draw(st.lists(st.integers(0, 5), min_size=len(channels), max_size=len(channels)))
        )
        if sum(weights) == 0:
            weights = (1, *weights[1:])
    rule = Route("*", tuple(channels), strategy=strategy, weights=weights, delivery_floor=0.5)  # type: ignore[arg-type]
    conditions = ChannelConditions(
        down=frozenset(data.draw(st.lists(st.sampled_from(channels)))),
        costs={(name, "ES"): data.draw(st.integers(0, 9)) for name in channels},
        delivery_rates={(name, "ES"): data.draw(st.floats(0, 1)) for name in channels},
    )
    result = plan(rule, MessageFacts("ES", "", key=key), conditions)
    assert sorted(result) == sorted(channels)
    up = [name for name in result if name not in conditions.down]
    assert list(result[: len(up)]) == up  # whatever is down comes after whatever is up


def test_explain_gives_each_routes_verdict_and_the_plan_now() -> None:
    table = RouteTable(
        [
            Route(frozenset({"MX"}), ("a",), name="mexico"),
            Route("*", ("b", "a"), prefixes=("+34",), name="spain-prefix"),
            Route(frozenset({"ES"}), ("a",), name="spain"),
            Route("*", ("a",), name="rest"),
        ],
        None,
    )
    conditions = ChannelConditions(down=frozenset({"b"}), costs={("a", "*"): 3000})
    explanation = explain(SPAIN, table, conditions)
    assert [(v.route.name, v.verdict, v.failed_filter) for v in explanation.verdicts] == [
        ("mexico", "failed", "countries"),
        ("spain-prefix", "matched", None),
        ("spain", "shadowed", None),
        ("rest", "shadowed", None),
    ]
    assert explanation.matched is not None
    assert explanation.matched.name == "spain-prefix"
    assert [(n.channel, n.down, n.cost_micros) for n in explanation.plan] == [
        ("a", False, 3000),
        ("b", True, None),
    ]
    assert explanation.plan[0].channel == route(SPAIN, table, conditions)[0]
