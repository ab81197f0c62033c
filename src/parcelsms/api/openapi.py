"""The OpenAPI 3.1 document, assembled from the route table and the Structs' JSON Schemas.

Schemas come from ``msgspec.json.schema_components`` (JSON Schema 2020-12, which OpenAPI 3.1
uses as is). Each operation lists the catalogued errors it can answer with, grouped by HTTP
status, plus those every operation of its kind shares: authenticated operations can answer
``unauthorized`` and ``account_suspended``, operations with a JSON body the four body
errors, and every operation ``internal_error``.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

import msgspec

from parcelsms.api.content_negotiation import XML_MEDIA_TYPE, speaks_xml
from parcelsms.api.error_responses import ErrorBody
from parcelsms.api.form_body import FORM_MEDIA_TYPE
from parcelsms.api.route_table import ApiRoute
from parcelsms.domain.error_catalogue import CATALOGUE

_REF = "#/components/schemas/{name}"
_PATH_PARAMETER = re.compile(r"{([^}]+)}")
_AUTHENTICATED_ERRORS = (
    "unauthorized",
    "signature_expired",
    "replayed_request",
    "forbidden",
    "account_suspended",
    "rate_limited",
    "service_unavailable",
)
_BODY_ERRORS = ("invalid_json", "invalid_request", "unsupported_media_type", "payload_too_large")
_DESCRIPTION = """\
JSON (or XML) over HTTP. Every `/v1` operation also takes
`Content-Type: application/xml` and answers XML when `Accept` prefers `application/xml`;
the XML shapes are in `/schema.xsd` (`docs/api.md`, XML). Authenticate with
`Authorization: Bearer <key>`, or sign each request
(headers `X-Parcelsms-Key-Id`, `X-Parcelsms-Timestamp`, `X-Parcelsms-Nonce`,
`X-Parcelsms-Signature`; see `docs/api.md`). Each operation names the API-key scope it
requires (`x-required-scope`); a key without it answers `forbidden`.

Every error answers `{"error": {"code", "message", "field"}}` with a stable `code` from the
error catalogue (`docs/errors.md`); each operation lists the codes it can answer with under
`x-error-codes`. Every response carries `X-Request-Id`; quote it when reporting a problem.
"""


def _error_codes(route: ApiRoute) -> list[str]:
    codes: list[str] = []
    if route.authenticated:
        codes.extend(_AUTHENTICATED_ERRORS)
    if route.request is not None:
        codes.extend(_BODY_ERRORS)
        if speaks_xml(route):
            codes.append("invalid_xml")
    if speaks_xml(route):
        codes.append("not_acceptable")
    codes.extend(route.errors)
    codes.append("internal_error")
    return list(dict.fromkeys(codes))


def _content(route: ApiRoute, schema: dict[str, Any]) -> dict[str, Any]:
    """The media types of a JSON body of ``route``: JSON, and XML where the route speaks it."""
    content = {"application/json": {"schema": schema}}
    if speaks_xml(route):
        content[XML_MEDIA_TYPE] = {"schema": schema}
    return content


def _error_responses(
    route: ApiRoute, codes: Sequence[str], error_ref: dict[str, Any]
) -> dict[str, Any]:
    by_status: dict[int, list[str]] = {}
    for code in codes:
        by_status.setdefault(CATALOGUE[code].http_status, []).append(code)
    responses: dict[str, Any] = {}
    for status in sorted(by_status):
        listed = by_status[status]
        responses[str(status)] = {
            "description": " ".join(f"`{code}`: {CATALOGUE[code].title}" for code in listed),
            "content": _content(route, error_ref),
            "x-error-codes": listed,
        }
    return responses


def _success_response(route: ApiRoute, refs: dict[type, dict[str, Any]]) -> dict[str, Any]:
    response: dict[str, Any] = {"description": route.summary}
    if route.response is not None:
        response["content"] = (
            _content(route, refs[route.response])
            if route.media_type == "application/json"
            else {route.media_type: {"schema": refs[route.response]}}
        )
    elif route.media_type != "application/json":
        response["content"] = {route.media_type: {"schema": {"type": "string"}}}
    for media in route.other_media_types:
        response.setdefault("content", {})[media] = {"schema": {"type": "string"}}
    if route.response_headers:
        response["headers"] = {
            name: {"description": description, "schema": {"type": "string"}}
            for name, description in route.response_headers.items()
        }
    return response


def _operation(
    route: ApiRoute, refs: dict[type, dict[str, Any]], error_ref: dict[str, Any]
) -> dict[str, Any]:
    declared = {(p.location, p.name): p for p in route.parameters}
    parameters: list[dict[str, Any]] = [
        {"name": name, "in": "path", "required": True, "schema": {"type": "string"}}
        for name in _PATH_PARAMETER.findall(route.path)
        if ("path", name) not in declared
    ]
    parameters.extend(
        {
            "name": parameter.name,
            "in": parameter.location,
            "description": parameter.description,
            "required": parameter.required or parameter.location == "path",
            "schema": parameter.schema,
        }
        for parameter in route.parameters
    )
    operation: dict[str, Any] = {
        "operationId": route.operation_id,
        "summary": route.summary,
        "tags": [route.tag],
    }
    if route.description:
        operation["description"] = route.description
    if parameters:
        operation["parameters"] = parameters
    if route.request is not None:
        content = _content(route, refs[route.request])
        if route.accepts_form:
            content[FORM_MEDIA_TYPE] = {"schema": refs[route.request]}
        operation["requestBody"] = {"required": route.body_required, "content": content}
    responses = {str(route.status): _success_response(route, refs)}
    for status, description in route.other_statuses.items():
        responses[str(status)] = {**_success_response(route, refs), "description": description}
    responses.update(_error_responses(route, _error_codes(route), error_ref))
    operation["responses"] = responses
    if not route.authenticated:
        operation["security"] = []
    elif route.scope is not None:
        # OpenAPI 3.1 allows role names in the requirement of non-OAuth schemes.
        security: list[dict[str, list[str]]] = [
            {"bearerAuth": [route.scope]},
            {"signedRequest": [route.scope]},
        ]
        if route.admin:
            security.append({"adminToken": []})
        operation["security"] = security
        operation["x-required-scope"] = route.scope
        note = f"Required scope: `{route.scope}`."
        operation["description"] = f"{route.description}\n\n{note}" if route.description else note
    return operation


def openapi_document(table: Sequence[ApiRoute], *, version: str) -> dict[str, Any]:
    """The OpenAPI 3.1 document describing every route of ``table``."""
    types: list[type] = [ErrorBody]
    for route in table:
        for struct in (route.request, route.response):
            if struct is not None and struct not in types:
                types.append(struct)
    schemas, components = msgspec.json.schema_components(types, ref_template=_REF)
    refs = dict(zip(types, schemas, strict=True))
    paths: dict[str, dict[str, Any]] = {}
    for route in table:
        paths.setdefault(route.path, {})[route.method.lower()] = _operation(
            route, refs, refs[ErrorBody]
        )
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "parcelsms API",
            "version": version,
            "description": _DESCRIPTION,
            "license": {"name": "Apache-2.0", "identifier": "Apache-2.0"},
        },
        "servers": [{"url": "/"}],
        "security": [{"bearerAuth": []}, {"signedRequest": []}],
        "paths": paths,
        "components": {
            "schemas": components,
            "securitySchemes": {
                "bearerAuth": {
                    "type": "http",
                    "scheme": "bearer",
                    "description": "An API key (`psk_…`), created by the operator with "
                    "`parcelsms keys create ACCOUNT` or with `POST /v1/keys`; operator keys "
                    "(scope `admin`) with `parcelsms keys create --operator`.",
                },
                "signedRequest": {
                    "type": "apiKey",
                    "in": "header",
                    "name": "X-Parcelsms-Signature",
                    "description": "HMAC-SHA256 request signing with the key's signing key, "
                    "together with `X-Parcelsms-Key-Id`, `X-Parcelsms-Timestamp` and "
                    "`X-Parcelsms-Nonce`; see `docs/api.md`.",
                },
                "adminToken": {
                    "type": "http",
                    "scheme": "bearer",
                    "description": "The bootstrap operator token (`[security] admin_token`), "
                    "accepted on `/admin/v1` routes besides operator keys.",
                },
            },
        },
    }
