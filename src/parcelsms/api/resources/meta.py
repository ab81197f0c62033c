"""Unauthenticated routes: health, the OpenAPI document, the XML Schema and the docs page."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from importlib import resources
from typing import Literal

import msgspec
from starlette.requests import Request
from starlette.responses import Response

from parcelsms.api.content_negotiation import XML_MEDIA_TYPE, speaks_xml
from parcelsms.api.error_responses import ErrorBody, JsonResponse
from parcelsms.api.openapi import openapi_document
from parcelsms.api.route_table import ApiRoute
from parcelsms.api.xml_schema import xml_schema


class Health(msgspec.Struct, kw_only=True):
    """The process is up."""

    status: Literal["ok"]


_HEALTHY = msgspec.json.encode(Health(status="ok"))


class MetaEndpoints:
    """``/healthz``, ``/openapi.json``, ``/schema.xsd`` and ``/docs``.

    ``table`` returns the complete route table; the documents are built on first request
    (the table is final by then) and served from memory afterwards.
    """

    def __init__(self, table: Callable[[], Sequence[ApiRoute]], version: str) -> None:
        self._table = table
        self._version = version
        self._document: bytes | None = None
        self._schema: bytes | None = None
        self._docs_page = resources.files("parcelsms.api").joinpath("static/docs.html").read_bytes()

    async def health(self, request: Request) -> Response:
        """The process is up and serving HTTP."""
        return JsonResponse(_HEALTHY)

    async def openapi(self, request: Request) -> Response:
        """The OpenAPI 3.1 document of this API."""
        if self._document is None:
            self._document = msgspec.json.encode(
                openapi_document(self._table(), version=self._version)
            )
        return JsonResponse(self._document)

    async def schema(self, request: Request) -> Response:
        """The XML Schema of every XML request and response body."""
        if self._schema is None:
            self._schema = xml_schema(xml_body_types(self._table()))
        return Response(self._schema, media_type=XML_MEDIA_TYPE)

    async def docs(self, request: Request) -> Response:
        """A page rendering the OpenAPI document (vendored Swagger UI; no CDN)."""
        return Response(self._docs_page, media_type="text/html; charset=utf-8")

    def routes(self) -> list[ApiRoute]:
        """The route table entries of these handlers."""
        return [
            ApiRoute(
                method="GET",
                path="/healthz",
                handler=self.health,
                summary="Health check",
                tag="meta",
                response=Health,
                authenticated=False,
            ),
            ApiRoute(
                method="GET",
                path="/openapi.json",
                handler=self.openapi,
                summary="This OpenAPI document",
                tag="meta",
                authenticated=False,
            ),
            ApiRoute(
                method="GET",
                path="/schema.xsd",
                handler=self.schema,
                summary="The XML Schema of the XML bodies",
                description="Every request and response body of the `/v1` "
                "operations in XML (`docs/api.md`, XML), with `ErrorBody` for errors.",
                tag="meta",
                media_type=XML_MEDIA_TYPE,
                authenticated=False,
            ),
            ApiRoute(
                method="GET",
                path="/docs",
                handler=self.docs,
                summary="API documentation page",
                tag="meta",
                media_type="text/html",
                authenticated=False,
            ),
        ]


def xml_body_types(table: Sequence[ApiRoute]) -> list[type]:
    """The body types ``/schema.xsd`` declares: of every XML-speaking route, and errors."""
    types: list[type] = [ErrorBody]
    for route in table:
        if speaks_xml(route):
            types += [body for body in (route.request, route.response) if body is not None]
    return list(dict.fromkeys(types))
