"""``/v1/coverage``: the countries the calling account can send to, with the price of a
segment there.

A country is listed when a route of the operator's table can carry the account's messages
there (``partial`` when only some of its numbers or sender IDs have one). Channel names
never appear: they are the operator's business.
"""

from __future__ import annotations

import msgspec
from starlette.requests import Request
from starlette.responses import Response

from parcelsms.api.authentication import caller_of
from parcelsms.api.error_responses import JsonResponse
from parcelsms.api.route_table import ApiRoute
from parcelsms.domain.error_catalogue import error
from parcelsms.domain.money import format_micros
from parcelsms.pipeline.route_admin import RouteAdministration


class CountryCoverage(msgspec.Struct, kw_only=True):
    """A country messages can be sent to. ``partial``: only numbers with some prefixes or
    carriers, or some sender IDs, have a route there; ``price_per_segment``: in
    ``currency``, before any package."""

    country: str
    partial: bool
    price_per_segment: str
    currency: str


class CoverageList(msgspec.Struct, kw_only=True):
    data: list[CountryCoverage]


class CoverageEndpoints:
    """Handlers of ``/v1/coverage`` (``routes`` ``None``: 503)."""

    def __init__(self, routes: RouteAdministration | None) -> None:
        self._routes = routes

    async def get_coverage(self, request: Request) -> Response:
        caller = caller_of(request)
        assert caller is not None  # the route wrapper authenticated the request
        if self._routes is None:
            raise error("service_unavailable", "Coverage is not available in this process.")
        reach = await self._routes.coverage(caller.account_id)
        return JsonResponse(
            CoverageList(
                data=[
                    CountryCoverage(
                        country=item.country,
                        partial=item.partial,
                        price_per_segment=format_micros(item.price_micros),
                        currency=caller.currency,
                    )
                    for item in reach
                ]
            )
        )

    def routes(self) -> list[ApiRoute]:
        return [
            ApiRoute(
                method="GET",
                path="/v1/coverage",
                handler=self.get_coverage,
                summary="List the countries you can send to",
                description="Every country a route serves for this account, by ISO 3166 "
                "code, with the price of one segment there. `partial`: only some numbers "
                "(by prefix or carrier) or sender IDs have a route.",
                tag="messages",
                response=CoverageList,
                scope="messages:send",
            )
        ]
