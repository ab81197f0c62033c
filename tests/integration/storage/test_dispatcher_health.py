"""The dispatcher against real storage with channel health: an open breaker is skipped."""

from __future__ import annotations

import asyncio
import time
from typing import Any

from scripted_channels import ScriptedChannel
from sender_accounts import new_account

from parcelsms.adapters.storage.sql_storage import SqlStorage
from parcelsms.domain.circuit_breaker import BreakerSettings
from parcelsms.pipeline.channel_health import ChannelHealthBoard
from parcelsms.pipeline.channel_port import SendResultKind
from parcelsms.pipeline.dispatch import Dispatcher, DispatchSettings


async def test_a_channel_whose_breaker_opened_is_skipped_for_the_next_channel_of_the_plan(
    storage: SqlStorage, enqueue: Any, clock: Any
) -> None:
    account = await new_account(storage, "shop", balance_micros=100_000_000)
    ids = await enqueue(storage, account.id, count=200, route_plan=("alpha", "beta"))
    alpha = ScriptedChannel("alpha", SendResultKind.TEMPORARY)
    beta = ScriptedChannel("beta", SendResultKind.ACCEPTED)
    breaker = BreakerSettings(min_submits=10, sample=10, open_seconds=3600.0)
    health = ChannelHealthBoard(["alpha", "beta"], {"alpha": breaker, "beta": breaker})
    dispatcher = Dispatcher(
        storage.messages,
        {"alpha": alpha, "beta": beta},  # type: ignore[dict-item]
        DispatchSettings(batch_size=50, max_in_flight=50, idle_poll_seconds=0.01),
        clock=clock,
        health=health,
    )
    running = asyncio.create_task(dispatcher.run())
    try:
        async with asyncio.timeout(20):
            while dispatcher.sent < 200:  # noqa: ASYNC110 - the dispatcher has no event per message
                await asyncio.sleep(0.01)
    finally:
        await dispatcher.stop()
        await running

    assert health.breakers["alpha"].state.value == "open"
    # Alpha was tried until its breaker opened (a first claim's worth at most), then skipped:
    # most messages went straight to beta without a failed attempt on alpha first.
    assert 10 <= len(alpha.sent) <= 60
    assert sorted(beta.sent) == sorted(ids)
    summary = health.windows["alpha"].summary(time.monotonic())
    assert summary.total.error_rate == 1.0
    assert summary.countries["GB"].submits == len(alpha.sent)
