"""The lease port on SQL (:class:`~parcelsms.pipeline.lease_ports.LeaseStore`)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta

from parcelsms.adapters.storage.cluster.lease_rows import (
    LeaseRoundOperation,
    ReleaseRequest,
    RoundRequest,
    release_leases,
)
from parcelsms.adapters.storage.engine.runner import SqlRunner
from parcelsms.pipeline.lease_ports import LeaseRound, NodeIdentity


class SqlLeaseStore:
    """Implements ``LeaseStore`` through the writer (one transaction per round)."""

    def __init__(self, runner: SqlRunner) -> None:
        self._writer = runner.writer
        self._round = LeaseRoundOperation(runner.context)

    async def lease_round(
        self,
        node: NodeIdentity,
        channels: Sequence[str],
        lease: timedelta,
        *,
        acquire: bool,
    ) -> LeaseRound:
        request = RoundRequest(node, tuple(channels), lease, acquire)
        return await self._writer.run(self._round, request)

    async def release_leases(self, node_id: str, channels: Sequence[str]) -> None:
        if channels:
            await self._writer.run(release_leases, ReleaseRequest(node_id, tuple(channels)))

    async def leave(self, node_id: str) -> None:
        await self._writer.run(release_leases, ReleaseRequest(node_id, (), leave=True))
