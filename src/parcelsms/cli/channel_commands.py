"""``parcelsms channels``: each carrier channel's health, as the pipeline last stored it."""

from __future__ import annotations

import time
from datetime import UTC, datetime

import click

from parcelsms.adapters.storage import SqlStorage
from parcelsms.cli.operator_commands import with_storage
from parcelsms.cli.settings_loader import config_option
from parcelsms.domain.channel_health import HealthFigures
from parcelsms.pipeline.channel_health import ChannelHealthSnapshot


@click.command("channels")
@click.option("--watch", is_flag=True, help="Show again every second until interrupted.")
@click.option("--countries", is_flag=True, help="One line per destination country too.")
@config_option
def channels(watch: bool, countries: bool, config_path: str | None) -> None:
    """Carrier channels: binds, flow control, circuit breaker and the last minute."""

    async def work(storage: SqlStorage) -> list[ChannelHealthSnapshot]:
        return await storage.channel_health.list_channel_health()

    while True:
        found = with_storage(config_path, work)
        if watch:
            click.clear()
        click.echo(describe(found, datetime.now(UTC), countries=countries))
        if not watch:
            return
        time.sleep(1.0)


def describe(snapshots: list[ChannelHealthSnapshot], now: datetime, *, countries: bool) -> str:
    """The text ``parcelsms channels`` prints."""
    if not snapshots:
        return "no channel health stored yet (is `parcelsms serve` running?)"
    lines = []
    for snapshot in snapshots:
        live = snapshot.live
        age = (now - snapshot.updated_at).total_seconds()
        rate = "unlimited" if live.current_tps is None else f"{live.current_tps:g}/s"
        configured = "unlimited" if live.configured_tps is None else f"{live.configured_tps:g}/s"
        lines.append(
            f"{snapshot.channel}  {snapshot.state}  binds {live.bound}/{live.binds}  "
            f"rate {rate} (configured {configured})  breaker {snapshot.breaker}  "
            f"updated {age:.0f}s ago"
        )
        if live.last_error:
            lines.append(f"    last error: {live.last_error}")
        window = snapshot.window
        lines.append(f"    last {window.window_seconds:g}s: {_figures(window.total)}")
        if countries:
            for country, figures in window.countries.items():
                lines.append(f"      {country}: {_figures(figures)}")
    return "\n".join(lines)


def _figures(figures: HealthFigures) -> str:
    text = (
        f"{figures.submits} submits, errors {figures.error_rate:.1%}, "
        f"throttled {figures.throttle_rate:.1%}, unanswered {figures.unanswered}"
    )
    if figures.latency_p50_ms is not None:
        text += f", latency p50 {figures.latency_p50_ms:g} ms p95 {figures.latency_p95_ms:g} ms"
    if figures.receipt_delivery_rate is not None:
        text += f", receipts {figures.receipts} delivered {figures.receipt_delivery_rate:.1%}"
    if figures.receipt_latency_p50_ms is not None:
        text += f" in p50 {figures.receipt_latency_p50_ms:g} ms"
    return text
