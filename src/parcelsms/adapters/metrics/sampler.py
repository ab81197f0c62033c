"""Samples the writer's statistics, the channels' windows and the queue workers' loops into
the instruments.

Reading counters the writer, the sessions and the claim loops keep anyway costs the hot paths
nothing; the sampler runs in the process that owns them (the pipeline process, and a
``webhooks`` process for its worker) every few seconds.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from typing import Any

from parcelsms.adapters.channels.smpp_channel import SmppChannel
from parcelsms.adapters.metrics import instruments
from parcelsms.adapters.storage.engine.batching_writer import WriterStatistics
from parcelsms.pipeline.claim_loop import ClaimLoop, ClaimLoopStatistics


class MetricsSampler:
    """Copies the writer's ``statistics`` (``None``: not this process's to show), the
    channels' window use and the statistics of the ``workers``' claim loops (by worker name)
    into the instruments."""

    def __init__(
        self,
        statistics: WriterStatistics | None,
        channels: Mapping[str, SmppChannel],
        interval: float = 5.0,
        *,
        workers: Mapping[str, ClaimLoop[Any, Any]] | None = None,
    ) -> None:
        self._statistics = statistics
        self._channels = channels
        self._interval = interval
        self._flushes = 0
        self._items = 0
        self._workers = dict(workers or {})
        self._counted = {name: ClaimLoopStatistics() for name in self._workers}

    def sample(self) -> None:
        """Take one sample now."""
        statistics = self._statistics
        if statistics is not None:
            instruments.WRITER_FLUSHES.inc(statistics.flushes - self._flushes)
            instruments.WRITER_ITEMS.inc(statistics.items - self._items)
            self._flushes, self._items = statistics.flushes, statistics.items
            instruments.WRITER_LARGEST_BATCH.set(statistics.largest_flush)
        for name, channel in self._channels.items():
            bound = [client for client in channel.clients if client.is_bound]
            instruments.SMPP_SESSIONS_BOUND.labels(name).set(len(bound))
            instruments.SMPP_WINDOW_SIZE.labels(name).set(
                sum(client.config.window for client in bound)
            )
            instruments.SMPP_WINDOW_IN_USE.labels(name).set(
                sum(client.requests_in_flight for client in bound)
            )
        for name, loop in self._workers.items():
            self._sample_worker(name, loop)

    def _sample_worker(self, name: str, loop: ClaimLoop[Any, Any]) -> None:
        now, counted = loop.statistics, self._counted[name]
        instruments.WORKER_CLAIMED.labels(name).inc(now.claimed - counted.claimed)
        waiting = instruments.WORKER_WAITING_SECONDS
        waiting.labels(name, "claim").inc(now.claim_seconds - counted.claim_seconds)
        waiting.labels(name, "full").inc(now.full_seconds - counted.full_seconds)
        waiting.labels(name, "idle").inc(now.idle_seconds - counted.idle_seconds)
        self._counted[name] = now  # a copy: the loop's statistics are read afresh each time
        instruments.WORKER_IN_FLIGHT.labels(name, "working").set(loop.working)
        instruments.WORKER_IN_FLIGHT.labels(name, "recording").set(loop.recording)

    async def run(self) -> None:
        """Sample every ``interval`` seconds until cancelled."""
        while True:
            self.sample()
            await asyncio.sleep(self._interval)
