"""A channel's rolling health window (pure): rates, latencies, receipts, per country."""

from __future__ import annotations

import pytest

from parcelsms.domain.channel_health import HealthWindow, percentile
from parcelsms.domain.failover import SendResultKind


def test_rates_are_shares_of_the_submits_that_reached_the_carrier() -> None:
    window = HealthWindow()
    for _ in range(90):
        window.record_submit(10.0, "DE", SendResultKind.ACCEPTED, 0.004)
    for _ in range(5):
        window.record_submit(10.0, "DE", SendResultKind.THROTTLED, 0.004)
    for _ in range(3):
        window.record_submit(10.0, "DE", SendResultKind.TEMPORARY, 0.004)
    for _ in range(2):
        window.record_submit(10.0, "DE", SendResultKind.UNKNOWN, None)
    window.record_submit(10.0, "DE", SendResultKind.NOT_SENT, None)  # never left: not counted
    total = window.summary(10.0).total
    assert (total.submits, total.accepted, total.throttled, total.failed, total.unanswered) == (
        100,
        90,
        5,
        5,
        2,
    )
    assert total.error_rate == pytest.approx(0.05)
    assert total.throttle_rate == pytest.approx(0.05)


def test_latency_percentiles_come_from_the_histogram() -> None:
    window = HealthWindow()
    for _ in range(94):
        window.record_submit(1.0, "ES", SendResultKind.ACCEPTED, 0.003)  # the 5 ms bucket
    for _ in range(6):
        window.record_submit(1.0, "ES", SendResultKind.ACCEPTED, 0.150)  # the 200 ms bucket
    figures = window.summary(1.0).total
    assert figures.latency_p50_ms == 5
    assert figures.latency_p95_ms == 200


def test_an_empty_histogram_has_no_percentile() -> None:
    assert percentile([0] * 17, 0.5) is None


def test_receipts_give_a_delivery_rate_and_latency_per_country() -> None:
    window = HealthWindow()
    for _ in range(8):
        window.record_receipt(5.0, "MX", True, 2.5)
    for _ in range(2):
        window.record_receipt(5.0, "MX", False, 2.5)
    window.record_receipt(5.0, "BR", False, None)
    summary = window.summary(5.0)
    assert summary.countries["MX"].receipt_delivery_rate == pytest.approx(0.8)
    assert summary.countries["MX"].receipt_latency_p50_ms == 5_000
    assert summary.countries["BR"].receipt_delivery_rate == 0.0
    assert summary.countries["BR"].receipt_latency_p50_ms is None
    assert summary.total.receipts == 11


def test_what_is_older_than_the_window_is_forgotten() -> None:
    window = HealthWindow(bucket_seconds=10.0, buckets=6)
    window.record_submit(0.0, "DE", SendResultKind.TEMPORARY, 0.01)
    window.record_submit(55.0, "DE", SendResultKind.ACCEPTED, 0.01)
    assert window.summary(59.0).total.submits == 2
    summary = window.summary(61.0)  # the first bucket (0-10 s) left the minute
    assert summary.total.submits == 1
    assert summary.total.error_rate == 0.0
    assert summary.window_seconds == 60.0
