"""The report port on SQL: sums of the rollups on the reader pool, the rebuild on the writer."""

from __future__ import annotations

from sqlalchemy.engine import Connection

from parcelsms.adapters.storage.engine.runner import SqlRunner
from parcelsms.adapters.storage.reports.report_query_rows import read_rollup_sums
from parcelsms.adapters.storage.reports.rollup_rebuild import rebuild_rollups
from parcelsms.pipeline.report_ports import RollupQuery, RollupSum


def _rebuild(connection: Connection, items: list[None]) -> list[int]:
    # One writer item: the rebuild is one transaction, serialised with every other write.
    return [rebuild_rollups(connection)] * len(items)


class SqlReportStore:
    """Implements :class:`~parcelsms.pipeline.report_ports.ReportStore`."""

    def __init__(self, runner: SqlRunner) -> None:
        self._runner = runner

    async def sum_rollups(self, query: RollupQuery) -> list[RollupSum]:
        return await self._runner.read(read_rollup_sums, query)

    async def rebuild_rollups(self) -> int:
        return int(await self._runner.writer.run(_rebuild, None))
