"""XML and form bodies beside JSON, for every API operation at once (not per endpoint).

Handlers read and write JSON only. :func:`with_other_formats` wraps each ``/v1`` handler
of the route table (the operator's ``/admin/v1`` API stays JSON only), inside the
authentication wrapper, so a signature is checked over the bytes the client sent:

* a request body with ``Content-Type: application/xml`` or ``text/xml`` is parsed safely
  (:mod:`parcelsms.api.xml_parsing`), mapped to its JSON value by the operation's request
  type (:mod:`parcelsms.api.xml_mapping`) and handed to the handler as JSON; an operation
  marked ``accepts_form`` takes ``application/x-www-form-urlencoded`` the same way
  (:mod:`parcelsms.api.form_body`);
* the response format follows ``Accept`` (:func:`negotiate`): JSON unless XML is preferred;
  an ``Accept`` allowing neither is ``not_acceptable`` (406). An XML answer is the handler's
  JSON mapped by the operation's response type; errors follow the same choice
  (:func:`parcelsms.api.error_responses.handle_exception`).

JSON requests pay for one pass over the raw header list and nothing else: no parsing, no
copy, the handler's own response returned as it is.
"""

from __future__ import annotations

import dataclasses
import enum
import functools
from collections.abc import Sequence

import msgspec
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import Message, Scope

from parcelsms.api.form_body import FORM_MEDIA_TYPE, form_pairs, pairs_value
from parcelsms.api.request_body import read_body_within
from parcelsms.api.route_table import ApiRoute
from parcelsms.api.xml_mapping import decode_element, encode_document, json_value
from parcelsms.api.xml_parsing import parse_xml
from parcelsms.domain.error_catalogue import error

XML_MEDIA_TYPE = "application/xml"
XML_PATH_PREFIXES = ("/v1/",)
_XML_TYPES = frozenset({b"application/xml", b"text/xml"})
_JSON_TYPE = b"application/json"
_PLAIN_JSON_ACCEPTS = frozenset({b"*/*", b"application/json"})
_JSON_HEADERS = ((b"content-type", b"application/json"),)


class Format(enum.Enum):
    """A response format the API can answer in."""

    JSON = "application/json"
    XML = XML_MEDIA_TYPE


def speaks_xml(route: ApiRoute) -> bool:
    """Whether ``route`` takes and gives XML besides JSON (the ``/v1`` API)."""
    return route.path.startswith(XML_PATH_PREFIXES) and route.media_type == Format.JSON.value


def negotiate(accept: bytes | None) -> Format | None:
    """The format to answer in for an ``Accept`` header value; ``None``: neither is allowed.

    JSON wins ties (``*/*``, ``application/*``, no header); XML is chosen when it has the
    higher quality (``application/xml``, ``text/xml``, ``text/*``).
    """
    if accept is None or accept in _PLAIN_JSON_ACCEPTS:
        return Format.JSON
    json_quality = xml_quality = 0.0
    for media_range in accept.decode("latin-1").lower().split(","):
        kind, _, parameters = media_range.partition(";")
        kind = kind.strip()
        quality = _quality(parameters)
        if kind in ("*/*", "application/*", "application/json"):
            json_quality = max(json_quality, quality)
        if kind in ("*/*", "application/*", "application/xml", "text/*", "text/xml"):
            xml_quality = max(xml_quality, quality)
    if json_quality <= 0 and xml_quality <= 0:
        return None
    return Format.JSON if json_quality >= xml_quality else Format.XML


def _quality(parameters: str) -> float:
    for parameter in parameters.split(";"):
        name, _, value = parameter.partition("=")
        if name.strip() == "q":
            try:
                return min(max(float(value), 0.0), 1.0)
            except ValueError:
                return 0.0
    return 1.0


def response_format(scope: Scope) -> Format:
    """The format an answer (an error too) to this request is written in."""
    if not scope.get("path", "").startswith(XML_PATH_PREFIXES):
        return Format.JSON
    for name, value in scope.get("headers", ()):
        if name == b"accept":
            return negotiate(value) or Format.JSON
    return Format.JSON


def _media_type(value: bytes) -> bytes:
    return value.partition(b";")[0].strip().lower()


def with_other_formats(table: Sequence[ApiRoute], max_body_bytes: int) -> list[ApiRoute]:
    """``table`` with every XML-speaking route's handler wrapped (see the module docstring)."""
    return [_wrapped(route, max_body_bytes) if speaks_xml(route) else route for route in table]


def _wrapped(route: ApiRoute, max_body_bytes: int) -> ApiRoute:
    handler = route.handler
    request_type = route.request
    response_type = route.response
    others = tuple(media.encode("ascii") for media in route.other_media_types)

    @functools.wraps(handler)
    async def endpoint(request: Request) -> Response:
        accept = content_type = None
        for name, value in request.scope["headers"]:
            if name == b"accept":
                accept = value
            elif name == b"content-type":
                content_type = value
        answer = negotiate(accept)
        if answer is None:
            if accept is None or not any(media in accept for media in others):
                raise error("not_acceptable")
            answer = Format.JSON  # the handler answers in the other format itself
        if (
            request_type is not None
            and content_type is not None
            and not content_type.startswith(_JSON_TYPE)
        ):
            request = await _as_json_request(request, content_type, route, max_body_bytes)
        response = await handler(request)
        if answer is Format.XML and response_type is not None:
            return _as_xml(response, response_type)
        return response

    return dataclasses.replace(route, handler=endpoint)


async def _as_json_request(
    request: Request, content_type: bytes, route: ApiRoute, max_body_bytes: int
) -> Request:
    """``request`` with its XML or form body replaced by the JSON it stands for.

    Any other content type is left for the handler to refuse (``unsupported_media_type``).
    """
    media_type = _media_type(content_type)
    if media_type in _XML_TYPES:
        assert route.request is not None
        body = await read_body_within(request, max_body_bytes)
        value = decode_element(parse_xml(body), route.request)
    elif media_type == FORM_MEDIA_TYPE.encode() and route.accepts_form:
        assert route.request is not None
        body = await read_body_within(request, max_body_bytes)
        value = pairs_value(form_pairs(body), route.request)
    else:
        return request
    return _json_request(request, msgspec.json.encode(value))


def _json_request(request: Request, body: bytes) -> Request:
    """A request like ``request`` (same state, path, caller) whose body is the JSON ``body``."""
    headers = [
        (name, value)
        for name, value in request.scope["headers"]
        if name not in (b"content-type", b"content-length", b"transfer-encoding")
    ]
    headers += [*_JSON_HEADERS, (b"content-length", str(len(body)).encode("ascii"))]
    delivered = False

    async def receive() -> Message:
        nonlocal delivered
        if delivered:
            return {"type": "http.disconnect"}
        delivered = True
        return {"type": "http.request", "body": body, "more_body": False}

    return Request({**request.scope, "headers": headers}, receive)


def _as_xml(response: Response, response_type: type) -> Response:
    body = bytes(response.body)
    if not body or not response.headers.get("content-type", "").startswith("application/json"):
        return response
    answer = Response(
        encode_document(json_value(body), response_type),
        status_code=response.status_code,
        media_type=XML_MEDIA_TYPE,
    )
    answer.raw_headers += [
        (name, value)
        for name, value in response.raw_headers
        if name not in (b"content-type", b"content-length")
    ]
    return answer
