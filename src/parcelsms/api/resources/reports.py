"""``/v1/reports/summary`` and ``/admin/v1/reports/summary``: figures per group and period.

JSON by default; CSV (one row per group, then the totals) when the request's ``Accept``
prefers ``text/csv``. The figures and their meaning are the pipeline's
(:mod:`parcelsms.pipeline.reports`, :mod:`parcelsms.domain.report_figures`); this module
checks the query string and renders. Every problem is an ``invalid_filter`` naming its
parameter (an unknown or repeated one too).

The period is ``from``/``to`` (the names the reports were specified with) or, the same
parameters under the names the other lists use, ``since``/``until``; both names of a bound
may be given only with one value.
"""

from __future__ import annotations

import csv
import io
import re
from datetime import UTC, date, datetime, time
from typing import Final, cast
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import msgspec
from starlette.requests import Request
from starlette.responses import Response

from parcelsms.api.authentication import Authenticator
from parcelsms.api.error_responses import JsonResponse
from parcelsms.api.route_table import ApiRoute, Parameter, admin_route
from parcelsms.domain.error_catalogue import error
from parcelsms.domain.ids import is_valid_id
from parcelsms.domain.money import format_micros
from parcelsms.errors import CatalogueError
from parcelsms.pipeline.reports import (
    OPERATOR_GROUPINGS,
    SENDER_GROUPINGS,
    GroupBy,
    Report,
    ReportGroup,
    ReportRequest,
    Reports,
    check_period,
)

_MAX_VALUE_LENGTH: Final = 64
# A date, or a whole hour (an offset of whole hours keeps it a whole UTC hour).
_TIME: Final[dict[str, object]] = {
    "oneOf": [
        {"type": "string", "format": "date", "maxLength": 10},
        {
            "type": "string",
            "format": "date-time",
            "pattern": r"T\d{2}:00:00(\.0+)?(Z|[+-]\d{2}:00)$",
        },
    ]
}


def _parameters(groupings: tuple[GroupBy, ...], operator: bool) -> tuple[Parameter, ...]:
    parameters: tuple[Parameter, ...] = (
        Parameter(
            "from",
            "query",
            "Messages created at or after this whole hour (ISO 8601 with a time zone), or "
            "from the start of this date (`YYYY-MM-DD`) in `tz`. Required, as `from` or "
            "`since`.",
            _TIME,
        ),
        Parameter(
            "to",
            "query",
            "Messages created before this whole hour (ISO 8601 with a time zone), or before "
            "the start of this date (`YYYY-MM-DD`) in `tz`. Required, as `to` or `until`.",
            _TIME,
        ),
        Parameter(
            "since",
            "query",
            "The same as `from` (the name the other lists use); both may be given only "
            "with the same value.",
            _TIME,
        ),
        Parameter(
            "until",
            "query",
            "The same as `to` (the name the other lists use); both may be given only with "
            "the same value.",
            _TIME,
        ),
        Parameter(
            "group_by",
            "query",
            "One group per day (of `tz`), hour, destination country, template or status"
            + (", account or carrier channel." if operator else "."),
            {"enum": list(groupings), "default": "day"},
        ),
        Parameter(
            "tz",
            "query",
            "IANA time zone of the days (`group_by=day`), hour labels and plain dates; "
            "default UTC.",
            {"type": "string", "maxLength": _MAX_VALUE_LENGTH, "default": "UTC"},
        ),
    )
    if operator:
        parameters += (
            Parameter(
                "account_id",
                "query",
                "Only this account's messages.",
                {"type": "string", "pattern": "^acc_[0-9A-HJKMNP-TV-Z]{26}$"},
            ),
        )
    return parameters


class ReportRowOut(msgspec.Struct, kw_only=True):
    """The figures of one group, in one currency (see docs/reports.md for each figure)."""

    group: str | None
    currency: str
    messages: int
    segments: int
    delivered: int
    undelivered: int
    expired: int
    rejected: int
    failed: int
    canceled: int
    pending: int
    delivery_rate: float | None
    spend: str
    median_seconds: int | None
    p95_seconds: int | None


class OperatorReportRowOut(ReportRowOut, kw_only=True):
    """A group's figures with the channel cost of its segments and the margin."""

    cost: str | None
    margin: str | None


class ReportSummary(msgspec.Struct, kw_only=True):
    """A summary report: the groups in label order, and the totals per currency."""

    since: datetime
    until: datetime
    group_by: str
    tz: str
    data: list[ReportRowOut]
    totals: list[ReportRowOut]


class OperatorReportSummary(msgspec.Struct, kw_only=True):
    """The operator's summary report, with channel costs and margins."""

    since: datetime
    until: datetime
    group_by: str
    tz: str
    data: list[OperatorReportRowOut]
    totals: list[OperatorReportRowOut]


_SENDER_COLUMNS: Final = tuple(ReportRowOut.__struct_fields__)
_OPERATOR_COLUMNS: Final = tuple(OperatorReportRowOut.__struct_fields__)


def _row(group: ReportGroup, operator: bool) -> ReportRowOut:
    figures = group.figures
    row = ReportRowOut(
        group=group.group,
        currency=group.currency,
        messages=figures.messages,
        segments=figures.segments,
        delivered=figures.delivered,
        undelivered=figures.undelivered,
        expired=figures.expired,
        rejected=figures.rejected,
        failed=figures.failed,
        canceled=figures.canceled,
        pending=figures.pending,
        delivery_rate=None if figures.delivery_rate is None else round(figures.delivery_rate, 6),
        spend=format_micros(figures.spend_micros),
        median_seconds=figures.median_seconds,
        p95_seconds=figures.p95_seconds,
    )
    if not operator:
        return row
    return OperatorReportRowOut(
        **msgspec.structs.asdict(row),
        cost=None if group.cost_micros is None else format_micros(group.cost_micros),
        margin=None if group.margin_micros is None else format_micros(group.margin_micros),
    )


def _invalid(name: str, message: str) -> CatalogueError:
    return error("invalid_filter", message, field=name)


def _moment(name: str, value: str, zone: ZoneInfo) -> datetime:
    """A date (its start in ``zone``) or a time with a zone, in UTC."""
    try:
        if len(value) == 10:
            moment = datetime.combine(date.fromisoformat(value), time(), zone)
        else:
            moment = datetime.fromisoformat(value)
            if moment.tzinfo is None or moment.utcoffset() is None:
                raise _invalid(name, f"{name} needs a time zone, e.g. 2024-05-01T12:00:00Z.")
        return moment.astimezone(UTC)
    except OverflowError:
        raise _invalid(name, f"{name} is out of the range of dates in UTC.") from None
    except ValueError:
        raise _invalid(
            name, f"{name} must be a date (2024-05-01) or a whole hour (2024-05-01T12:00:00Z)."
        ) from None


_PERIOD: Final = {"from": "since", "to": "until"}
"""The period's parameters, and the other name each is accepted under."""


def _period_bound(values: dict[str, str], name: str, alias: str) -> tuple[str, str]:
    """``(parameter given, value)`` of a bound of the period, under either of its names."""
    given = [(key, values[key]) for key in (name, alias) if key in values]
    if not given:
        raise _invalid(name, f"{name} is required (or its other name, {alias}).")
    if len(given) == 2 and given[0][1] != given[1][1]:
        raise _invalid(
            alias,
            f"{name} and {alias} are the same parameter and were given different values; "
            "give one of them.",
        )
    return given[0]


def _zone(value: str) -> ZoneInfo:
    try:
        return ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise _invalid("tz", "tz must be an IANA time zone such as Europe/Berlin.") from None


def parse_report_request(request: Request, account_id: str | None, operator: bool) -> ReportRequest:
    """The report a query string asks for (rules in the module docstring)."""
    groupings = OPERATOR_GROUPINGS if operator else SENDER_GROUPINGS
    known = {*_PERIOD, *_PERIOD.values(), "group_by", "tz", *(("account_id",) if operator else ())}
    values: dict[str, str] = {}
    for name, value in request.query_params.multi_items():
        if name not in known:
            raise _invalid(name[:64], f"Unknown query parameter {name[:64]!r}.")
        if name in values:
            raise _invalid(name, f"{name} is given more than once.")
        if len(value) > _MAX_VALUE_LENGTH:
            raise _invalid(name, f"{name} is too long.")
        values[name] = value
    period = {name: _period_bound(values, name, alias) for name, alias in _PERIOD.items()}
    group_by = values.get("group_by", "day")
    if group_by not in groupings:
        raise _invalid("group_by", f"group_by must be one of: {', '.join(groupings)}.")
    zone = _zone(values.get("tz", "UTC"))
    if operator and "account_id" in values:
        account_id = values["account_id"]
        if not is_valid_id(account_id, "acc"):
            raise _invalid("account_id", "account_id is not an account id.")
    since = _moment(*period["from"], zone)
    until = _moment(*period["to"], zone)
    try:
        check_period(since, until, group_by)
    except CatalogueError as problem:
        # The pipeline names the bounds since and until: name them as the caller did.
        given = {"since": period["from"][0], "until": period["to"][0]}
        if problem.field not in given:
            raise
        message = problem.message
        for name, used in given.items():
            message = re.sub(rf"\b{name}\b", used, message)
        raise _invalid(given[problem.field], message) from None
    return ReportRequest(
        since=since,
        until=until,
        group_by=group_by,
        account_id=account_id,
        operator=operator,
        time_zone=zone,
    )


def _wants_csv(request: Request) -> bool:
    accept = request.headers.get("accept", "")
    return "text/csv" in accept and "application/json" not in accept


def _csv(report: Report, operator: bool, filename: str) -> Response:
    columns = _OPERATOR_COLUMNS if operator else _SENDER_COLUMNS
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(columns)
    for group in report.groups:
        row = msgspec.structs.asdict(_row(group, operator))
        writer.writerow(["" if row[name] is None else row[name] for name in columns])
    for group in report.totals:
        row = msgspec.structs.asdict(_row(group, operator))
        row["group"] = "total"
        writer.writerow(["" if row[name] is None else row[name] for name in columns])
    return Response(
        buffer.getvalue(),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


_DESCRIPTION: Final = (
    "Volume, delivery, spend and time to delivery of the messages created in "
    "`[from, to)` (also accepted as `since`/`until`), per group, from rollups kept with "
    "every status change. "
    "`Accept: text/csv` answers the same rows as CSV (totals last, group `total`). "
    "See docs/reports.md."
)


class ReportEndpoints:
    """Handlers of the summary reports."""

    def __init__(self, reports: Reports, authenticator: Authenticator) -> None:
        self._reports = reports
        self._auth = authenticator

    async def report_summary(self, request: Request) -> Response:
        """The sender's summary of its own messages."""
        caller = await self._auth.authenticate(request)
        report = await self._reports.summary(
            parse_report_request(request, caller.account_id, operator=False)
        )
        if _wants_csv(request):
            return _csv(report, operator=False, filename="report.csv")
        return JsonResponse(
            ReportSummary(
                since=report.request.since,
                until=report.request.until,
                group_by=report.request.group_by,
                tz=report.request.time_zone.key,
                data=[_row(group, False) for group in report.groups],
                totals=[_row(group, False) for group in report.totals],
            )
        )

    async def admin_report_summary(self, request: Request) -> Response:
        """The operator's summary over every account (or one), with costs and margins."""
        report = await self._reports.summary(parse_report_request(request, None, operator=True))
        if _wants_csv(request):
            return _csv(report, operator=True, filename="operator-report.csv")
        return JsonResponse(
            OperatorReportSummary(
                since=report.request.since,
                until=report.request.until,
                group_by=report.request.group_by,
                tz=report.request.time_zone.key,
                data=[cast("OperatorReportRowOut", _row(group, True)) for group in report.groups],
                totals=[cast("OperatorReportRowOut", _row(group, True)) for group in report.totals],
            )
        )

    def routes(self) -> list[ApiRoute]:
        """The route table entries of these handlers."""
        return [
            ApiRoute(
                method="GET",
                path="/v1/reports/summary",
                handler=self.report_summary,
                summary="Report volume and delivery per day, hour, country, template or status",
                description=_DESCRIPTION,
                tag="reports",
                response=ReportSummary,
                parameters=_parameters(SENDER_GROUPINGS, operator=False),
                errors=("invalid_filter",),
                scope="messages:read",
                other_media_types=("text/csv",),
            ),
            admin_route(
                method="GET",
                path="/admin/v1/reports/summary",
                handler=self.admin_report_summary,
                summary="Report volume, delivery, cost and margin over every account",
                description=_DESCRIPTION
                + " Adds the groupings `account` and `channel`, and each group's channel "
                "`cost` (segments that reached a carrier × the channel's cost per segment; "
                "`null` when one is not set) and `margin` (spend − cost).",
                response=OperatorReportSummary,
                parameters=_parameters(OPERATOR_GROUPINGS, operator=True),
                errors=("invalid_filter",),
            ),
        ]
