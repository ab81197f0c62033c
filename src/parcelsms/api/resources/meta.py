"""Unauthenticated routes: health, the OpenAPI document and the docs page."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from importlib import resources
from typing import Literal

import msgspec
from starlette.requests import Request
from starlette.responses import Response

from parcelsms.api.error_responses import JsonResponse
from parcelsms.api.openapi import openapi_document
from parcelsms.api.route_table import ApiRoute


class Health(msgspec.Struct, kw_only=True):
    """The process is up."""

    status: Literal["ok"]


_HEALTHY = msgspec.json.encode(Health(status="ok"))


class MetaEndpoints:
    """``/healthz``, ``/openapi.json`` and ``/docs``.

    ``table`` returns the complete route table; the document is built on first request
    (the table is final by then) and served from memory afterwards.
    """

    def __init__(self, table: Callable[[], Sequence[ApiRoute]], version: str) -> None:
        self._table = table
        self._version = version
        self._document: bytes | None = None
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
                path="/docs",
                handler=self.docs,
                summary="API documentation page",
                tag="meta",
                media_type="text/html",
                authenticated=False,
            ),
        ]
