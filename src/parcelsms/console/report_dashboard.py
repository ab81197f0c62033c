"""The sender's dashboard drawn from the report service (rollups), not from the messages.

Implements :class:`~parcelsms.console.dashboard_data.DashboardData` with two summary
reports (by country, whose totals are the period's; by hour today or by day in the reader's
time zone),
each a sum over rollup rows, so the page costs the same with ten messages or ten million.
Only the list of recent failures reads messages: the newest few of each failure status,
through the indexed message list.

Periods start at a whole hour in UTC (what reports count): ``today`` from the hour holding
the reader's midnight, ``7d``/``30d`` from that hour 6 or 29 days earlier, all up to the end
of the current hour.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from parcelsms.console.dashboard_data import (
    PERIOD_DAYS,
    CountryRow,
    DashboardFigures,
    FailureRow,
    Period,
    VolumePoint,
    failure_row,
)
from parcelsms.domain.report_figures import ReportFigures
from parcelsms.domain.status import MessageStatus
from parcelsms.pipeline.message_ports import Message, MessageFilter, MessageQueries
from parcelsms.pipeline.reports import GroupBy, Report, ReportGroup, ReportRequest, Reports

_FAILURES = (
    MessageStatus.UNDELIVERED,
    MessageStatus.REJECTED,
    MessageStatus.EXPIRED,
    MessageStatus.FAILED,
)
_SHOWN_FAILURES = 10


class ReportDashboard:
    """:class:`~parcelsms.console.dashboard_data.DashboardData` over :class:`Reports`."""

    def __init__(
        self,
        reports: Reports,
        queries: MessageQueries,
        *,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._reports = reports
        self._queries = queries
        self._clock = clock

    async def figures(self, account_id: str, period: Period, time_zone: str) -> DashboardFigures:
        zone = ZoneInfo(time_zone)
        now = self._clock()
        local_midnight = now.astimezone(zone).replace(hour=0, minute=0, second=0, microsecond=0)
        first_day = local_midnight - timedelta(days=PERIOD_DAYS[period] - 1)
        since = _hour_floor(first_day.astimezone(UTC))
        until = _hour_floor(now) + timedelta(hours=1)

        async def report(group_by: GroupBy) -> Report:
            request = ReportRequest(
                since=since, until=until, group_by=group_by, account_id=account_id, time_zone=zone
            )
            return await self._reports.summary(request)

        hourly = period == "today"
        by_country = await report("country")
        totals = _summed(group.figures for group in by_country.totals)
        volume = _volume((await report("hour" if hourly else "day")).groups, hourly, zone)
        countries = tuple(
            sorted(
                (
                    CountryRow(
                        country=country,
                        messages=figures.messages,
                        delivered=figures.delivered,
                        undelivered=_undelivered(figures),
                        pending=figures.pending,
                    )
                    for country, figures in _by_label(by_country.groups).items()
                ),
                key=lambda row: (-row.messages, row.country),
            )
        )
        return DashboardFigures(
            period=period,
            messages=totals.messages,
            segments=totals.segments,
            delivered=totals.delivered,
            undelivered=_undelivered(totals),
            pending=totals.pending,
            spend_micros=totals.spend_micros,
            volume=volume,
            countries=countries,
            failures=await self._failures(account_id, since),
        )

    async def _failures(self, account_id: str, since: datetime) -> tuple[FailureRow, ...]:
        found: list[Message] = []
        for status in _FAILURES:
            page = await self._queries.list_messages(
                account_id, MessageFilter(status=status, since=since), None, _SHOWN_FAILURES
            )
            found.extend(page.items)
        found.sort(key=lambda message: message.id, reverse=True)
        return tuple(failure_row(message) for message in found[:_SHOWN_FAILURES])


def _hour_floor(moment: datetime) -> datetime:
    return moment.astimezone(UTC).replace(minute=0, second=0, microsecond=0)


def _undelivered(figures: ReportFigures) -> int:
    return figures.undelivered + figures.expired + figures.rejected + figures.failed


def _summed(groups: Iterable[ReportFigures]) -> ReportFigures:
    """The counts of ``groups`` (one per currency) added up; the rates and latencies, which
    do not add, are left out (the dashboard derives its own rates from the counts)."""
    totals = dict.fromkeys(_COUNTS, 0)
    for figures in groups:
        for name in _COUNTS:
            totals[name] += getattr(figures, name)
    return ReportFigures(**totals, delivery_rate=None, median_seconds=None, p95_seconds=None)


_COUNTS = tuple(
    field.name
    for field in dataclasses.fields(ReportFigures)
    if field.name not in ("delivery_rate", "median_seconds", "p95_seconds")
)


def _by_label(groups: list[ReportGroup]) -> dict[str, ReportFigures]:
    """Figures per group label, the currencies of one label added up."""
    collected: dict[str, list[ReportFigures]] = {}
    for group in groups:
        collected.setdefault(group.group or "", []).append(group.figures)
    return {label: _summed(items) for label, items in collected.items()}


def _volume(groups: list[ReportGroup], hourly: bool, zone: ZoneInfo) -> tuple[VolumePoint, ...]:
    points = []
    for label, figures in sorted(_by_label(groups).items()):
        shown = (
            datetime.fromisoformat(label).astimezone(zone).strftime("%H:00") if hourly else label
        )
        points.append(
            VolumePoint(
                label=shown,
                messages=figures.messages,
                delivered=figures.delivered,
                undelivered=_undelivered(figures),
            )
        )
    return tuple(points)
