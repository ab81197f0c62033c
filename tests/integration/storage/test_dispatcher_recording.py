"""The dispatcher against real storage: outcomes recorded in lists, claims worth making."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sender_accounts import new_account

from parcelsms.adapters.storage.sql_storage import SqlStorage
from parcelsms.pipeline.channel_port import ChannelResult, OutboundSms, SendResultKind
from parcelsms.pipeline.dispatch import Dispatcher, DispatchSettings
from parcelsms.pipeline.message_ports import (
    DispatchItem,
    RecoveryPolicy,
    SubmissionOutcome,
    SubmittedPart,
)


class AcceptingChannel:
    """A carrier that takes every message at once and numbers them."""

    name = "alpha"
    is_available = True
    send_rate: float | None = None

    def __init__(self) -> None:
        self.sent = 0

    async def send(self, sms: OutboundSms) -> ChannelResult:
        self.sent += 1
        await asyncio.sleep(0)  # a real send yields at least once
        carrier_id = f"{self.sent:x}"
        return ChannelResult(
            SendResultKind.ACCEPTED,
            (SubmittedPart(part_no=1, carrier_id_raw=carrier_id),),
        )

    async def start(self) -> None:
        return None

    async def close(self) -> None:
        return None


class WatchedStore:
    """The storage's queue operations, noting claim sizes and how outcomes were recorded."""

    def __init__(self, storage: SqlStorage, expected: int) -> None:
        self._storage = storage
        self._expected = expected
        self.limits: list[int] = []
        self.record_calls: list[int] = []
        self.claimed = 0
        self.recorded = 0
        self.most_in_flight = 0
        self.all_recorded = asyncio.Event()

    async def claim_for_dispatch(
        self, claim_token: str, limit: int, now: datetime
    ) -> list[DispatchItem]:
        self.limits.append(limit)
        items = await self._storage.messages.claim_for_dispatch(claim_token, limit, now)
        self.claimed += len(items)
        self.most_in_flight = max(self.most_in_flight, self.claimed - self.recorded)
        return items

    async def record_submissions(self, outcomes: Sequence[SubmissionOutcome]) -> list[bool]:
        self.record_calls.append(len(outcomes))
        applied = await self._storage.messages.record_submissions(outcomes)
        self.recorded += len(outcomes)
        if self.recorded >= self._expected:
            self.all_recorded.set()
        return applied

    async def recover_claims(self, new_claim_token: str, policy: RecoveryPolicy) -> int:
        return await self._storage.messages.recover_claims(new_claim_token, policy)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._storage, name)


async def test_outcomes_are_recorded_in_lists_and_claims_are_worth_making(
    storage: SqlStorage, enqueue: Any, clock: Any
) -> None:
    account = await new_account(storage, "shop", balance_micros=100_000_000)
    ids = await enqueue(storage, account.id, count=300, route_plan=("alpha",))
    store = WatchedStore(storage, expected=300)
    channel = AcceptingChannel()
    settings = DispatchSettings(batch_size=80, max_in_flight=100, idle_poll_seconds=0.01)
    dispatcher = Dispatcher(store, {"alpha": channel}, settings, clock=clock)  # type: ignore[arg-type]
    running = asyncio.create_task(dispatcher.run())
    async with asyncio.timeout(30):
        await store.all_recorded.wait()
    await dispatcher.stop()
    await running

    statuses = set()
    for message_id in ids:
        detail = await storage.message_queries.get_message(account.id, message_id)
        assert detail is not None
        statuses.add(detail.message.status)
    assert statuses == {"submitted"}
    assert (channel.sent, dispatcher.sent) == (300, 300)
    assert sum(store.record_calls) == 300
    assert len(store.record_calls) < 300 / 4
    # Claimed-but-unrecorded never exceeds the limit, and no claim asks for a handful:
    # with less than a quarter of a batch free, the dispatcher waits for more room.
    assert store.most_in_flight <= 100
    assert min(store.limits) >= 80 // 4
