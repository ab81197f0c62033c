"""What a report says about a group of messages, from counts that rollups can keep.

Reports never scan messages: storage keeps, per hour and group, how many messages are in each
status, their segments, the money charged for them, and a histogram of their time to
delivery in the fixed buckets of :data:`LATENCY_BOUNDS`. This module turns those counts into
the figures a report shows (:func:`figures`), so the rollups, the rebuild and the tests that
count messages directly all agree by construction.

* ``pending``: still on their way (``scheduled``, ``queued``, ``submitted``).
* ``delivery_rate``: ``delivered`` over the messages whose fate is known and that were not
  canceled (``delivered + undelivered + expired + rejected + failed``); ``None`` when none.
* Time to delivery: from acceptance (``created_at``) to the delivered status (``final_at``).
  ``median`` and ``p95`` are the upper bound of the bucket holding that rank (a report says
  "delivered within"); a rank in the last, open bucket reports its lower bound.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Final

from parcelsms.domain.status import MessageStatus

LATENCY_BOUNDS: Final[tuple[int, ...]] = (
    1,
    2,
    5,
    10,
    15,
    30,
    60,
    120,
    300,
    600,
    1800,
    3600,
    7200,
    21600,
    86400,
)
"""Upper bounds, in seconds, of the time-to-delivery buckets; one more bucket holds the rest."""

LATENCY_BUCKETS: Final = len(LATENCY_BOUNDS) + 1

PENDING_STATUSES: Final = frozenset(
    {MessageStatus.SCHEDULED, MessageStatus.QUEUED, MessageStatus.SUBMITTED}
)
_DECIDED: Final = (
    MessageStatus.DELIVERED,
    MessageStatus.UNDELIVERED,
    MessageStatus.EXPIRED,
    MessageStatus.REJECTED,
    MessageStatus.FAILED,
)
_HOUR_SECONDS: Final = 3600


def hour_of(moment: datetime) -> int:
    """Whole hours since the Unix epoch (UTC) of an aware ``moment``: a rollup's hour."""
    return math.floor(moment.timestamp()) // _HOUR_SECONDS


def latency_bucket(created_at: datetime, delivered_at: datetime) -> int:
    """The index of the time-to-delivery bucket of a message delivered at ``delivered_at``."""
    seconds = (delivered_at - created_at).total_seconds()
    for index, bound in enumerate(LATENCY_BOUNDS):
        if seconds <= bound:
            return index
    return len(LATENCY_BOUNDS)


def latency_percentile(histogram: Sequence[int], fraction: float) -> int | None:
    """Seconds within which ``fraction`` (0 < f <= 1) of the deliveries counted happened.

    ``None`` when the histogram is empty. See the module docstring for the bucket rule.
    """
    total = sum(histogram)
    if total <= 0:
        return None
    rank = max(1, math.ceil(fraction * total))
    seen = 0
    for index, count in enumerate(histogram):
        seen += count
        if seen >= rank:
            return LATENCY_BOUNDS[min(index, len(LATENCY_BOUNDS) - 1)]
    return LATENCY_BOUNDS[-1]


@dataclass(frozen=True, slots=True)
class ReportFigures:
    """The figures of one report group (money in micro-units of the group's currency)."""

    messages: int
    segments: int
    delivered: int
    undelivered: int
    expired: int
    rejected: int
    failed: int
    canceled: int
    pending: int
    delivery_rate: float | None
    spend_micros: int
    median_seconds: int | None
    p95_seconds: int | None


def figures(
    by_status: Mapping[str, int],
    segments: int,
    spend_micros: int,
    histogram: Sequence[int],
) -> ReportFigures:
    """The figures of a group from its message count per status, segments, money charged
    and time-to-delivery histogram."""

    def count(status: MessageStatus) -> int:
        return by_status.get(status, 0)

    decided = sum(count(status) for status in _DECIDED)
    delivered = count(MessageStatus.DELIVERED)
    return ReportFigures(
        messages=sum(by_status.values()),
        segments=segments,
        delivered=delivered,
        undelivered=count(MessageStatus.UNDELIVERED),
        expired=count(MessageStatus.EXPIRED),
        rejected=count(MessageStatus.REJECTED),
        failed=count(MessageStatus.FAILED),
        canceled=count(MessageStatus.CANCELED),
        pending=sum(count(status) for status in PENDING_STATUSES),
        delivery_rate=None if decided == 0 else delivered / decided,
        spend_micros=spend_micros,
        median_seconds=latency_percentile(histogram, 0.5),
        p95_seconds=latency_percentile(histogram, 0.95),
    )


def add_histograms(histograms: Iterable[Sequence[int]]) -> list[int]:
    """The bucket-wise sum of latency histograms."""
    total = [0] * LATENCY_BUCKETS
    for histogram in histograms:
        for index, count in enumerate(histogram):
            total[index] += count
    return total
