"""The API's route table: one entry per operation, the source of both routing and OpenAPI.

Each :class:`ApiRoute` names its handler AND documents it (summary, request and response
Structs, parameters, the catalogued error codes it can answer with). :func:`starlette_routes`
builds the Starlette routes from the table and :mod:`parcelsms.api.openapi` builds
``/openapi.json`` from the same table, so an undocumented route cannot exist.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Literal

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

Handler = Callable[[Request], Awaitable[Response]]


@dataclass(frozen=True, slots=True)
class Parameter:
    """A documented query or header parameter; ``schema`` is its JSON Schema."""

    name: str
    location: Literal["query", "header"]
    description: str
    schema: dict[str, object]
    required: bool = False


@dataclass(frozen=True, slots=True)
class ApiRoute:
    """One operation: how it is served and how it is documented.

    ``request`` and ``response`` are msgspec Structs (``None`` for no JSON body);
    ``media_type`` is the success response's content type. ``errors`` lists the catalogued
    codes specific to this operation; the OpenAPI builder adds the ones every authenticated
    or body-carrying operation can answer with. ``response_headers`` maps a header name to its
    description.
    """

    method: Literal["GET", "POST"]
    path: str
    handler: Handler
    summary: str
    tag: str
    description: str = ""
    request: type | None = None
    response: type | None = None
    status: int = 200
    media_type: str = "application/json"
    errors: tuple[str, ...] = ()
    authenticated: bool = True
    parameters: tuple[Parameter, ...] = ()
    response_headers: dict[str, str] = field(default_factory=dict)

    @property
    def operation_id(self) -> str:
        """A stable id for the operation: the handler's name."""
        return getattr(self.handler, "__name__", f"{self.method.lower()}_{self.path}")


def _path_endpoint(handlers: dict[str, Handler]) -> Handler:
    if len(handlers) == 1:
        return next(iter(handlers.values()))

    async def endpoint(request: Request) -> Response:
        # Starlette lets HEAD through wherever GET is allowed.
        method = "GET" if request.method == "HEAD" else request.method
        return await handlers[method](request)

    return endpoint


def starlette_routes(table: Sequence[ApiRoute]) -> list[BaseRoute]:
    """One Starlette route per path, so a wrong method answers 405 with a complete ``Allow``."""
    by_path: dict[str, dict[str, Handler]] = {}
    for route in table:
        handlers = by_path.setdefault(route.path, {})
        if route.method in handlers:
            raise ValueError(f"{route.method} {route.path} is in the route table twice")
        handlers[route.method] = route.handler
    return [
        Route(path, endpoint=_path_endpoint(handlers), methods=list(handlers))
        for path, handlers in by_path.items()
    ]
