"""``/admin/v1/routes``: the operator's route table — list, create, replace, delete, reorder —
and ``/admin/v1/routes/explain``: which route a number takes and why, and its plan now.

Stored routes are tried before the configuration file's ``[[routes]]`` (docs/routing.md);
the list shows both. A change applies to the next message in every process of the platform
(the route book announces it on the change signal). Storage audits every change in its
transaction (before/after), naming the operator key.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

import msgspec
from starlette.requests import Request
from starlette.responses import Response

from parcelsms.api.authentication import Authenticator
from parcelsms.api.error_responses import JsonResponse
from parcelsms.api.list_queries import query_values
from parcelsms.api.request_body import RequestBody, decode_body, read_json_body
from parcelsms.api.route_table import ApiRoute, Parameter, admin_route
from parcelsms.domain.error_catalogue import error
from parcelsms.domain.money import format_micros
from parcelsms.domain.route_explanation import RouteExplanation
from parcelsms.domain.routing import ANY_COUNTRY, Route
from parcelsms.pipeline.route_admin import RouteAdministration
from parcelsms.pipeline.route_ports import RouteDefinition, StoredRoute

# --- schemas --------------------------------------------------------------------------------------


class RouteCreate(RouteDefinition, frozen=True, kw_only=True):
    """A new route; ``position`` 0 is tried first (``null``: after the stored routes)."""

    position: Annotated[int, msgspec.Meta(ge=0, le=100_000)] | None = None


class RouteOut(RouteDefinition, frozen=True, kw_only=True):
    """A stored route, tried in ``position`` order before the file's routes."""

    id: str
    position: int
    created_at: datetime
    updated_at: datetime


class FileRouteOut(RouteDefinition, frozen=True, kw_only=True):
    """A ``[[routes]]`` entry of the configuration file (changed by editing the file)."""

    name: str


class RouteList(msgspec.Struct, kw_only=True):
    data: list[RouteOut]
    file_routes: list[FileRouteOut]


class RouteOrder(RequestBody):
    """Every stored route's id, once, in the order to try them."""

    ids: Annotated[list[str], msgspec.Meta(max_length=10_000)]


class RouteVerdictOut(msgspec.Struct, kw_only=True):
    """``matched``: this route decides; ``failed``: ``failed_filter`` did not match
    (``reason``); ``shadowed``: it would match, but an earlier route did."""

    route: str
    verdict: Literal["matched", "failed", "shadowed"]
    failed_filter: str | None
    reason: str | None


class PlanChannelOut(msgspec.Struct, kw_only=True):
    """A channel of the plan as the strategy saw it: ``down`` (no bind or breaker open),
    the cost of a segment to the country (``null``: unknown) and the recent delivery rate
    (``null``: too few receipts)."""

    channel: str
    down: bool
    cost: str | None
    delivery_rate: float | None


class RouteExplanationOut(msgspec.Struct, kw_only=True):
    to: str
    country: str
    carrier: str | None
    account_id: str | None
    sender_id: str | None
    matched: str | None
    strategy: str | None
    routes: list[RouteVerdictOut]
    plan: list[PlanChannelOut]


# --- representations ------------------------------------------------------------------------------


def _fields(route: Route) -> dict[str, object]:
    countries = [ANY_COUNTRY] if route.countries == ANY_COUNTRY else sorted(route.countries)
    return {
        "channels": list(route.channels),
        "countries": countries,
        "accounts": sorted(route.accounts),
        "prefixes": list(route.prefixes),
        "carriers": list(route.carriers),
        "sender_ids": sorted(route.sender_ids),
        "strategy": route.strategy,
        "weights": list(route.weights),
        "delivery_floor": route.delivery_floor,
    }


def route_out(stored: StoredRoute) -> RouteOut:
    return RouteOut(
        **msgspec.structs.asdict(stored.definition),
        id=stored.id,
        position=stored.position,
        created_at=stored.created_at,
        updated_at=stored.updated_at,
    )


def explanation_out(explanation: RouteExplanation) -> RouteExplanationOut:
    facts = explanation.facts
    matched = explanation.matched
    return RouteExplanationOut(
        to=facts.e164,
        country=facts.country,
        carrier=explanation.carrier or None,
        account_id=facts.account_id,
        sender_id=facts.sender_id,
        matched=None if matched is None else matched.name,
        strategy=None if matched is None else matched.strategy,
        routes=[
            RouteVerdictOut(
                route=verdict.route.name,
                verdict=verdict.verdict,
                failed_filter=verdict.failed_filter,
                reason=verdict.reason,
            )
            for verdict in explanation.verdicts
        ],
        plan=[
            PlanChannelOut(
                channel=note.channel,
                down=note.down,
                cost=None if note.cost_micros is None else format_micros(note.cost_micros),
                delivery_rate=note.delivery_rate,
            )
            for note in explanation.plan
        ],
    )


# --- endpoints ------------------------------------------------------------------------------------

_create_decoder = msgspec.json.Decoder(RouteCreate)
_definition_decoder = msgspec.json.Decoder(RouteDefinition)
_order_decoder = msgspec.json.Decoder(RouteOrder)
_ROUTE_ID = Parameter(
    "id", "path", "A stored route's id (`rte_…`).", {"type": "string"}, required=True
)
_EXPLAIN_PARAMETERS = (
    Parameter("to", "query", "The destination number, E.164 (`+5511…`).", {"type": "string"}, True),
    Parameter("account", "query", "The sending account's id.", {"type": "string"}),
    Parameter("sender", "query", "The sender ID the message goes out with.", {"type": "string"}),
)


class AdminRouteEndpoints:
    """Handlers of the operator's route table (``routes`` ``None``: 503)."""

    def __init__(
        self,
        routes: RouteAdministration | None,
        authenticator: Authenticator,
        *,
        max_body_bytes: int,
    ) -> None:
        self._routes = routes
        self._auth = authenticator
        self._max_body_bytes = max_body_bytes

    def _administration(self) -> RouteAdministration:
        if self._routes is None:
            raise error("service_unavailable", "Routes are not available in this process.")
        return self._routes

    async def _list(self, routes: RouteAdministration) -> RouteList:
        return RouteList(
            data=[route_out(stored) for stored in await routes.stored_routes()],
            file_routes=[
                FileRouteOut(**_fields(route), name=route.name)  # type: ignore[arg-type]
                for route in routes.book.file_routes
            ],
        )

    async def admin_list_routes(self, request: Request) -> Response:
        """The stored routes in order, and the file's routes tried after them."""
        return JsonResponse(await self._list(self._administration()))

    async def admin_create_route(self, request: Request) -> Response:
        routes = self._administration()
        caller = await self._auth.authenticate(request)
        body = decode_body(_create_decoder, await read_json_body(request, self._max_body_bytes))
        fields = msgspec.structs.asdict(body)
        position = fields.pop("position")
        stored = await routes.create(RouteDefinition(**fields), position, caller.actor)
        return JsonResponse(route_out(stored), status_code=201)

    async def admin_replace_route(self, request: Request) -> Response:
        routes = self._administration()
        caller = await self._auth.authenticate(request)
        body = decode_body(_definition_decoder, await read_json_body(request, self._max_body_bytes))
        stored = await routes.replace(request.path_params["id"], body, caller.actor)
        if stored is None:
            raise error("not_found", "No such route.")
        return JsonResponse(route_out(stored))

    async def admin_delete_route(self, request: Request) -> Response:
        routes = self._administration()
        caller = await self._auth.authenticate(request)
        if not await routes.delete(request.path_params["id"], caller.actor):
            raise error("not_found", "No such route.")
        return Response(status_code=204)

    async def admin_reorder_routes(self, request: Request) -> Response:
        routes = self._administration()
        caller = await self._auth.authenticate(request)
        body = decode_body(_order_decoder, await read_json_body(request, self._max_body_bytes))
        if not await routes.reorder(body.ids, caller.actor):
            raise error(
                "invalid_route",
                "Name every stored route's id exactly once (GET /admin/v1/routes lists them).",
                field="ids",
            )
        return JsonResponse(await self._list(routes))

    async def admin_explain_route(self, request: Request) -> Response:
        routes = self._administration()
        values = query_values(request.query_params, {"to": None, "account": None, "sender": None})
        # A missing or empty number is an invalid one (invalid_number, field to).
        to = values.get("to", "")
        explanation = await routes.explain(to, values.get("account"), values.get("sender"))
        return JsonResponse(explanation_out(explanation))

    def routes(self) -> list[ApiRoute]:
        """The route table entries of these handlers (explain and reorder before ``{id}``)."""
        return [
            admin_route(
                method="GET",
                path="/admin/v1/routes",
                handler=self.admin_list_routes,
                summary="List routes",
                description="The routes stored through this API, in the order they are "
                "tried, then the configuration file's `[[routes]]`, tried after them. The "
                "first route whose filters all match a message decides its plan; a "
                "catch-all (any country, no other filter) only when nothing else matches.",
                response=RouteList,
            ),
            admin_route(
                method="POST",
                path="/admin/v1/routes",
                handler=self.admin_create_route,
                summary="Create a route",
                description="Applies to messages accepted from now on, in every process.",
                request=RouteCreate,
                response=RouteOut,
                status=201,
                errors=("invalid_route",),
                self_audited=True,
            ),
            admin_route(
                method="GET",
                path="/admin/v1/routes/explain",
                handler=self.admin_explain_route,
                summary="Explain the route of a number",
                description="Each route's verdict for a message to `to` (from `account`, "
                "with `sender`): matched, failed (and which filter) or shadowed; and the "
                "plan the matched route gives now, with the health and costs it read.",
                response=RouteExplanationOut,
                parameters=_EXPLAIN_PARAMETERS,
                errors=("invalid_number", "not_mobile", "invalid_filter"),
            ),
            admin_route(
                method="POST",
                path="/admin/v1/routes/reorder",
                handler=self.admin_reorder_routes,
                summary="Reorder routes",
                description="`ids` names every stored route once, in the new order.",
                request=RouteOrder,
                response=RouteList,
                errors=("invalid_route",),
                self_audited=True,
            ),
            admin_route(
                method="PUT",
                path="/admin/v1/routes/{id}",
                handler=self.admin_replace_route,
                summary="Replace a route",
                description="The route keeps its id and position.",
                request=RouteDefinition,
                response=RouteOut,
                errors=("invalid_route", "not_found"),
                parameters=(_ROUTE_ID,),
                self_audited=True,
            ),
            admin_route(
                method="DELETE",
                path="/admin/v1/routes/{id}",
                handler=self.admin_delete_route,
                summary="Delete a route",
                status=204,
                errors=("not_found",),
                parameters=(_ROUTE_ID,),
                self_audited=True,
            ),
        ]
