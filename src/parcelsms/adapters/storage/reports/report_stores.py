"""The report ports on SQL: sums of the rollups and the figures of ``/metrics`` on the reader
pool, the rebuild on the writer."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.engine import Connection

from parcelsms.adapters.storage.engine.runner import SqlRunner
from parcelsms.adapters.storage.reports.metrics_rows import read_platform_figures
from parcelsms.adapters.storage.reports.report_query_rows import read_rollup_sums
from parcelsms.adapters.storage.reports.rollup_rebuild import rebuild_rollups
from parcelsms.pipeline.metrics_ports import PlatformFigures
from parcelsms.pipeline.report_ports import RollupQuery, RollupSum


def _rebuild(connection: Connection, items: list[None]) -> list[int]:
    # One writer item: the rebuild is one transaction, serialised with every other write.
    return [rebuild_rollups(connection)] * len(items)


class SqlReportStore:
    """Implements :class:`~parcelsms.pipeline.report_ports.ReportStore` and
    :class:`~parcelsms.pipeline.metrics_ports.PlatformFiguresStore`."""

    def __init__(self, runner: SqlRunner) -> None:
        self._runner = runner

    async def sum_rollups(self, query: RollupQuery) -> list[RollupSum]:
        return await self._runner.read(read_rollup_sums, query)

    async def rebuild_rollups(self) -> int:
        return int(await self._runner.writer.run(_rebuild, None))

    async def read_platform_figures(self, now: datetime) -> PlatformFigures:
        return await self._runner.read(read_platform_figures, now)
