"""Channel health in a running pipeline: the rolling window and breaker of every channel,
and the snapshot other processes read.

The dispatcher asks :meth:`ChannelHealthBoard.admits` before it hands a message to a
channel (an open breaker sends the message to the next channel of its plan) and reports
every submit's result; a channel reports its receipts. The channels live in the pipeline
process while the API and the CLI may run elsewhere, so :class:`ChannelHealthPublisher`
writes one :class:`ChannelHealthSnapshot` per channel to storage about every second
(upserted: one row per channel), and readers read those.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import datetime
from typing import Literal, Protocol

import msgspec

from parcelsms.domain.channel_health import HealthSummary, HealthWindow
from parcelsms.domain.circuit_breaker import BreakerSettings, BreakerState, CircuitBreaker
from parcelsms.domain.failover import SendResultKind

_log = logging.getLogger(__name__)

ChannelState = Literal["up", "degraded", "down"]


class ChannelLiveState(msgspec.Struct, frozen=True, kw_only=True):
    """What a channel says about its binds right now."""

    binds: int
    bound: int
    configured_tps: float | None
    current_tps: float | None  # the flow control's rate now (summed over the binds)
    reconnects: int
    recycles: int
    last_error: str


class ChannelHealthSnapshot(msgspec.Struct, frozen=True, kw_only=True):
    """One channel's health at ``updated_at``, as stored and shown."""

    channel: str
    updated_at: datetime
    breaker: str  # closed | open | half_open
    breaker_failure_share: float
    breaker_opened_times: int
    live: ChannelLiveState
    window: HealthSummary

    @property
    def state(self) -> ChannelState:
        """``up`` (every bind bound, breaker closed), ``degraded`` (some binds down, or the
        breaker half open), ``down`` (no bind, or the breaker open)."""
        live = self.live
        if live.bound == 0 or self.breaker == "open":
            return "down"
        if live.bound < live.binds or self.breaker == "half_open":
            return "degraded"
        return "up"


class ChannelHealthStore(Protocol):
    """Where snapshots are kept for other processes."""

    async def save_channel_health(self, snapshots: Sequence[ChannelHealthSnapshot]) -> None:
        """Upsert one row per channel."""
        ...

    async def list_channel_health(self) -> list[ChannelHealthSnapshot]:
        """Every channel's latest snapshot, by channel name."""
        ...


class ChannelHealthBoard:
    """The window and breaker of every channel of this process (``clock``: monotonic)."""

    def __init__(
        self,
        channels: Iterable[str],
        breakers: Mapping[str, BreakerSettings] | None = None,
        *,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        breakers = breakers or {}
        self._clock = clock
        self.windows = {name: HealthWindow() for name in channels}
        self.breakers = {name: CircuitBreaker(breakers.get(name)) for name in self.windows}

    def admits(self, channel: str) -> bool:
        """May a message use ``channel`` now? Unknown channels are not governed here."""
        breaker = self.breakers.get(channel)
        return breaker is None or breaker.admits(self._clock())

    def may_admit_soon(self, channel: str) -> bool:
        breaker = self.breakers.get(channel)
        return breaker is None or breaker.may_admit_soon(self._clock())

    def record_submit(
        self, channel: str, country: str, result: SendResultKind, latency_seconds: float | None
    ) -> None:
        window = self.windows.get(channel)
        if window is None:
            return
        now = self._clock()
        window.record_submit(now, country, result, latency_seconds)
        breaker = self.breakers[channel]
        before = breaker.state
        breaker.record(result, now)
        if breaker.state is not before:
            level = logging.WARNING if breaker.state is BreakerState.OPEN else logging.INFO
            _log.log(
                level,
                "channel circuit breaker %s",
                breaker.state.value,
                extra={"channel": channel, "failure_share": round(breaker.failure_share, 3)},
            )

    def record_receipt(
        self, channel: str, country: str, delivered: bool, latency_seconds: float | None
    ) -> None:
        window = self.windows.get(channel)
        if window is not None:
            window.record_receipt(self._clock(), country, delivered, latency_seconds)

    def snapshots(
        self, at: datetime, live: Mapping[str, ChannelLiveState]
    ) -> list[ChannelHealthSnapshot]:
        now = self._clock()
        result = []
        for name, window in self.windows.items():
            state = live.get(name)
            if state is None:
                continue
            breaker = self.breakers[name]
            result.append(
                ChannelHealthSnapshot(
                    channel=name,
                    updated_at=at,
                    breaker=breaker.state.value,
                    breaker_failure_share=round(breaker.failure_share, 4),
                    breaker_opened_times=breaker.opened_times,
                    live=state,
                    window=window.summary(now),
                )
            )
        return result


class ChannelHealthPublisher:
    """Writes the board's snapshots to storage every ``interval`` seconds until cancelled."""

    def __init__(
        self,
        board: ChannelHealthBoard,
        store: ChannelHealthStore,
        live: Callable[[], Mapping[str, ChannelLiveState]],
        *,
        clock: Callable[[], datetime],
        interval: float = 1.0,
    ) -> None:
        self._board = board
        self._store = store
        self._live = live
        self._clock = clock
        self.interval = interval

    async def publish(self) -> None:
        """Write one round of snapshots now."""
        await self._store.save_channel_health(self._board.snapshots(self._clock(), self._live()))

    async def run(self) -> None:
        while True:
            try:
                await self.publish()
            except Exception:  # a failed write must not stop the next ones; it is logged
                _log.exception("could not store channel health")
            await asyncio.sleep(self.interval)
