"""What the console's channel page shows, behind a port.

HOOK: the composition root hands the console a :class:`ChannelStatusSource`. Today it reads
the SMPP channels of this process (bound sessions, receipts and replies counted). When the
``channel_health`` table (window use, TPS, submit error and throttle rates, receipt latency,
per-country delivery) exists, a source reading it replaces this one in
``parcelsms.bootstrap.console_wiring`` and the page shows the extra columns it fills in.
"""

from __future__ import annotations

from typing import Protocol

import msgspec


class ChannelStatus(msgspec.Struct, frozen=True, kw_only=True):
    """One carrier channel as the operator sees it; ``None``: not measured by this source."""

    name: str
    available: bool
    sessions_bound: int
    sessions_total: int
    receipts: int | None = None
    inbound: int | None = None
    window_in_use: int | None = None
    submits_per_second: float | None = None
    submit_error_rate: float | None = None
    throttle_rate: float | None = None
    receipt_latency_seconds: float | None = None


class ChannelStatusSource(Protocol):
    async def channel_statuses(self) -> list[ChannelStatus]:
        """Every configured channel, by name."""
        ...


class NoChannels:
    """A source with no channels (an API-only process)."""

    async def channel_statuses(self) -> list[ChannelStatus]:
        return []
