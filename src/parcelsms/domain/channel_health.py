"""A channel's health over a rolling window, per destination country (pure).

:class:`HealthWindow` counts what a channel did in time buckets (``bucket_seconds`` each,
``buckets`` of them: 6 × 10 s = the last minute by default) and drops buckets that fall out
of the window. Per destination country (ISO code, ``"??"`` when unknown) it keeps:

* submits and their answers: accepted, throttled, failed (TEMPORARY/UNKNOWN/PERMANENT), and
  unanswered (UNKNOWN) among the failed;
* the response latency of answered submits, as a histogram (so p50/p95 cost no sorting and
  a bounded memory whatever the rate);
* receipts: how many, how many said delivered, and the latency from submit to receipt
  where it is known.

:meth:`HealthWindow.summary` folds the window into a :class:`HealthSummary` (totals and one
per country): rates and percentiles a person or the breaker can read. Time is passed in.
"""

from __future__ import annotations

from bisect import bisect_left
from dataclasses import dataclass, field

import msgspec

from parcelsms.domain.failover import SendResultKind

# Upper edges of the latency histogram, in milliseconds; the last bucket is "above".
LATENCY_EDGES_MS: tuple[float, ...] = (
    2, 5, 10, 20, 50, 100, 200, 500, 1_000, 2_000, 5_000, 10_000, 30_000, 60_000,
    300_000, 3_600_000,
)  # fmt: skip


@dataclass(slots=True)
class _Tally:
    """One country's counts in one bucket."""

    submits: int = 0
    accepted: int = 0
    throttled: int = 0
    failed: int = 0
    unanswered: int = 0
    latency: list[int] = field(default_factory=lambda: [0] * (len(LATENCY_EDGES_MS) + 1))
    receipts: int = 0
    delivered: int = 0
    receipt_latency: list[int] = field(default_factory=lambda: [0] * (len(LATENCY_EDGES_MS) + 1))

    def add(self, other: _Tally) -> None:
        self.submits += other.submits
        self.accepted += other.accepted
        self.throttled += other.throttled
        self.failed += other.failed
        self.unanswered += other.unanswered
        self.receipts += other.receipts
        self.delivered += other.delivered
        for index, count in enumerate(other.latency):
            self.latency[index] += count
        for index, count in enumerate(other.receipt_latency):
            self.receipt_latency[index] += count


class HealthFigures(msgspec.Struct, frozen=True, kw_only=True):
    """What one channel did over the window, for one country or all of them.

    Rates are shares (0..1) of ``submits`` (``receipt_delivery_rate``: of ``receipts``);
    latencies in milliseconds, ``None`` when nothing was measured.
    """

    submits: int
    accepted: int
    throttled: int
    failed: int
    unanswered: int
    error_rate: float
    throttle_rate: float
    latency_p50_ms: float | None
    latency_p95_ms: float | None
    receipts: int
    receipt_delivery_rate: float | None
    receipt_latency_p50_ms: float | None
    receipt_latency_p95_ms: float | None


class HealthSummary(msgspec.Struct, frozen=True, kw_only=True):
    window_seconds: float
    total: HealthFigures
    countries: dict[str, HealthFigures]


def percentile(histogram: list[int], share: float) -> float | None:
    """The upper edge of the bucket holding the ``share`` quantile (``None``: empty)."""
    total = sum(histogram)
    if not total:
        return None
    wanted = share * total
    running = 0
    for index, count in enumerate(histogram):
        running += count
        if running >= wanted:
            if index < len(LATENCY_EDGES_MS):
                return LATENCY_EDGES_MS[index]
            break
    return LATENCY_EDGES_MS[-1]


def _figures(tally: _Tally) -> HealthFigures:
    submits = tally.submits
    return HealthFigures(
        submits=submits,
        accepted=tally.accepted,
        throttled=tally.throttled,
        failed=tally.failed,
        unanswered=tally.unanswered,
        error_rate=tally.failed / submits if submits else 0.0,
        throttle_rate=tally.throttled / submits if submits else 0.0,
        latency_p50_ms=percentile(tally.latency, 0.5),
        latency_p95_ms=percentile(tally.latency, 0.95),
        receipts=tally.receipts,
        receipt_delivery_rate=tally.delivered / tally.receipts if tally.receipts else None,
        receipt_latency_p50_ms=percentile(tally.receipt_latency, 0.5),
        receipt_latency_p95_ms=percentile(tally.receipt_latency, 0.95),
    )


def _bucket_of(milliseconds: float) -> int:
    return bisect_left(LATENCY_EDGES_MS, milliseconds)


class HealthWindow:
    """Rolling counts of one channel (see the module docstring)."""

    def __init__(self, *, bucket_seconds: float = 10.0, buckets: int = 6) -> None:
        self.bucket_seconds = bucket_seconds
        self.buckets = buckets
        self._buckets: dict[int, dict[str, _Tally]] = {}

    def _tally(self, now: float, country: str) -> _Tally:
        number = int(now // self.bucket_seconds)
        bucket = self._buckets.get(number)
        if bucket is None:
            bucket = self._buckets[number] = {}
            oldest = number - self.buckets + 1
            for stale in [key for key in self._buckets if key < oldest]:
                del self._buckets[stale]
        tally = bucket.get(country)
        if tally is None:
            tally = bucket[country] = _Tally()
        return tally

    def record_submit(
        self, now: float, country: str, result: SendResultKind, latency_seconds: float | None
    ) -> None:
        """A submit ended in ``result``; ``latency_seconds`` when it was answered."""
        if result is SendResultKind.NOT_SENT:
            return  # nothing reached the carrier: no evidence about it
        tally = self._tally(now, country or "??")
        tally.submits += 1
        if result is SendResultKind.ACCEPTED:
            tally.accepted += 1
        elif result is SendResultKind.THROTTLED:
            tally.throttled += 1
        else:
            tally.failed += 1
            if result is SendResultKind.UNKNOWN:
                tally.unanswered += 1
        if latency_seconds is not None and result is not SendResultKind.UNKNOWN:
            tally.latency[_bucket_of(latency_seconds * 1000.0)] += 1

    def record_receipt(
        self, now: float, country: str, delivered: bool, latency_seconds: float | None
    ) -> None:
        """A final receipt arrived; ``latency_seconds`` from the submit, when known."""
        tally = self._tally(now, country or "??")
        tally.receipts += 1
        tally.delivered += delivered
        if latency_seconds is not None:
            tally.receipt_latency[_bucket_of(latency_seconds * 1000.0)] += 1

    def summary(self, now: float) -> HealthSummary:
        """The window ending at ``now``: totals and one entry per country."""
        oldest = int(now // self.bucket_seconds) - self.buckets + 1
        total = _Tally()
        countries: dict[str, _Tally] = {}
        for number, bucket in self._buckets.items():
            if number < oldest:
                continue
            for country, tally in bucket.items():
                total.add(tally)
                countries.setdefault(country, _Tally()).add(tally)
        return HealthSummary(
            window_seconds=self.bucket_seconds * self.buckets,
            total=_figures(total),
            countries={country: _figures(tally) for country, tally in sorted(countries.items())},
        )
