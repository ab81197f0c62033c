"""The fair-share rule of channel leases (domain.channel_leases), without any I/O."""

from __future__ import annotations

import random

from parcelsms.domain.channel_leases import LeasePlan, fair_share, plan_leases

CHANNELS = ("alpha", "beta", "gamma")


def test_a_share_is_the_channels_divided_by_the_live_nodes_rounded_up() -> None:
    assert fair_share(3, 2) == 2
    assert fair_share(2, 2) == 1
    assert fair_share(1, 3) == 1
    assert fair_share(0, 2) == 0
    assert fair_share(4, 0) == 4


def test_a_lone_node_takes_every_channel() -> None:
    assert plan_leases("n1", CHANNELS, {}, ["n1"]) == LeasePlan(acquire=CHANNELS)


def test_two_nodes_started_together_split_the_channels() -> None:
    first = plan_leases("n1", ("alpha", "beta"), {}, ["n1", "n2"])
    assert first == LeasePlan(acquire=("alpha",))
    holders = dict.fromkeys(first.acquire, "n1")
    assert plan_leases("n2", ("alpha", "beta"), holders, ["n1", "n2"]) == LeasePlan(
        acquire=("beta",)
    )


def test_a_node_takes_no_more_than_its_share_while_another_has_room() -> None:
    plan = plan_leases("n1", CHANNELS, {}, ["n1", "n2"])
    assert plan.acquire == ("alpha", "beta")  # share 2; n2 takes gamma


def test_heartbeats_from_any_state_settle_with_every_channel_owned_and_shares_kept() -> None:
    rng = random.Random(16)
    for _ in range(300):
        nodes = [f"n{i}" for i in range(rng.randint(1, 4))]
        channels = tuple(f"c{i}" for i in range(rng.randint(0, 7)))
        holders = {c: rng.choice(nodes) for c in channels if rng.random() < 0.6}
        for _ in range(6):  # heartbeats, each node in turn; settles well within this
            for node in nodes:
                plan = plan_leases(node, channels, holders, nodes)
                holders.update(dict.fromkeys(plan.acquire, node))
                for channel in plan.release:
                    del holders[channel]
        assert set(holders) == set(channels)
        share = fair_share(len(channels), len(nodes))
        assert all(list(holders.values()).count(node) <= share for node in nodes)


def test_a_dead_nodes_channels_go_to_the_survivor() -> None:
    # n2's lease expired (absent from the holders) and n2 is no longer live.
    plan = plan_leases("n1", ("alpha", "beta"), {"alpha": "n1"}, ["n1"])
    assert plan == LeasePlan(acquire=("beta",))


def test_a_node_over_its_share_gives_up_its_newest_channels_to_a_node_under_it() -> None:
    holders = dict.fromkeys(CHANNELS, "n1")
    plan = plan_leases("n1", CHANNELS, holders, ["n1", "n2"], ["gamma", "alpha", "beta"])
    assert plan == LeasePlan(release=("beta",))  # share 2: the last acquired goes


def test_a_node_at_its_share_gives_up_nothing() -> None:
    holders = {"alpha": "n1", "beta": "n1", "gamma": "n2"}
    assert plan_leases("n1", CHANNELS, holders, ["n1", "n2"]) == LeasePlan()


def test_leases_of_channels_this_node_does_not_know_do_not_count() -> None:
    holders = {"retired": "n1"}
    assert plan_leases("n1", ("alpha",), holders, ["n1"]) == LeasePlan(acquire=("alpha",))
