"""The API's route table: one entry per operation, the source of both routing and OpenAPI.

Each :class:`ApiRoute` names its handler AND documents it (summary, request and response
Structs, parameters, the catalogued error codes it can answer with). :func:`starlette_routes`
builds the Starlette routes from the table and :mod:`parcelsms.api.openapi` builds
``/openapi.json`` from the same table, so an undocumented route cannot exist.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Collection, Sequence
from dataclasses import dataclass, field
from functools import partial
from typing import Literal

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from parcelsms.domain.api_keys import ADMIN_SCOPE

Handler = Callable[[Request], Awaitable[Response]]


@dataclass(frozen=True, slots=True)
class Parameter:
    """A documented path, query or header parameter; ``schema`` is its JSON Schema.

    A path parameter not declared this way is documented as any string."""

    name: str
    location: Literal["path", "query", "header"]
    description: str
    schema: dict[str, object]
    required: bool = False


@dataclass(frozen=True, slots=True)
class ApiRoute:
    """One operation: how it is served and how it is documented.

    ``request`` and ``response`` are msgspec Structs (``None`` for no JSON body);
    ``media_type`` is the success response's content type; ``other_statuses`` maps further
    success statuses answering the same body to their description (``200`` for a
    registration that exists already, besides ``201`` for a new one). ``errors`` lists the
    catalogued codes specific to this operation; the OpenAPI builder adds the ones every
    authenticated or body-carrying operation can answer with. ``response_headers`` maps a
    header name to its description. ``scope`` is the API-key scope an authenticated
    operation requires (every authenticated route MUST name one; :func:`starlette_routes`
    refuses a table that does not); ``allowed_when_suspended`` lets a suspended account
    still call it.
    """

    method: Literal["GET", "POST", "PUT", "DELETE"]
    path: str
    handler: Handler
    summary: str
    tag: str
    description: str = ""
    request: type | None = None
    # False where the body may be left out (an optional note).
    body_required: bool = True
    response: type | None = None
    status: int = 200
    other_statuses: dict[int, str] = field(default_factory=dict)
    media_type: str = "application/json"
    # Further formats the handler itself answers when ``Accept`` asks for them (a report
    # as ``text/csv``); content negotiation lets such requests through to it.
    other_media_types: tuple[str, ...] = ()
    errors: tuple[str, ...] = ()
    authenticated: bool = True
    parameters: tuple[Parameter, ...] = ()
    # An operator route (/admin/v1): the operator token instead of an API key.
    admin: bool = False
    response_headers: dict[str, str] = field(default_factory=dict)
    scope: str | None = None
    allowed_when_suspended: bool = False
    # The body may also be sent as application/x-www-form-urlencoded (see api/form_body).
    accepts_form: bool = False
    # The API key may come as the `api_key` query parameter, where the key allows it and
    # the request arrived over HTTPS (see api/authentication).
    query_key: bool = False
    # The handler writes its own audit entries (with before/after); otherwise a changing
    # operator route gets a generic entry (see parcelsms.api.admin_audit).
    self_audited: bool = False

    @property
    def operation_id(self) -> str:
        """A stable id for the operation: the handler's name."""
        return getattr(self.handler, "__name__", f"{self.method.lower()}_{self.path}")


# An operator route (/admin/v1): tag and scope ``admin``, and the operator token documented
# as an alternative credential.
admin_route = partial(ApiRoute, tag="admin", scope=ADMIN_SCOPE, admin=True)


def _path_endpoint(handlers: dict[str, Handler]) -> Handler:
    if len(handlers) == 1:
        return next(iter(handlers.values()))

    async def endpoint(request: Request) -> Response:
        # Starlette lets HEAD through wherever GET is allowed.
        method = "GET" if request.method == "HEAD" else request.method
        return await handlers[method](request)

    return endpoint


Authorize = Callable[[Request, ApiRoute], Awaitable[None]]
"""Runs before an authenticated route's handler; raises to refuse the request."""


def _authorized(route: ApiRoute, authorize: Authorize) -> Handler:
    handler = route.handler

    async def endpoint(request: Request) -> Response:
        await authorize(request, route)
        return await handler(request)

    return endpoint


def starlette_routes(
    table: Sequence[ApiRoute],
    authorize: Authorize | None = None,
    *,
    first: Collection[str] = (),
) -> list[BaseRoute]:
    """One Starlette route per path, so a wrong method answers 405 with a complete ``Allow``.

    With ``authorize``, every authenticated route runs it before its handler; such a route
    without a ``scope`` is a ``ValueError`` (an unscoped route would be open to any key).

    ``first`` names literal paths (no ``{parameters}``) whose routes come before the others,
    which keep the table's order. Starlette tries the routes in order, so a request for a
    path far down the table pays for a match of every route above it: the message endpoints
    were fifteenth. A literal path matches only itself, so putting it first changes nothing
    but the time; a path with parameters is refused, as it could take another route's URLs,
    and so is a path the table does not have (a renamed route would drop out silently).
    """
    templated = [path for path in first if "{" in path]
    if templated:
        raise ValueError(f"only literal paths can go first, not {templated}")
    by_path = handlers_by_path(table, authorize)
    unknown = [path for path in first if path not in by_path]
    if unknown:
        raise ValueError(f"no route to put first at {unknown}")
    ordered = sorted(by_path.items(), key=lambda entry: entry[0] not in first)
    return [
        Route(path, endpoint=_path_endpoint(handlers), methods=list(handlers))
        for path, handlers in ordered
    ]


def handlers_by_path(
    table: Sequence[ApiRoute], authorize: Authorize | None = None
) -> dict[str, dict[str, Handler]]:
    """Each path's handlers by method, as the routes run them: with ``authorize``, an
    authenticated route's handler runs it first (see :func:`starlette_routes`)."""
    by_path: dict[str, dict[str, Handler]] = {}
    for route in table:
        handlers = by_path.setdefault(route.path, {})
        if route.method in handlers:
            raise ValueError(f"{route.method} {route.path} is in the route table twice")
        handler = route.handler
        if authorize is not None and route.authenticated:
            if route.scope is None:
                raise ValueError(f"{route.method} {route.path} declares no API-key scope")
            handler = _authorized(route, authorize)
        handlers[route.method] = handler
    return by_path
