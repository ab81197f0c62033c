"""``/admin/v1/channels``: every carrier channel's health, live.

The channels run in the pipeline process, which stores each one's snapshot about every
second (:mod:`parcelsms.pipeline.channel_health`); this resource reads those rows, so it
answers the same from any API process. A snapshot older than :data:`STALE_AFTER` means no
running pipeline is updating it (``stale``).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import msgspec
from starlette.requests import Request
from starlette.responses import Response

from parcelsms.api.error_responses import JsonResponse
from parcelsms.api.route_table import ApiRoute, admin_route
from parcelsms.domain.channel_health import HealthSummary
from parcelsms.pipeline.channel_health import (
    ChannelHealthSnapshot,
    ChannelHealthStore,
    ChannelLiveState,
    ChannelState,
)

STALE_AFTER = timedelta(seconds=10)


class ChannelOut(msgspec.Struct, kw_only=True):
    """One channel: its state, its binds, its breaker and its last minute, per country.

    ``state``: ``up`` (every bind bound, breaker closed), ``degraded`` (some binds down, or
    the breaker half open), ``down`` (no bind, or the breaker open).
    """

    name: str
    state: ChannelState
    stale: bool
    updated_at: datetime
    breaker: str
    breaker_failure_share: float
    breaker_opened_times: int
    binds: ChannelLiveState
    window: HealthSummary


class ChannelList(msgspec.Struct, kw_only=True):
    data: list[ChannelOut]


def channel_out(snapshot: ChannelHealthSnapshot, now: datetime) -> ChannelOut:
    return ChannelOut(
        name=snapshot.channel,
        state=snapshot.state,
        stale=now - snapshot.updated_at > STALE_AFTER,
        updated_at=snapshot.updated_at,
        breaker=snapshot.breaker,
        breaker_failure_share=snapshot.breaker_failure_share,
        breaker_opened_times=snapshot.breaker_opened_times,
        binds=snapshot.live,
        window=snapshot.window,
    )


class AdminChannelEndpoints:
    """Handlers of the operator's channel routes."""

    def __init__(
        self,
        store: ChannelHealthStore | None,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._store = store
        self._clock = clock

    async def list_channels(self, request: Request) -> Response:
        snapshots = await self._store.list_channel_health() if self._store is not None else []
        now = self._clock()
        return JsonResponse(ChannelList(data=[channel_out(item, now) for item in snapshots]))

    def routes(self) -> list[ApiRoute]:
        """The route table entries of these handlers."""
        return [
            admin_route(
                method="GET",
                path="/admin/v1/channels",
                handler=self.list_channels,
                summary="Carrier channels and their health",
                description="Each channel's binds, flow control rate, circuit breaker and "
                "its last minute (submit error and throttle rates, response latency, "
                "receipt delivery rate and latency), in total and per destination country. "
                "Updated about every second by the pipeline process.",
                response=ChannelList,
            )
        ]
