"""The short way through the application for the requests that send messages.

Nearly every request of a busy installation is ``POST /v1/messages`` or ``POST
/v1/messages/batch``. Through Starlette, each one passes the error middleware, the request
context middleware, the exception middleware, the router (one match per route until the
right one), the path's method dispatch and the route's own exception wrapper before its
handler runs, and most of those layers make a closure or an object per request. Measured
under uvicorn with ``wrk`` and a handler that answers at once (2026-12-07, 2-core test
machine): 106 µs of CPU per request through Starlette's stack, 79 µs calling the handler
directly with a Starlette ``Request`` and ``Response``, 55 µs for a bare ASGI function.

:class:`ApiApplication` is the API's Starlette application with a table of such paths:
for ``POST`` on one of them it calls the handler the router would have called (the
authorization and content negotiation wrapped around the endpoint included, see
:func:`~parcelsms.api.route_table.handlers_by_path`) inside the same request context
(:class:`~parcelsms.api.error_responses.RequestContextMiddleware`: the request id, the last
resort ``internal_error``) and answers an exception with the handler the application has
registered for it, found as Starlette's exception middleware finds it (only when one is
raised). The answers are the same, errors
included (``tests/integration/api/test_hot_lane.py`` compares both ways). Every other
request — another method on those paths (``405`` with ``Allow``), another path, the
console, a lifespan event — goes through the whole stack.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from starlette._exception_handler import _lookup_exception_handler
from starlette._utils import get_route_path
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.types import ASGIApp, Receive, Scope, Send

from parcelsms.api.error_responses import RequestContextMiddleware
from parcelsms.api.route_table import Handler


class ApiApplication(Starlette):
    """Starlette, with ``POST`` on the paths of ``hot_lane`` answered directly.

    The application's exception handlers (``exception_handlers``, all coroutines in the API)
    answer the exceptions of those requests too."""

    def __init__(self, *, hot_lane: Mapping[str, Handler], **options: Any) -> None:
        super().__init__(**options)
        self._hot_lane: dict[str, ASGIApp] = {
            path: RequestContextMiddleware(self._handler_app(handler))
            for path, handler in hot_lane.items()
        }

    def _handler_app(self, handler: Handler) -> ASGIApp:
        """An ASGI app running ``handler`` as Starlette's route and exception middleware
        would."""

        async def app(scope: Scope, receive: Receive, send: Send) -> None:
            request = Request(scope, receive, send)
            try:
                response = await handler(request)
            except Exception as problem:
                on_exception = self._exception_handler(problem)
                if on_exception is None:
                    raise  # the request context answers internal_error
                response = await on_exception(request, problem)
                # A reused exception instance would pile up tracebacks (Starlette clears them).
                problem.__traceback__ = None
            await response(scope, receive, send)

        return app

    def _exception_handler(self, problem: Exception) -> Any:
        """The registered handler for ``problem`` (by status first for an HTTPException, then
        by class), as Starlette's exception middleware looks it up; ``None`` for none."""
        if isinstance(problem, HTTPException):
            handler = self.exception_handlers.get(problem.status_code)
            if handler is not None:
                return handler
        return _lookup_exception_handler(self.exception_handlers, problem)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] == "POST":
            app = self._hot_lane.get(get_route_path(scope))
            if app is not None:
                scope["app"] = self
                await app(scope, receive, send)
                return
        await super().__call__(scope, receive, send)
