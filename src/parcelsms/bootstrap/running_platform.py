"""The running platform: every part one parcelsms process runs, started and stopped in order.

:func:`parcelsms.bootstrap.build_platform` wires a :class:`Platform` for a role
(:mod:`.roles`): the API parts (the HTTP app and the accept step with its guards), the
pipeline parts (:class:`PipelineWorkers`: channels, dispatcher, receipts, webhooks, timers), or
both. ``start_workers`` binds the channels, resolves a previous crash and starts the background
loops; ``close`` stops them in dependency order (dispatcher and webhooks first, storage last)
so that accepted messages stay queued in storage.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from parcelsms.adapters.storage import SqlStorage
from parcelsms.adapters.storage.reports.rollup_rows import FOLD_INTERVAL
from parcelsms.bootstrap.roles import Role
from parcelsms.config import Settings
from parcelsms.errors import StorageError
from parcelsms.task_cancellation import cancel_and_wait

if TYPE_CHECKING:  # a role imports only the parts it runs (bootstrap.build_platform)
    from parcelsms.adapters.channels.smpp_channel import SmppChannel
    from parcelsms.adapters.metrics.sampler import MetricsSampler
    from parcelsms.adapters.process.signal_shapes import DoorbellListener
    from parcelsms.adapters.webhooks.sender import WebhookSender
    from parcelsms.pipeline.accept import AcceptMessages
    from parcelsms.pipeline.channel_health import ChannelHealthPublisher
    from parcelsms.pipeline.channel_leases import LeaseKeeper
    from parcelsms.pipeline.dispatch import Dispatcher
    from parcelsms.pipeline.receipt_failover import SilentAttemptSweeper
    from parcelsms.pipeline.receipts import ReceiptCorrelator
    from parcelsms.pipeline.webhook_delivery import WebhookDeliveryWorker
    from parcelsms.simulator.carrier import CarrierSimulator

_log = logging.getLogger("parcelsms")

# Receipts for a submitted message may lag behind its validity; expire only after this.
EXPIRY_GRACE = timedelta(hours=1)


@dataclass
class WebhookWorkers:
    """The webhook sender and the worker delivering the outbox with it: part of the
    pipeline, or the whole of a ``webhooks`` process."""

    sender: WebhookSender
    worker: WebhookDeliveryWorker
    metrics_sampler: MetricsSampler | None = None
    """A ``webhooks`` process's own (in the pipeline process, the pipeline's covers it)."""
    task: asyncio.Task[None] | None = None
    sampling: asyncio.Task[None] | None = None

    async def start(self) -> None:
        await self.sender.start()
        self.task = asyncio.create_task(self.worker.run(), name="webhooks")
        if self.metrics_sampler is not None:
            self.sampling = asyncio.create_task(self.metrics_sampler.run(), name="metrics")

    def wake(self) -> None:
        self.worker.wake()

    async def stop(self) -> None:
        """Claim nothing more; wait for requests in flight and record their results."""
        await self.worker.stop()
        for task in (self.task, self.sampling):
            if task is not None:
                with contextlib.suppress(Exception):  # it ended with an error: stop all the same
                    await cancel_and_wait(task)
        self.task = self.sampling = None

    async def close(self) -> None:
        await self.stop()
        await self.sender.close()


@dataclass
class PipelineWorkers:
    """The pipeline's parts: what sends, correlates, notifies and expires."""

    settings: Settings
    storage: SqlStorage
    channels: dict[str, SmppChannel]
    dispatcher: Dispatcher
    webhooks: WebhookWorkers | None
    """``None`` when a ``webhooks`` process delivers them."""
    receipts: ReceiptCorrelator
    wake_listener: DoorbellListener
    simulator: CarrierSimulator | None = None
    health_publisher: ChannelHealthPublisher | None = None
    metrics_sampler: MetricsSampler | None = None
    silence_sweeper: SilentAttemptSweeper | None = None
    lease_keeper: LeaseKeeper | None = None
    """PostgreSQL: binds only the channels this node leases (:mod:`.cluster_wiring`)."""
    tasks: list[asyncio.Task[None]] = field(default_factory=list)
    recovered: int = 0

    async def start(self) -> None:
        """Listen for wake-ups, bind channels, resolve a previous crash, start the loops.

        Raises :class:`~parcelsms.adapters.process.wake_socket.PipelineAlreadyRunning` when
        another pipeline process works on this SQLite database (on PostgreSQL several run,
        each binding the channels it leases).
        """
        await self.wake_listener.start()
        if self.webhooks is not None:
            await self.webhooks.start()
        keeper = self.lease_keeper
        if keeper is not None:
            # Registers, resolves dead nodes' claims, waits a heartbeat, binds its share.
            await keeper.join()
            self.recovered = keeper.recovered
        else:
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
            asyncio.create_task(self._expire_loop(), name="expiry"),
            asyncio.create_task(self.receipts.run(), name="receipt-sweep"),
            asyncio.create_task(self._fold_loop(), name="report-fold"),
        ]
        if self.health_publisher is not None:
            self.tasks.append(
                asyncio.create_task(self.health_publisher.run(), name="channel-health")
            )
        if self.metrics_sampler is not None:
            self.tasks.append(asyncio.create_task(self.metrics_sampler.run(), name="metrics"))
        if self.silence_sweeper is not None:
            self.tasks.append(
                asyncio.create_task(self.silence_sweeper.run(), name="receipt-silence")
            )
        if keeper is not None:
            self.tasks.append(asyncio.create_task(keeper.run(), name="channel-leases"))

    def _own_channels(self) -> dict[str, SmppChannel]:
        if self.lease_keeper is None:
            return self.channels
        owned = self.lease_keeper.owned
        return {name: channel for name, channel in self.channels.items() if name in owned}

    async def wait_channels_bound(self, timeout: float) -> bool:
        """Whether every channel this process binds (with leases: holds) bound in time."""
        channels = self._own_channels().values()
        results = await asyncio.gather(*(c.wait_bound(timeout) for c in channels))
        return all(results)

    def channel_states(self) -> dict[str, bool]:
        """Each channel this process binds (with leases: holds now) and whether it is bound."""
        return {name: channel.is_available for name, channel in self._own_channels().items()}

    async def _expire_loop(self) -> None:
        while True:
            await asyncio.sleep(30)
            try:
                count = await self.storage.messages.expire_overdue(datetime.now(UTC), EXPIRY_GRACE)
            except StorageError:  # the database is away (a failover): the next round retries
                _log.warning("expiry round failed; retrying in 30 s", exc_info=True)
                continue
            if count:
                _log.info("expired messages without receipt", extra={"count": count})

    async def _fold_loop(self) -> None:
        """Add the pending rollup changes of every process's transactions to the report
        tables every ``FOLD_INTERVAL`` seconds (``storage/reports/rollup_rows.py``)."""
        while True:
            await asyncio.sleep(FOLD_INTERVAL)
            try:
                await self.storage.reports.fold_if_pending()
            except StorageError:  # the database is away: the next round folds it all
                _log.warning("report rollup fold failed; retrying", exc_info=True)

    async def close(self) -> None:
        """Stop in dependency order; accepted messages stay queued in storage."""
        self.wake_listener.close()
        await self.dispatcher.stop()
        if self.webhooks is not None:
            await self.webhooks.stop()
        for task in self.tasks:
            task.cancel()
        for task in self.tasks:
            with contextlib.suppress(Exception):  # it ended with an error: stop all the same
                await cancel_and_wait(task)
        if self.lease_keeper is not None:
            # Unbind, then give the leases up: another node takes them without waiting.
            try:
                await self.lease_keeper.leave()
            except Exception:  # the leases then expire by themselves
                _log.warning("channel leases not released at stop", exc_info=True)
        for channel in self.channels.values():
            await channel.close()
        if self.simulator is not None:
            await self.simulator.close()
        if self.webhooks is not None:
            await self.webhooks.close()
        await self.receipts.close()
        # A clean stop leaves no rollup change pending (a crash may: the next fold adds it).
        try:
            await self.storage.reports.fold_if_pending()
        except StorageError:
            _log.warning("report rollups not folded at stop", exc_info=True)


@dataclass
class ApiParts:
    """The API's parts: the HTTP app and the accept step it queues messages with."""

    app: Any
    accept: AcceptMessages
    close_wake: Callable[[], None] = lambda: None

    async def close(self) -> None:
        self.close_wake()


@dataclass
class Platform:
    """Every running part of one parcelsms process, for its :class:`~.roles.Role`."""

    settings: Settings
    storage: SqlStorage
    role: Role
    api: ApiParts | None = None
    pipeline: PipelineWorkers | None = None
    webhooks: WebhookWorkers | None = None
    """The webhook worker of a ``webhooks`` process (a pipeline's own is in ``pipeline``)."""
    release: list[Callable[[], None]] = field(default_factory=list)

    @property
    def app(self) -> Any:
        """The HTTP app (API roles only)."""
        if self.api is None:
            raise AttributeError(f"a {self.role} process has no HTTP app")
        return self.api.app

    @property
    def channels(self) -> dict[str, SmppChannel]:
        return {} if self.pipeline is None else self.pipeline.channels

    @property
    def simulator(self) -> CarrierSimulator | None:
        return None if self.pipeline is None else self.pipeline.simulator

    async def start_workers(self) -> None:
        """Start the pipeline's or the webhook worker's loops (nothing for an API process)."""
        if self.pipeline is not None:
            await self.pipeline.start()
        if self.webhooks is not None:
            await self.webhooks.start()

    async def wait_channels_bound(self, timeout: float) -> bool:
        return True if self.pipeline is None else await self.pipeline.wait_channels_bound(timeout)

    async def close(self) -> None:
        """Stop everything in dependency order; accepted messages stay queued in storage."""
        if self.pipeline is not None:
            await self.pipeline.close()
        if self.webhooks is not None:
            await self.webhooks.close()
        if self.api is not None:
            await self.api.close()
        await self.storage.close()
        for release in self.release:
            release()
