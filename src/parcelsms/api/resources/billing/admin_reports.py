"""``/admin/v1/reports/margins``: revenue, cost and margin of submitted messages by country
and channel."""

from __future__ import annotations

from datetime import UTC
from functools import partial

from starlette.requests import Request
from starlette.responses import Response

from parcelsms.api.authentication import Authenticator
from parcelsms.api.error_responses import JsonResponse
from parcelsms.api.resources.billing import schemas
from parcelsms.api.resources.billing.ledger_query import parse_time
from parcelsms.api.resources.billing.schemas import optional_money
from parcelsms.api.route_table import ApiRoute, Parameter, admin_route
from parcelsms.domain.error_catalogue import error
from parcelsms.domain.money import format_micros
from parcelsms.pipeline.billing_ports import BillingStore

_REPORT_PARAMETERS = (
    Parameter(
        "since",
        "query",
        "Messages accepted at or after this time (ISO 8601 with a time zone).",
        {"type": "string", "format": "date-time"},
        required=True,
    ),
    Parameter(
        "until",
        "query",
        "Messages accepted before this time (ISO 8601 with a time zone).",
        {"type": "string", "format": "date-time"},
        required=True,
    ),
)


class AdminReportEndpoints:
    """Handlers of the operator's reports."""

    def __init__(self, store: BillingStore, authenticator: Authenticator) -> None:
        self._store = store
        self._auth = authenticator

    async def admin_margin_report(self, request: Request) -> Response:
        """Revenue, cost and margin of submitted messages by country and channel."""
        await self._auth.authenticate(request)
        params = request.query_params
        for name in params:
            if name not in ("since", "until"):
                raise error("invalid_filter", "Unknown parameter; use since, until.", field=name)
        moments = {}
        for name in ("since", "until"):
            values = params.getlist(name)
            if len(values) != 1:
                raise error("invalid_filter", f"Give {name} exactly once.", field=name)
            moments[name] = parse_time(name, values[0]).astimezone(UTC)
        rows = await self._store.margin_report(moments["since"], moments["until"])
        return JsonResponse(
            schemas.MarginReport(
                since=moments["since"],
                until=moments["until"],
                data=[
                    schemas.MarginRowOut(
                        country=row.country,
                        channel=row.channel,
                        currency=row.currency,
                        messages=row.messages,
                        segments=row.segments,
                        package_segments=row.package_segments,
                        revenue=format_micros(row.revenue_micros),
                        cost=optional_money(row.cost_micros),
                        margin=optional_money(row.margin_micros),
                        failover_segments=row.failover_segments,
                    )
                    for row in rows
                ],
            )
        )

    def routes(self) -> list[ApiRoute]:
        """The route table entries of these handlers."""
        route = partial(admin_route, self_audited=True)
        return [
            route(
                method="GET",
                path="/admin/v1/reports/margins",
                handler=self.admin_margin_report,
                summary="Report margins by country and channel",
                response=schemas.MarginReport,
                parameters=_REPORT_PARAMETERS,
                errors=("invalid_filter",),
            ),
        ]
