"""The ``/metrics`` text: in-process instruments plus figures read from the database.

Database figures (:class:`~parcelsms.pipeline.metrics_ports.PlatformFigures`: the queue,
the last 24 hours of messages from the report rollups, webhooks) are read at each scrape,
so every process answers them alike. In-process instruments come from prometheus-client's
registry, or from the files of every process in multiprocess mode
(``PROMETHEUS_MULTIPROC_DIR``, see :mod:`.instruments`).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from datetime import UTC, datetime

from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, CollectorRegistry, generate_latest
from prometheus_client.core import GaugeMetricFamily, HistogramMetricFamily, Metric
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.registry import Collector

from parcelsms.domain.report_figures import LATENCY_BOUNDS
from parcelsms.pipeline.metrics_ports import PlatformFigures, PlatformFiguresStore


def _now() -> datetime:
    return datetime.now(UTC)


class _FiguresCollector(Collector):
    def __init__(self, figures: PlatformFigures) -> None:
        self._figures = figures

    def collect(self) -> Iterator[Metric]:
        figures = self._figures
        yield GaugeMetricFamily(
            "parcelsms_queue_messages",
            "Messages queued for the dispatcher (claimed or not).",
            value=figures.queued,
        )
        yield GaugeMetricFamily(
            "parcelsms_queue_oldest_due_seconds",
            "How long the oldest due, unclaimed queued message has waited (0: none).",
            value=figures.oldest_due_seconds or 0.0,
        )
        labels = ["status", "country", "channel"]
        messages = GaugeMetricFamily(
            "parcelsms_messages_last_24h",
            "Messages created in the last 24 hours, by current status, country and channel.",
            labels=labels,
        )
        segments = GaugeMetricFamily(
            "parcelsms_segments_last_24h",
            "Segments of the messages created in the last 24 hours, by status, country and "
            "channel.",
            labels=labels,
        )
        for row in figures.recent:
            values = [row.status, row.country, row.channel]
            messages.add_metric(values, row.messages)
            segments.add_metric(values, row.segments)
        yield messages
        yield segments
        buckets: list[tuple[str, float]] = []
        seen = 0
        for bound, count in zip(LATENCY_BOUNDS, figures.delivery_latency, strict=False):
            seen += count
            buckets.append((str(float(bound)), seen))
        buckets.append(("+Inf", sum(figures.delivery_latency)))
        latency = HistogramMetricFamily(
            "parcelsms_time_to_delivery_seconds",
            "Acceptance to delivery receipt of the messages delivered among those created in "
            "the last 24 hours (no _sum: kept as buckets only).",
        )
        latency.add_metric([], buckets, None)
        yield latency
        yield GaugeMetricFamily(
            "parcelsms_webhooks_pending",
            "Webhook deliveries waiting to be sent or retried.",
            value=figures.webhooks_pending,
        )
        yield GaugeMetricFamily(
            "parcelsms_webhooks_oldest_pending_seconds",
            "Age of the oldest pending webhook's next attempt time (0: none).",
            value=figures.oldest_webhook_seconds or 0.0,
        )
        finished = GaugeMetricFamily(
            "parcelsms_webhooks_finished_last_hour",
            "Webhook deliveries finished in the last hour: delivered, or failed for good.",
            labels=["status"],
        )
        for status, count in sorted(figures.webhooks_finished.items()):
            finished.add_metric([status], count)
        yield finished


class MetricsExposition:
    """Renders ``/metrics`` for one process."""

    def __init__(self, figures: PlatformFiguresStore, clock: Callable[[], datetime] = _now) -> None:
        self._figures = figures
        self._clock = clock

    @property
    def content_type(self) -> str:
        return CONTENT_TYPE_LATEST

    async def render(self) -> bytes:
        """The Prometheus text of every metric."""
        figures = await self._figures.read_platform_figures(self._clock())
        database = CollectorRegistry(auto_describe=False)
        database.register(_FiguresCollector(figures))
        if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
            processes = CollectorRegistry(auto_describe=False)
            MultiProcessCollector(processes)  # type: ignore[no-untyped-call]
            in_process = generate_latest(processes)
        else:
            in_process = generate_latest(REGISTRY)
        return in_process + generate_latest(database)
