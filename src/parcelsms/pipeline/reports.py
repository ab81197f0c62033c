"""The summary report: volume, delivery, spend and time to delivery per group and period.

Used by the API (``GET /v1/reports/summary``, ``GET /admin/v1/reports/summary``) and by the
console, which calls :meth:`Reports.summary` directly. Figures come from the rollups
(:class:`~.report_ports.ReportStore`), never from a scan of messages; their meaning is in
:mod:`parcelsms.domain.report_figures`.

A report covers the messages **created** in ``[since, until)``; both are whole UTC hours,
the rollups' grain. ``group_by``:

* ``day`` (days of ``time_zone``, labelled ``YYYY-MM-DD``; an hour belongs to the day it
  starts in, which matters only in zones whose offset is not a whole hour) and ``hour``
  (labelled with its start in ISO 8601 in ``time_zone``);
* ``country``, ``template`` (``None``: messages without one), ``status``;
* for the operator only: ``account`` and ``channel`` (``None``: not yet submitted).

Where storage reads (fast at any volume unless said): totals and groups by day (any time
zone), hour, status or account read per-hour totals; groups by country, template or channel
read daily sums for the whole UTC days of the period and the full hourly rollups for the
hours around them; the operator's channel costs come from per-hour and per-day segment
sums priced in SQL (see docs/reports.md, "Rollups").

Every group is per currency too (an operator's report may span accounts of several); the
operator's report adds the channel cost of the segments that reached a carrier and the
margin (money charged minus that cost).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Final, Literal
from zoneinfo import ZoneInfo

from parcelsms.domain.error_catalogue import error
from parcelsms.domain.report_figures import LATENCY_BUCKETS, ReportFigures, figures, hour_of
from parcelsms.pipeline.report_ports import Dimension, ReportStore, RollupQuery, RollupSum

GroupBy = Literal["day", "hour", "country", "template", "status", "account", "channel"]
SENDER_GROUPINGS: Final[tuple[GroupBy, ...]] = ("day", "hour", "country", "template", "status")
OPERATOR_GROUPINGS: Final[tuple[GroupBy, ...]] = (*SENDER_GROUPINGS, "account", "channel")
MAX_RANGE: Final = timedelta(days=400)
MAX_HOURLY_RANGE: Final = timedelta(days=31)

_UNLABELLED: Final = "\x00unlabelled"
_DIMENSION: Final[dict[GroupBy, Dimension | None]] = {
    "day": "hour",
    "hour": "hour",
    "country": "country",
    "template": "template",
    "status": None,
    "account": "account",
    "channel": "channel",
}


@dataclass(frozen=True, slots=True)
class ReportRequest:
    """One summary. A sender's (``operator`` false) is of its ``account_id``; the
    operator's is of every account, or of ``account_id`` when one is given."""

    since: datetime
    until: datetime
    group_by: GroupBy
    account_id: str | None
    operator: bool = False
    time_zone: ZoneInfo = field(default_factory=lambda: ZoneInfo("UTC"))


@dataclass(frozen=True, slots=True)
class ReportGroup:
    """The figures of one group in one currency; cost and margin in operator reports."""

    group: str | None
    currency: str
    figures: ReportFigures
    cost_micros: int | None = None
    margin_micros: int | None = None


@dataclass(frozen=True, slots=True)
class Report:
    """A summary: its groups in label order, and the totals per currency."""

    request: ReportRequest
    groups: list[ReportGroup]
    totals: list[ReportGroup]


@dataclass(slots=True)
class _Sums:
    by_status: dict[str, int] = field(default_factory=dict)
    segments: int = 0
    charged_micros: int = 0
    latency: list[int] = field(default_factory=lambda: [0] * LATENCY_BUCKETS)
    cost_micros: int | None = 0

    def add(
        self,
        by_status: dict[str, int],
        segments: int,
        charged_micros: int,
        latency: Sequence[int],
        cost_micros: int | None,
    ) -> None:
        for status, messages in by_status.items():
            self.by_status[status] = self.by_status.get(status, 0) + messages
        self.segments += segments
        self.charged_micros += charged_micros
        if any(latency):
            self.latency = [
                mine + theirs for mine, theirs in zip(self.latency, latency, strict=True)
            ]
        if self.cost_micros is not None:
            self.cost_micros = None if cost_micros is None else self.cost_micros + cost_micros

    def add_row(self, row: RollupSum) -> None:
        self.add(
            {row.status: row.messages},
            row.segments,
            row.charged_micros,
            row.latency,
            row.cost_micros,
        )

    def group(self, label: str | None, currency: str, with_costs: bool) -> ReportGroup:
        report_figures = figures(self.by_status, self.segments, self.charged_micros, self.latency)
        if not with_costs:
            return ReportGroup(label, currency, report_figures)
        margin = None if self.cost_micros is None else self.charged_micros - self.cost_micros
        return ReportGroup(label, currency, report_figures, self.cost_micros, margin)


def check_period(since: datetime, until: datetime, group_by: GroupBy) -> None:
    """Raise ``invalid_filter`` for a period a report cannot cover (rules in the docstring)."""
    for name, moment in (("since", since), ("until", until)):
        if moment.tzinfo is None:
            raise error("invalid_filter", f"{name} needs a time zone.", field=name)
        utc = moment.astimezone(UTC)
        if utc.minute or utc.second or utc.microsecond:
            raise error(
                "invalid_filter",
                f"{name} must be a whole hour in UTC (reports count hours).",
                field=name,
            )
    if until <= since:
        raise error("invalid_filter", "until must be after since.", field="until")
    longest = MAX_HOURLY_RANGE if group_by == "hour" else MAX_RANGE
    if until - since > longest:
        raise error(
            "invalid_filter",
            f"A report grouped by {group_by} covers at most {longest.days} days.",
            field="until",
        )


class Reports:
    """The summary report use case."""

    def __init__(self, store: ReportStore) -> None:
        self._store = store

    async def summary(self, request: ReportRequest) -> Report:
        """The report of ``request``; ``invalid_filter`` for a period it cannot cover or a
        grouping the caller may not use."""
        if not request.operator and request.account_id is None:
            raise ValueError("a sender's report is of its account")
        allowed = OPERATOR_GROUPINGS if request.operator else SENDER_GROUPINGS
        if request.group_by not in allowed:
            raise error(
                "invalid_filter",
                f"group_by must be one of: {', '.join(allowed)}.",
                field="group_by",
            )
        check_period(request.since, request.until, request.group_by)
        with_costs = request.operator
        dimension = _DIMENSION[request.group_by]
        rows = await self._store.sum_rollups(
            RollupQuery(
                since_hour=hour_of(request.since),
                until_hour=hour_of(request.until),
                account_id=request.account_id,
                dimensions=() if dimension is None else (dimension,),
                with_costs=with_costs,
                days_suffice=request.group_by != "hour"
                and (request.group_by != "day" or request.time_zone.key == "UTC"),
            )
        )
        groups: dict[tuple[str | None, str], _Sums] = {}
        labels: dict[int | str, str | None] = {}
        for row in rows:
            value = row.status if request.group_by == "status" else row.group[0]
            label = labels.get(value, _UNLABELLED)
            if label is _UNLABELLED:
                label = labels[value] = self._label(request, value)
            sums = groups.get((label, row.currency))
            if sums is None:
                sums = groups[(label, row.currency)] = _Sums()
            sums.add_row(row)
        totals: dict[str, _Sums] = {}
        for (_, currency), sums in groups.items():
            totals.setdefault(currency, _Sums()).add(
                sums.by_status, sums.segments, sums.charged_micros, sums.latency, sums.cost_micros
            )
        ordered = sorted(groups.items(), key=lambda item: (item[0][0] is None, item[0]))
        return Report(
            request=request,
            groups=[sums.group(label, currency, with_costs) for (label, currency), sums in ordered],
            totals=[
                totals[currency].group(None, currency, with_costs) for currency in sorted(totals)
            ],
        )

    @staticmethod
    def _label(request: ReportRequest, value: int | str) -> str | None:
        group_by = request.group_by
        if group_by in ("day", "hour"):
            assert isinstance(value, int)
            start = datetime.fromtimestamp(value * 3600, UTC).astimezone(request.time_zone)
            return start.date().isoformat() if group_by == "day" else start.isoformat()
        return str(value) or None
