"""Two dispatchers (two pipeline nodes) on one database, each holding one channel's lease:
claims follow ownership, and a message is handed to the node holding its next channel."""

from __future__ import annotations

import asyncio
from typing import Any

from database_peek import json_value, peek
from scripted_channels import ScriptedChannel
from sender_accounts import new_account

from parcelsms.adapters.storage.sql_storage import SqlStorage
from parcelsms.pipeline.channel_leases import ChannelOwnership, LeasedChannel
from parcelsms.pipeline.channel_port import Channel, SendResultKind
from parcelsms.pipeline.dispatch import Dispatcher, DispatchSettings

SETTINGS = DispatchSettings(batch_size=20, max_in_flight=20, idle_poll_seconds=0.01)


def node(storage: SqlStorage, clock: Any, holds: str, *channels: ScriptedChannel) -> Dispatcher:
    """A dispatcher whose node holds the lease of ``holds`` only."""
    ownership = ChannelOwnership(frozenset(c.name for c in channels), frozenset({holds}))
    leased: dict[str, Channel] = {c.name: LeasedChannel(c, ownership) for c in channels}  # type: ignore[arg-type]
    return Dispatcher(storage.messages, leased, SETTINGS, clock=clock, ownership=ownership)


async def run_until(dispatchers: list[Dispatcher], sent: int) -> None:
    tasks = [asyncio.create_task(d.run()) for d in dispatchers]
    try:
        async with asyncio.timeout(20):
            while sum(d.sent for d in dispatchers) < sent:  # noqa: ASYNC110 - no event per message
                await asyncio.sleep(0.01)
    finally:
        for dispatcher in dispatchers:
            await dispatcher.stop()
        await asyncio.gather(*tasks)


async def test_each_node_sends_only_through_the_channel_it_holds(
    storage: SqlStorage, enqueue: Any, clock: Any
) -> None:
    account = await new_account(storage, "shop", balance_micros=100_000_000)
    to_alpha = await enqueue(storage, account.id, count=30, route_plan=("alpha",))
    to_beta = await enqueue(storage, account.id, count=30, route_plan=("beta",))
    # Each node has both channels configured; each holds one lease.
    first = (
        ScriptedChannel("alpha", SendResultKind.ACCEPTED),
        ScriptedChannel("beta", SendResultKind.ACCEPTED),
    )
    second = (
        ScriptedChannel("alpha", SendResultKind.ACCEPTED),
        ScriptedChannel("beta", SendResultKind.ACCEPTED),
    )
    await run_until(
        [node(storage, clock, "alpha", *first), node(storage, clock, "beta", *second)], 60
    )
    assert sorted(first[0].sent) == sorted(to_alpha)
    assert sorted(second[1].sent) == sorted(to_beta)
    assert first[1].sent == second[0].sent == []


async def test_a_message_whose_held_channel_is_down_is_handed_to_the_owner_of_the_next(
    storage: SqlStorage, enqueue: Any, clock: Any, database_url: str
) -> None:
    account = await new_account(storage, "shop", balance_micros=100_000_000)
    ids = await enqueue(storage, account.id, count=20, route_plan=("alpha", "beta"))
    down = ScriptedChannel("alpha", SendResultKind.ACCEPTED)
    down.is_available = False  # type: ignore[misc]
    first = node(storage, clock, "alpha", down, ScriptedChannel("beta", SendResultKind.ACCEPTED))
    beta = ScriptedChannel("beta", SendResultKind.ACCEPTED)
    second = node(storage, clock, "beta", ScriptedChannel("alpha", SendResultKind.ACCEPTED), beta)
    first_task = asyncio.create_task(first.run())
    try:
        await run_until([second], 20)
    finally:
        await first.stop()
        await first_task
    assert sorted(beta.sent) == sorted(ids)
    assert down.sent == []
    with peek(database_url) as db:
        row = db.execute(
            "SELECT detail FROM message_events WHERE message_id = ? ORDER BY id", [ids[0]]
        ).fetchall()
    details = [json_value(r[0]) for r in row]
    assert {"handed_over": "beta"} in details
    # A hand-over is no attempt: the message carries no error and no retry was counted.
    assert not any(d and d.get("retry") for d in details)
