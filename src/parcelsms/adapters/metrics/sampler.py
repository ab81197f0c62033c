"""Samples the writer's statistics and the channels' windows into the instruments.

Reading counters the writer and the sessions keep anyway costs the hot paths nothing; the
sampler runs in the process that owns them (the pipeline process) every few seconds.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping

from parcelsms.adapters.channels.smpp_channel import SmppChannel
from parcelsms.adapters.metrics import instruments
from parcelsms.adapters.storage.engine.batching_writer import WriterStatistics


class MetricsSampler:
    """Copies ``statistics`` and the channels' window use into the instruments."""

    def __init__(
        self,
        statistics: WriterStatistics,
        channels: Mapping[str, SmppChannel],
        interval: float = 5.0,
    ) -> None:
        self._statistics = statistics
        self._channels = channels
        self._interval = interval
        self._flushes = 0
        self._items = 0

    def sample(self) -> None:
        """Take one sample now."""
        statistics = self._statistics
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

    async def run(self) -> None:
        """Sample every ``interval`` seconds until cancelled."""
        while True:
            self.sample()
            await asyncio.sleep(self._interval)
