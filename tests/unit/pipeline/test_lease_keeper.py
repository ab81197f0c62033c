"""The lease keeper: binds what it holds, fences what it may no longer hold (no I/O: a
scripted lease store and scripted channels, a hand-moved monotonic clock)."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from datetime import timedelta

from scripted_channels import ScriptedChannel

from parcelsms.pipeline.channel_leases import ChannelOwnership, LeasedChannel, LeaseKeeper
from parcelsms.pipeline.channel_port import OutboundSms, SendResultKind
from parcelsms.pipeline.lease_ports import LeaseRound, NodeIdentity

NODE = NodeIdentity("clm_node", "host", 1)
TAKEOVER = timedelta(seconds=3)  # a heartbeat every 0.6 s, leases of 2.4 s


class ScriptedLeases:
    """Answers each round with the next scripted result (the last one again when out);
    ``hang`` makes rounds wait until set (a database that does not answer)."""

    def __init__(self, *rounds: LeaseRound) -> None:
        self.rounds = list(rounds)
        self.released: list[str] = []
        self.left = False
        self.hang: asyncio.Event | None = None

    async def lease_round(
        self, node: NodeIdentity, channels: Sequence[str], lease: timedelta, *, acquire: bool
    ) -> LeaseRound:
        if self.hang is not None:
            await self.hang.wait()
        return self.rounds.pop(0) if len(self.rounds) > 1 else self.rounds[0]

    async def release_leases(self, node_id: str, channels: Sequence[str]) -> None:
        self.released.extend(channels)

    async def leave(self, node_id: str) -> None:
        self.left = True


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def keeper(
    store: ScriptedLeases, clock: Clock | None = None
) -> tuple[LeaseKeeper, dict[str, ScriptedChannel], ChannelOwnership]:
    channels = {name: ScriptedChannel(name, SendResultKind.ACCEPTED) for name in ("alpha", "beta")}
    ownership = ChannelOwnership(frozenset(channels))
    recovered: list[int] = []

    async def recover() -> int:
        recovered.append(1)
        return 0

    lease_keeper = LeaseKeeper(
        store,
        NODE,
        channels,  # type: ignore[arg-type]
        ownership,
        takeover=TAKEOVER,
        recover=recover,
        monotonic=clock or Clock(),
        settle_seconds=0.0,  # no other node to wait for
    )
    return lease_keeper, channels, ownership


async def test_a_joining_node_binds_only_the_channels_it_was_given() -> None:
    store = ScriptedLeases(
        LeaseRound(owned=frozenset()), LeaseRound(owned=frozenset({"alpha"}), acquired=("alpha",))
    )
    lease_keeper, channels, ownership = keeper(store)
    await lease_keeper.join()
    assert ownership.owned == {"alpha"}
    assert ownership.elsewhere == {"beta"}
    assert (channels["alpha"].starts, channels["beta"].starts) == (1, 0)


async def test_a_channel_whose_lease_was_not_renewed_is_stopped_and_refuses_sends_at_once() -> None:
    store = ScriptedLeases(
        LeaseRound(owned=frozenset()),
        LeaseRound(owned=frozenset({"alpha", "beta"})),
        LeaseRound(owned=frozenset({"alpha"}), holders={"beta": "clm_thief"}),
    )
    lease_keeper, channels, ownership = keeper(store)
    await lease_keeper.join()
    beta = LeasedChannel(channels["beta"], ownership)  # type: ignore[arg-type]
    assert beta.is_available
    await lease_keeper.heartbeat()
    assert not beta.is_available
    result = await beta.send(
        OutboundSms(message_id="msg_1", to_e164="+447911123456", sender_id=None, body="x")
    )
    assert result.kind is SendResultKind.NOT_SENT
    assert channels["beta"].sent == []  # nothing reached the carrier on the lost lease
    await lease_keeper.wait_stopped()
    assert channels["beta"].closes == 1
    assert channels["alpha"].closes == 0


async def test_a_node_without_an_answer_from_the_database_stops_every_channel_before_expiry() -> (
    None
):
    clock = Clock()
    store = ScriptedLeases(
        LeaseRound(owned=frozenset()), LeaseRound(owned=frozenset({"alpha", "beta"}))
    )
    lease_keeper, channels, ownership = keeper(store, clock)
    await lease_keeper.join()
    store.hang = asyncio.Event()
    # Leases run for 2.4 s from the last round's start; the node stops one beat (0.6 s) before.
    clock.now += 1.7
    beat = asyncio.create_task(lease_keeper.heartbeat())
    await asyncio.sleep(0.01)
    assert ownership.owned == {"alpha", "beta"}  # not yet
    beat.cancel()
    clock.now += 0.15
    beat = asyncio.create_task(lease_keeper.heartbeat())
    await asyncio.sleep(0.01)
    assert ownership.owned == frozenset()
    await lease_keeper.wait_stopped()
    assert (channels["alpha"].closes, channels["beta"].closes) == (1, 1)
    store.hang.set()
    await beat


async def test_a_surplus_channel_is_stopped_before_its_lease_is_given_up() -> None:
    store = ScriptedLeases(
        LeaseRound(owned=frozenset()),
        LeaseRound(owned=frozenset({"alpha", "beta"})),
        LeaseRound(owned=frozenset({"alpha", "beta"}), surplus=("beta",)),
        LeaseRound(owned=frozenset({"alpha"})),
    )
    lease_keeper, channels, ownership = keeper(store)
    await lease_keeper.join()
    await lease_keeper.heartbeat()
    assert ownership.owned == {"alpha"}
    await lease_keeper.wait_stopped()
    assert channels["beta"].closes == 1
    assert store.released == ["beta"]


async def test_leaving_unbinds_then_gives_every_lease_up() -> None:
    store = ScriptedLeases(LeaseRound(owned=frozenset()), LeaseRound(owned=frozenset({"alpha"})))
    lease_keeper, channels, ownership = keeper(store)
    await lease_keeper.join()
    await lease_keeper.leave()
    assert channels["alpha"].closes == 1
    assert store.left
    assert ownership.owned == frozenset()
