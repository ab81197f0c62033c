"""The routes and channel conditions a message is planned with, cached per process.

**Which routes.** The operator's routes stored through ``/admin/v1/routes`` come first, in
their order; the configuration file's ``[[routes]]`` follow (catch-alls of either last, see
:mod:`parcelsms.domain.routing`). So the API adds and overrides; the file is the base that
a restart always restores. A stored route naming a channel the configuration no longer has
is left out (and logged): it could send nothing.

**Where the plan is made, and why there.** The accept step (any API process) plans each
message and stores the plan with it; the dispatcher and failover walk that plan and skip a
channel that is down when the message's turn comes. Planning at accept keeps one contract
(a message carries its candidate channels from the start, and its history shows them) and
costs the hot path nothing extra: the compiled table is cached here and rebuilt only after
a change, and the conditions the strategies read (which channels are down, delivery rates
per country, channel costs) come from the ``channel_health`` snapshots the pipeline writes
every second and from the channel cost list — read at most once per ``conditions_age``
seconds per process, never per message.

**Hot reload.** A change through the admin API calls :meth:`RouteBook.invalidate`; its
:class:`~parcelsms.pipeline.ttl_cache.TtlCache` announces it on the platform's change signal,
so every process (API workers, the pipeline, the CLI) rereads the table on its next message.
Without a signal the table is reread after ``max_age`` seconds.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Final, Protocol

from parcelsms.domain.route_plans import NO_CONDITIONS, ChannelConditions
from parcelsms.domain.routing import Route, RouteTable
from parcelsms.pipeline.billing_ports import ChannelCost
from parcelsms.pipeline.channel_health import ChannelHealthSnapshot
from parcelsms.pipeline.route_ports import StoredRoute
from parcelsms.pipeline.ttl_cache import TtlCache

_log = logging.getLogger(__name__)

# Fewer receipts than this for a channel and country tell nothing about its delivery rate.
MIN_RECEIPTS: Final = 10
# A snapshot older than this is from a pipeline that is not running: it says nothing now.
SNAPSHOT_FRESH_FOR: Final = timedelta(seconds=30)
_TABLE = "table"
_CONDITIONS = "conditions"


class RouteSource(Protocol):
    """Where the accept step gets the routes and conditions to plan a message with."""

    async def current(self) -> tuple[RouteTable, ChannelConditions]: ...


class StoredRoutes(Protocol):
    async def list_routes(self) -> list[StoredRoute]: ...


class HealthReads(Protocol):
    async def list_channel_health(self) -> list[ChannelHealthSnapshot]: ...


class CostReads(Protocol):
    async def list_channel_costs(self) -> list[ChannelCost]: ...


@dataclass(frozen=True, slots=True)
class FixedRoutes:
    """A table that never changes, planned without conditions (a use case given only the
    file's table)."""

    table: RouteTable
    conditions: ChannelConditions = NO_CONDITIONS

    async def current(self) -> tuple[RouteTable, ChannelConditions]:
        return self.table, self.conditions


def channel_conditions(
    snapshots: Iterable[ChannelHealthSnapshot], costs: Iterable[ChannelCost], now: datetime
) -> ChannelConditions:
    """What the strategies read, from the channels' latest snapshots and the cost list."""
    down: set[str] = set()
    rates: dict[tuple[str, str], float] = {}
    for snapshot in snapshots:
        if now - snapshot.updated_at > SNAPSHOT_FRESH_FOR:
            continue
        if snapshot.state == "down":
            down.add(snapshot.channel)
        for country, figures in snapshot.window.countries.items():
            rate = figures.receipt_delivery_rate
            if rate is not None and figures.receipts >= MIN_RECEIPTS:
                rates[(snapshot.channel, country)] = rate
    return ChannelConditions(
        down=frozenset(down),
        delivery_rates=rates,
        costs={(cost.channel, cost.country): cost.cost_micros for cost in costs},
    )


def combined_table(
    stored: Sequence[StoredRoute], file_routes: Sequence[Route], known_channels: Iterable[str]
) -> RouteTable:
    """The stored routes (by position) then the file's, as one table (module docstring)."""
    known = frozenset(known_channels)
    routes: list[Route] = []
    for record in sorted(stored, key=lambda record: record.position):
        unknown = sorted(set(record.definition.channels) - known)
        if unknown:
            _log.warning(
                "stored route left out: it names channels that are not configured",
                extra={"route": record.id, "channels": unknown},
            )
            continue
        routes.append(record.definition.to_route(record.id))
    return RouteTable([*routes, *file_routes], None)


class RouteBook:
    """The cached route table and channel conditions of one process (module docstring)."""

    def __init__(
        self,
        file_routes: Sequence[Route],
        known_channels: Iterable[str],
        store: StoredRoutes,
        health: HealthReads | None = None,
        costs: CostReads | None = None,
        *,
        max_age: float = 5.0,
        conditions_age: float = 1.0,
        clock: Callable[[], float] = time.monotonic,
        wall_clock: Callable[[], datetime] | None = None,
    ) -> None:
        """``health``/``costs`` ``None``: planned without them (nothing down, no costs)."""
        self._file_routes = tuple(file_routes)
        self._known = frozenset(known_channels)
        self._store = store
        self._health = health
        self._costs = costs
        self._wall_clock = wall_clock or (lambda: datetime.now(UTC))
        self._tables: TtlCache[str, RouteTable] = TtlCache(max_age, clock=clock)
        self._conditions: TtlCache[str, ChannelConditions] = TtlCache(conditions_age, clock=clock)
        self._generation = 0
        self._lock = asyncio.Lock()

    @property
    def file_routes(self) -> tuple[Route, ...]:
        return self._file_routes

    async def current(self) -> tuple[RouteTable, ChannelConditions]:
        """The table and conditions to plan a message with now."""
        table = self._tables.get(_TABLE)
        conditions = self._conditions.get(_CONDITIONS)
        if table is not None and conditions is not None:
            return table, conditions
        async with self._lock:  # concurrent callers wait for one read
            table = self._tables.get(_TABLE)
            if table is None:
                generation = self._generation
                table = combined_table(
                    await self._store.list_routes(), self._file_routes, self._known
                )
                if generation == self._generation:  # not invalidated while it was read
                    self._tables.put(_TABLE, table)
            conditions = self._conditions.get(_CONDITIONS)
            if conditions is None:
                conditions = await self._read_conditions()
                self._conditions.put(_CONDITIONS, conditions)
            return table, conditions

    async def _read_conditions(self) -> ChannelConditions:
        snapshots = [] if self._health is None else await self._health.list_channel_health()
        costs = [] if self._costs is None else await self._costs.list_channel_costs()
        return channel_conditions(snapshots, costs, self._wall_clock())

    def invalidate(self) -> None:
        """Reread the routes on the next message, here and (through the change signal) in
        every other process."""
        self._generation += 1
        self._tables.forget(_TABLE)
