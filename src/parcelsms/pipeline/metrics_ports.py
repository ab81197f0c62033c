"""What ``/metrics`` reads from storage at scrape time: queue, recent volume, webhooks.

Figures computed from the database (and the report rollups) are the same whichever process
answers the scrape, so they need no sharing between processes; in-process instruments
(submit latency, window use, writer batches) are the metrics adapter's.
"""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

import msgspec


class RecentMessages(msgspec.Struct, frozen=True, kw_only=True):
    """Messages created in the last 24 hours now in ``status``, by country and channel."""

    status: str
    country: str
    channel: str  # '' before a channel took the message
    messages: int
    segments: int


class PlatformFigures(msgspec.Struct, frozen=True, kw_only=True):
    """The figures of one scrape.

    * ``queued``: messages waiting for the dispatcher (claimed or not); ``oldest_due_seconds``:
      how long the oldest due, unclaimed one has waited (``None``: none is due).
    * ``recent``: the last 24 hours of messages from the rollups; ``delivery_latency``:
      their time-to-delivery histogram (buckets of
      :data:`parcelsms.domain.report_figures.LATENCY_BOUNDS`).
    * ``webhooks_pending`` and the age of the oldest due one; ``webhooks_finished``: rows
      delivered or given up in the last hour, by status.
    """

    queued: int
    oldest_due_seconds: float | None
    recent: list[RecentMessages]
    delivery_latency: tuple[int, ...]
    webhooks_pending: int
    oldest_webhook_seconds: float | None
    webhooks_finished: dict[str, int]


class PlatformFiguresStore(Protocol):
    """Reads of the figures ``/metrics`` shows."""

    async def read_platform_figures(self, now: datetime) -> PlatformFigures: ...


class MetricsText(Protocol):
    """What ``/metrics`` answers: the Prometheus text of one process."""

    @property
    def content_type(self) -> str: ...

    async def render(self) -> bytes: ...
