"""Turning every failure into a catalogued error body, and tagging every response with an id.

* :func:`handle_exception` is the one exception handler: a
  :class:`~parcelsms.errors.CatalogueError` answers with its code's HTTP status; Starlette's
  own 404/405 become ``not_found`` / ``method_not_allowed``; a
  :class:`~parcelsms.errors.StorageError` (the database is unavailable, not the client's
  fault) becomes ``service_unavailable``.
* :class:`RequestContextMiddleware` gives each request an id (``X-Request-Id`` on every
  response) and turns ANY other exception into ``internal_error`` naming that id, after
  logging the traceback under it. The client never sees exception details.

The body is always ``{"error": {"code", "message", "field", ...}}`` (in XML, ``<ErrorBody>``,
when the request's ``Accept`` chose XML: :func:`parcelsms.api.content_negotiation.response_format`);
documented extra members
(``missing``, ``available``, ``price``, ``missing_segments``, ``request_id``) are added when the
error carries them.
"""

from __future__ import annotations

import logging

import msgspec
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from parcelsms.api.content_negotiation import XML_MEDIA_TYPE, Format, response_format
from parcelsms.api.value_formats import Price
from parcelsms.api.xml_mapping import encode_document
from parcelsms.domain.error_catalogue import CATALOGUE, error, internal_error
from parcelsms.domain.ids import new_id
from parcelsms.domain.money import format_micros
from parcelsms.domain.request_rate import retry_after_header
from parcelsms.errors import CatalogueError, StorageError

_log = logging.getLogger(__name__)

_encoder = msgspec.json.Encoder()
_JSON = "application/json"
# Extra values an error may carry, and the name each has in the response body. Anything else
# an error carries stays internal.
_MONEY_EXTRAS = {
    "missing_micros": "missing",
    "available_micros": "available",
    "price_micros": "price",
}
_STARLETTE_CODES = {404: "not_found", 405: "method_not_allowed", 413: "payload_too_large"}


class ErrorInfo(msgspec.Struct, kw_only=True):
    """A catalogued error (see `docs/errors.md`).

    `missing`, `available` and `price` come with `insufficient_balance`; `missing_segments`,
    `price` and `country` with `no_package_for_region`; `request_id` with `internal_error`
    and `service_unavailable`; `country` and `reason` with `sender_not_allowed`.
    """

    code: str
    message: str
    field: str | None
    missing: Price | msgspec.UnsetType = msgspec.UNSET
    available: Price | msgspec.UnsetType = msgspec.UNSET
    price: Price | msgspec.UnsetType = msgspec.UNSET
    request_id: str | msgspec.UnsetType = msgspec.UNSET
    country: str | msgspec.UnsetType = msgspec.UNSET
    reason: str | msgspec.UnsetType = msgspec.UNSET
    missing_segments: int | msgspec.UnsetType = msgspec.UNSET


class ErrorBody(msgspec.Struct, kw_only=True):
    """Every error response."""

    error: ErrorInfo


class JsonResponse(Response):
    """A response whose body is already msgspec-encoded JSON (or a Struct to encode)."""

    media_type = _JSON

    def render(self, content: object) -> bytes:
        """Encode ``content`` with msgspec (bytes are sent as they are)."""
        if isinstance(content, bytes):
            return content
        return _encoder.encode(content)


def error_info(problem: CatalogueError) -> ErrorInfo:
    """The ``error`` member of the body for ``problem`` (also used per batch item)."""
    info = ErrorInfo(code=problem.code, message=problem.message, field=problem.field)
    extra = problem.extra
    if extra:
        for key, name in _MONEY_EXTRAS.items():
            value = extra.get(key)
            if isinstance(value, int) and not isinstance(value, bool):
                setattr(info, name, format_micros(value))
        request_id = extra.get("request_id")
        if isinstance(request_id, str):
            info.request_id = request_id
        country, reason = extra.get("country"), extra.get("reason")
        if problem.code == "sender_not_allowed" and isinstance(country, str):
            info.country = country
        if problem.code == "sender_not_allowed" and isinstance(reason, str):
            info.reason = reason
        segments = extra.get("missing_segments")
        if problem.code == "no_package_for_region" and isinstance(segments, int):
            info.missing_segments = segments
            if isinstance(country, str):
                info.country = country
    return info


def error_response(
    problem: CatalogueError,
    headers: dict[str, str] | None = None,
    answer: Format = Format.JSON,
) -> Response:
    """The HTTP response for ``problem``: its catalogue status and the error body (JSON, or
    XML when ``answer`` says so)."""
    kind = CATALOGUE.get(problem.code)
    status = problem.status or (kind.http_status if kind is not None else 500)
    response_headers = dict(headers or {})
    if problem.code == "unauthorized":
        response_headers["WWW-Authenticate"] = "Bearer"
    retry_after = problem.extra.get("retry_after") if problem.extra else None
    if isinstance(retry_after, int | float) and not isinstance(retry_after, bool):
        response_headers["Retry-After"] = retry_after_header(retry_after)
    body = ErrorBody(error=error_info(problem))
    if answer is Format.XML:
        return Response(
            encode_document(msgspec.to_builtins(body), ErrorBody),
            status_code=status,
            headers=response_headers,
            media_type=XML_MEDIA_TYPE,
        )
    return JsonResponse(body, status_code=status, headers=response_headers)


def request_id_of(request: Request) -> str:
    """The id :class:`RequestContextMiddleware` gave this request."""
    state = request.scope.get("state")
    if isinstance(state, dict):
        value = state.get("request_id")
        if isinstance(value, str):
            return value
    return "unknown"


async def handle_exception(request: Request, problem: Exception) -> Response:
    """The API's one exception handler (registered for every handled exception type)."""
    answer = response_format(request.scope)
    if isinstance(problem, CatalogueError):
        return error_response(problem, answer=answer)
    if isinstance(problem, HTTPException):
        code = _STARLETTE_CODES.get(problem.status_code, "invalid_request")
        headers = {}
        if problem.status_code == 405 and problem.headers and "Allow" in problem.headers:
            headers["Allow"] = problem.headers["Allow"]
        message = None
        if code == "not_found":
            # The scope's path, not request.url: building a URL decodes the raw query string
            # as UTF-8, which a client's bytes need not be.
            message = f"No resource at {request.method} {request.scope.get('path', '')}."
        return error_response(error(code, message), headers, answer)
    if isinstance(problem, StorageError):
        request_id = request_id_of(request)
        _log.error(
            "storage unavailable while serving %s %s (request id %s)",
            request.method,
            request.scope.get("path"),
            request_id,
            exc_info=problem,
        )
        return error_response(
            error(
                "service_unavailable",
                f"The service is temporarily unavailable; retry. Request id: {request_id}.",
                request_id=request_id,
            ),
            answer=answer,
        )
    raise problem


class RequestContextMiddleware:
    """Pure ASGI middleware: request ids and the last-resort ``internal_error``.

    Written against ASGI directly (not ``BaseHTTPMiddleware``) because it wraps every
    request of the hot path and must not add a task or a body copy.
    """

    def __init__(self, app: ASGIApp) -> None:
        self._app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self._app(scope, receive, send)
            return
        request_id = new_id("req")
        scope.setdefault("state", {})["request_id"] = request_id
        header = (b"x-request-id", request_id.encode("ascii"))
        started = False

        async def send_with_id(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
                message["headers"] = [*message.get("headers", ()), header]
            await send(message)

        try:
            await self._app(scope, receive, send_with_id)
        except Exception as problem:
            _log.error(
                "unhandled error serving %s %s (request id %s)",
                scope.get("method"),
                scope.get("path"),
                request_id,
                exc_info=problem,
            )
            if started:
                # Part of a response is already on the wire; nothing sensible can follow.
                raise
            response = error_response(internal_error(request_id), answer=response_format(scope))
            await response(scope, receive, send_with_id)
