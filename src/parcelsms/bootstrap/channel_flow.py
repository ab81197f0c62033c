"""Wiring of the channels' flow control and health: config tables in, pipeline settings out.

Small functions the composition root calls; they pick nothing concrete beyond what their
names say.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import UTC, datetime

from parcelsms.adapters.channels.smpp_channel import SmppChannel
from parcelsms.config.tables import ChannelSettings
from parcelsms.domain.circuit_breaker import BreakerSettings
from parcelsms.pipeline.channel_health import (
    ChannelHealthBoard,
    ChannelHealthPublisher,
    ChannelHealthStore,
    ChannelLiveState,
)
from parcelsms.pipeline.channel_leases import ChannelOwnership
from parcelsms.pipeline.dispatch import ChannelUnanswered
from parcelsms.pipeline.receipt_failover import SilentAttemptStore, SilentAttemptSweeper


def breaker_settings(channel: ChannelSettings) -> BreakerSettings:
    return BreakerSettings(
        error_rate=channel.breaker_error_rate,
        min_submits=min(channel.breaker_min_submits, channel.breaker_sample),
        sample=channel.breaker_sample,
        open_seconds=channel.breaker_open_seconds,
        probe_interval=channel.breaker_probe_interval,
        probes_to_close=channel.breaker_probes_to_close,
    )


def health_board(channels: Iterable[ChannelSettings]) -> ChannelHealthBoard:
    """One rolling window and breaker per configured channel."""
    settings = {channel.name: breaker_settings(channel) for channel in channels}
    return ChannelHealthBoard(settings, settings)


def unanswered_policies(channels: Iterable[ChannelSettings]) -> dict[str, ChannelUnanswered]:
    """The channels that set ``unanswered``; the others follow ``[dispatch]``."""
    return {
        channel.name: ChannelUnanswered(channel.unanswered, channel.unanswered_wait.total_seconds())
        for channel in channels
        if channel.unanswered is not None
    }


def health_publisher(
    board: ChannelHealthBoard,
    store: ChannelHealthStore,
    channels: Mapping[str, SmppChannel],
    ownership: ChannelOwnership | None = None,
) -> ChannelHealthPublisher:
    """Writes the board's snapshots, with each channel's live binds, about every second.

    With several pipeline nodes (``ownership``), each writes only the channels it holds:
    one row per channel, written by its owner, is what every reader merges."""

    def live() -> dict[str, ChannelLiveState]:
        if ownership is not None:
            owned = ownership.owned
            return {name: c.live_state() for name, c in channels.items() if name in owned}
        return {name: channel.live_state() for name, channel in channels.items()}

    return ChannelHealthPublisher(board, store, live, clock=lambda: datetime.now(UTC))


def silence_sweeper(
    channels: Iterable[ChannelSettings], store: SilentAttemptStore
) -> SilentAttemptSweeper | None:
    """The sweep of attempts without a receipt in time, when some channel sets a limit."""
    if any(rule.no_receipt_after for channel in channels for rule in channel.receipt_failover):
        return SilentAttemptSweeper(store)
    return None
