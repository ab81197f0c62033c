"""The report ports on SQL: sums of the rollups and the figures of ``/metrics`` on the reader
pool, the rebuild and the folds of pending rollup changes on the writer.

Every read of the rollups first folds the changes still pending (:mod:`.rollup_rows`), when
there are any: a report sees every change committed before it was asked for."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.engine import Connection

from parcelsms.adapters.storage.engine.runner import SqlRunner
from parcelsms.adapters.storage.engine.schema.report_tables import report_pending
from parcelsms.adapters.storage.reports.metrics_rows import read_platform_figures
from parcelsms.adapters.storage.reports.report_query_rows import read_rollup_sums
from parcelsms.adapters.storage.reports.rollup_rebuild import rebuild_rollups
from parcelsms.adapters.storage.reports.rollup_rows import fold_pending_rollups
from parcelsms.pipeline.metrics_ports import PlatformFigures
from parcelsms.pipeline.report_ports import RollupQuery, RollupSum


def _rebuild(connection: Connection, items: list[None]) -> list[int]:
    # One writer item: the rebuild is one transaction, serialised with every other write.
    written = rebuild_rollups(connection)
    # The changes still pending are in the messages it counted (after it wrote this
    # transaction's own so far): folded later, they would count twice.
    connection.execute(delete(report_pending))
    return [written] * len(items)


def _fold(connection: Connection, items: list[None]) -> list[int]:
    # Reports asking at the same moment share one fold.
    return [fold_pending_rollups(connection)] * len(items)


def _anything_pending(connection: Connection) -> bool:
    return connection.execute(select(report_pending.c.id).limit(1)).first() is not None


class SqlReportStore:
    """Implements :class:`~parcelsms.pipeline.report_ports.ReportStore` and
    :class:`~parcelsms.pipeline.metrics_ports.PlatformFiguresStore`."""

    def __init__(self, runner: SqlRunner) -> None:
        self._runner = runner

    async def sum_rollups(self, query: RollupQuery) -> list[RollupSum]:
        await self.fold_if_pending()
        return await self._runner.read(read_rollup_sums, query)

    async def fold_pending(self) -> int:
        """Add the pending rollup changes to the report tables; returns the hourly rows."""
        return int(await self._runner.writer.run(_fold, None))

    async def fold_if_pending(self) -> int:
        """:meth:`fold_pending` when a reader sees something pending (no write turn taken
        when nothing is)."""
        if await self._runner.read(_anything_pending):
            return await self.fold_pending()
        return 0

    async def rebuild_rollups(self) -> int:
        return int(await self._runner.writer.run(_rebuild, None))

    async def read_platform_figures(self, now: datetime) -> PlatformFigures:
        await self.fold_if_pending()
        return await self._runner.read(read_platform_figures, now)
