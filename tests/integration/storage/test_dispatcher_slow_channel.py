"""A channel held to a low send rate does not take every slot in flight: messages for the
other channels keep going out while its backlog waits in the queue, spread at its rate."""

from __future__ import annotations

import asyncio
from typing import Any

from sender_accounts import new_account
from sqlalchemy import select
from sqlalchemy.engine import Connection

from parcelsms.adapters.storage.engine.schema.message_tables import messages
from parcelsms.adapters.storage.sql_storage import SqlStorage
from parcelsms.pipeline.channel_port import ChannelResult, OutboundSms, SendResultKind
from parcelsms.pipeline.dispatch import Dispatcher, DispatchSettings
from parcelsms.pipeline.message_ports import SubmittedPart


class Channel:
    """A carrier that sends at ``send_rate``; a held one keeps every send waiting."""

    is_available = True

    def __init__(self, name: str, send_rate: float | None, *, held: bool) -> None:
        self.name = name
        self.send_rate = send_rate
        self.calls = 0
        self.sent = 0
        self.gate = asyncio.Event()
        if not held:
            self.gate.set()
        self.changed = asyncio.Event()

    async def send(self, sms: OutboundSms) -> ChannelResult:
        self.calls += 1
        self.changed.set()
        await self.gate.wait()
        self.sent += 1
        self.changed.set()
        return ChannelResult(
            SendResultKind.ACCEPTED,
            (SubmittedPart(part_no=1, carrier_id_raw=f"{self.name}-{self.sent}"),),
        )

    async def start(self) -> None:
        return None

    async def close(self) -> None:
        return None


def _queued(connection: Connection, ids: list[str]) -> list[Any]:
    return list(
        connection.execute(
            select(messages.c.id, messages.c.claim_token, messages.c.next_attempt_at).where(
                messages.c.id.in_(ids), messages.c.status == "queued"
            )
        )
    )


async def test_a_slow_channels_backlog_waits_in_the_queue_while_the_others_send(
    storage: SqlStorage, enqueue: Any, clock: Any
) -> None:
    account = await new_account(storage, "shop", balance_micros=100_000_000)
    slow_ids = await enqueue(storage, account.id, count=200, route_plan=("slow",))
    fast_ids = await enqueue(storage, account.id, count=50, route_plan=("fast",))
    slow = Channel("slow", 10.0, held=True)
    fast = Channel("fast", None, held=False)
    settings = DispatchSettings(
        batch_size=80, max_in_flight=100, idle_poll_seconds=0.01, min_queue=10
    )
    dispatcher = Dispatcher(storage.messages, {"slow": slow, "fast": fast}, settings, clock=clock)
    running = asyncio.create_task(dispatcher.run())
    try:
        async with asyncio.timeout(30):
            while fast.sent < 50:
                fast.changed.clear()
                await fast.changed.wait()
            while True:  # until the deferrals are recorded (they are written in lists)
                queued = await storage._runner.read(_queued, slow_ids)
                waiting = [row for row in queued if row.claim_token is None]
                if len(waiting) >= 190:
                    break
                await asyncio.sleep(0.01)
    finally:
        slow.gate.set()
        await dispatcher.stop()
        await running

    # Ten seconds' worth would be 100: the slow channel holds one second (10) in flight.
    assert slow.calls == 10
    assert fast.sent == 50
    assert len(queued) == 200  # nothing sent: ten held by the channel, the rest deferred
    assert len(waiting) == 190
    due = sorted(row.next_attempt_at for row in waiting)
    assert len(set(due)) == 190
    spread = (due[-1] - due[0]).total_seconds()
    assert abs(spread - 189 / 10.0) < 0.01
    detail = await storage.message_queries.get_message(account.id, waiting[0].id)
    assert detail is not None
    assert [event.status for event in detail.events] == ["queued"]
    assert fast_ids
