"""Row operations on ``pipeline_nodes`` and ``channel_leases`` (see :mod:`.lease_stores`).

Each runs in the writer's transaction; on PostgreSQL every writer transaction holds the
writers' advisory lock, so two nodes' rounds never interleave and a round's reads stay
true until it commits.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import delete, select, update
from sqlalchemy.engine import Connection

from parcelsms.adapters.storage.context import StorageContext
from parcelsms.adapters.storage.engine.database_clock import database_now
from parcelsms.adapters.storage.engine.schema.cluster_tables import channel_leases, pipeline_nodes
from parcelsms.domain.channel_leases import plan_leases
from parcelsms.pipeline.lease_ports import LeaseRound, NodeIdentity


@dataclass(frozen=True, slots=True)
class RoundRequest:
    node: NodeIdentity
    channels: tuple[str, ...]
    lease: timedelta
    acquire: bool


@dataclass(frozen=True, slots=True)
class ReleaseRequest:
    node_id: str
    channels: tuple[str, ...]
    leave: bool = False


class LeaseRoundOperation:
    """One heartbeat per request (``LeaseStore.lease_round``)."""

    def __init__(self, context: StorageContext) -> None:
        self._context = context

    def __call__(
        self, connection: Connection, requests: list[RoundRequest]
    ) -> Sequence[LeaseRound]:
        return [self._round(connection, request) for request in requests]

    def _round(self, connection: Connection, request: RoundRequest) -> LeaseRound:
        now = database_now(connection, self._context.clock)
        node = request.node
        until = now + request.lease
        beat = connection.execute(
            update(pipeline_nodes)
            .where(pipeline_nodes.c.node_id == node.node_id)
            .values(heartbeat_at=now)
        )
        if beat.rowcount == 0:
            connection.execute(
                pipeline_nodes.insert().values(
                    node_id=node.node_id,
                    host=node.host[:255],
                    pid=node.pid,
                    started_at=now,
                    heartbeat_at=now,
                )
            )
        cutoff = now - request.lease
        connection.execute(delete(pipeline_nodes).where(pipeline_nodes.c.heartbeat_at < cutoff))
        connection.execute(
            update(channel_leases)
            .where(channel_leases.c.node_id == node.node_id, channel_leases.c.expires_at >= now)
            .values(expires_at=until)
        )
        live = set(connection.execute(select(pipeline_nodes.c.node_id)).scalars())
        rows = connection.execute(
            select(channel_leases.c.channel, channel_leases.c.node_id)
            .where(channel_leases.c.expires_at >= now)
            .order_by(channel_leases.c.acquired_at, channel_leases.c.channel)
        ).all()
        holders = {row.channel: row.node_id for row in rows}
        acquired: tuple[str, ...] = ()
        surplus: tuple[str, ...] = ()
        if request.acquire:
            plan = plan_leases(
                node.node_id,
                request.channels,
                holders,
                live,
                [row.channel for row in rows if row.node_id == node.node_id],
            )
            for channel in plan.acquire:
                self._take(connection, channel, node.node_id, now, until)
                holders[channel] = node.node_id
            acquired, surplus = plan.acquire, plan.release
        return LeaseRound(
            owned=frozenset(c for c, holder in holders.items() if holder == node.node_id),
            acquired=acquired,
            surplus=surplus,
            elsewhere=frozenset(c for c, holder in holders.items() if holder != node.node_id),
            holders=holders,
            live_nodes=len(live),
        )

    @staticmethod
    def _take(
        connection: Connection, channel: str, node_id: str, now: object, until: object
    ) -> None:
        # The channel is free in this transaction's view: its row is expired, or absent.
        taken = connection.execute(
            update(channel_leases)
            .where(channel_leases.c.channel == channel, channel_leases.c.expires_at < now)
            .values(node_id=node_id, acquired_at=now, expires_at=until)
        )
        if taken.rowcount == 0:
            connection.execute(
                channel_leases.insert().values(
                    channel=channel, node_id=node_id, acquired_at=now, expires_at=until
                )
            )


def release_leases(connection: Connection, requests: list[ReleaseRequest]) -> Sequence[None]:
    """Delete the named leases of each node; with ``leave``, all of them and its row."""
    for request in requests:
        condition = channel_leases.c.node_id == request.node_id
        if not request.leave:
            condition = condition & channel_leases.c.channel.in_(request.channels)
        connection.execute(delete(channel_leases).where(condition))
        if request.leave:
            connection.execute(
                delete(pipeline_nodes).where(pipeline_nodes.c.node_id == request.node_id)
            )
    return [None] * len(requests)
