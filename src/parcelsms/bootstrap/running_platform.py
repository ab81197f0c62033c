"""The running platform: every part one parcelsms process runs, started and stopped in order.

:func:`parcelsms.bootstrap.build_platform` wires a :class:`Platform`; ``start_workers`` binds
the channels, resolves a previous crash and starts the background loops; ``close`` stops
them in dependency order (dispatcher and webhooks first, storage last) so that accepted
messages stay queued in storage.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from parcelsms.adapters.channels.smpp_channel import SmppChannel
from parcelsms.adapters.metrics.sampler import MetricsSampler
from parcelsms.adapters.storage import SqlStorage
from parcelsms.adapters.webhooks.sender import WebhookSender
from parcelsms.config import Settings
from parcelsms.pipeline.accept import AcceptMessages
from parcelsms.pipeline.daily_limits import DailyLimitGuard
from parcelsms.pipeline.dispatch import Dispatcher
from parcelsms.pipeline.receipts import ReceiptCorrelator
from parcelsms.pipeline.webhook_delivery import WebhookDeliveryWorker
from parcelsms.simulator.carrier import CarrierSimulator

_log = logging.getLogger("parcelsms")

# Receipts for a submitted message may lag behind its validity; expire only after this.
EXPIRY_GRACE = timedelta(hours=1)


@dataclass
class Platform:
    """Every running part of one parcelsms process."""

    settings: Settings
    storage: SqlStorage
    channels: dict[str, SmppChannel]
    accept: AcceptMessages
    dispatcher: Dispatcher
    webhooks: WebhookDeliveryWorker
    webhook_sender: WebhookSender
    receipts: ReceiptCorrelator
    app: Any
    simulator: CarrierSimulator | None = None
    daily_limits: DailyLimitGuard | None = None
    metrics_sampler: MetricsSampler | None = None
    tasks: list[asyncio.Task[None]] = field(default_factory=list)
    recovered: int = 0

    async def start_workers(self) -> None:
        """Bind channels, resolve a previous crash, start the dispatcher and webhooks."""
        await self.webhook_sender.start()
        for channel in self.channels.values():
            await channel.start()
        self.recovered = await self.dispatcher.recover()
        if self.recovered:
            _log.warning(
                "resolved messages left claimed by a previous process",
                extra={
                    "count": self.recovered,
                    "policy": self.settings.dispatch.unknown_outcome_policy,
                },
            )
        self.tasks = [
            asyncio.create_task(self.dispatcher.run(), name="dispatcher"),
            asyncio.create_task(self.webhooks.run(), name="webhooks"),
            asyncio.create_task(self._expire_loop(), name="expiry"),
            asyncio.create_task(self.receipts.run(), name="receipt-sweep"),
        ]
        if self.metrics_sampler is not None:
            self.tasks.append(asyncio.create_task(self.metrics_sampler.run(), name="metrics"))

    async def wait_channels_bound(self, timeout: float) -> bool:
        results = await asyncio.gather(*(c.wait_bound(timeout) for c in self.channels.values()))
        return all(results)

    async def _expire_loop(self) -> None:
        while True:
            await asyncio.sleep(30)
            count = await self.storage.messages.expire_overdue(datetime.now(UTC), EXPIRY_GRACE)
            if count:
                _log.info("expired messages without receipt", extra={"count": count})

    async def close(self) -> None:
        """Stop everything in dependency order; accepted messages stay queued in storage."""
        await self.dispatcher.stop()
        await self.webhooks.stop()
        for task in self.tasks:
            task.cancel()
        for task in self.tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        for channel in self.channels.values():
            await channel.close()
        if self.simulator is not None:
            await self.simulator.close()
        await self.webhook_sender.close()
        await self.receipts.close()
        if self.daily_limits is not None:
            await self.daily_limits.drain()
        await self.storage.close()
