"""The OpenAPI document built from a route table."""

from __future__ import annotations

import msgspec
import pytest
from openapi_spec_validator import validate
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from parcelsms.api.openapi import openapi_document
from parcelsms.api.route_table import ApiRoute, Parameter, starlette_routes


class Thing(msgspec.Struct):
    """A thing."""

    name: str


async def read_thing(request: Request) -> Response:
    return Response()


async def create_thing(request: Request) -> Response:
    return Response()


async def ping(request: Request) -> Response:
    return Response()


TABLE = [
    ApiRoute(
        method="GET",
        path="/things/{id}",
        handler=read_thing,
        summary="Read a thing",
        tag="things",
        response=Thing,
        errors=("not_found",),
        parameters=(Parameter("verbose", "query", "More detail.", {"type": "boolean"}),),
    ),
    ApiRoute(
        method="POST",
        path="/things",
        handler=create_thing,
        summary="Create a thing",
        tag="things",
        request=Thing,
        response=Thing,
        status=201,
        errors=("invalid_request",),
    ),
    ApiRoute(
        method="GET", path="/ping", handler=ping, summary="Ping", tag="meta", authenticated=False
    ),
]


def test_document_is_valid_openapi_3_1() -> None:
    validate(openapi_document(TABLE, version="1.2.3"))


def test_errors_are_grouped_by_their_catalogued_status() -> None:
    operation = openapi_document(TABLE, version="1")["paths"]["/things"]["post"]

    responses = operation["responses"]
    assert set(responses) == {"201", "400", "401", "403", "413", "415", "422", "429", "500", "503"}
    assert responses["400"]["x-error-codes"] == ["invalid_json"]
    assert responses["401"]["x-error-codes"] == [
        "unauthorized",
        "signature_expired",
        "replayed_request",
    ]
    assert responses["403"]["x-error-codes"] == ["forbidden", "account_suspended"]
    assert responses["429"]["x-error-codes"] == ["rate_limited"]
    assert responses["422"]["x-error-codes"] == ["invalid_request"]
    assert responses["500"]["x-error-codes"] == ["internal_error"]


def test_path_and_query_parameters_are_declared() -> None:
    operation = openapi_document(TABLE, version="1")["paths"]["/things/{id}"]["get"]

    names = {(parameter["name"], parameter["in"]) for parameter in operation["parameters"]}
    assert names == {("id", "path"), ("verbose", "query")}


def test_unauthenticated_operations_need_no_security_and_list_no_auth_errors() -> None:
    operation = openapi_document(TABLE, version="1")["paths"]["/ping"]["get"]

    assert operation["security"] == []
    assert set(operation["responses"]) == {"200", "500"}


def test_structs_are_shared_components() -> None:
    document = openapi_document(TABLE, version="1")

    assert document["components"]["schemas"]["Thing"]["description"] == "A thing."
    post = document["paths"]["/things"]["post"]
    assert post["requestBody"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/Thing"
    }


def test_one_starlette_route_per_path_carries_every_method() -> None:
    routes = starlette_routes(TABLE)

    by_path = {route.path: route for route in routes if isinstance(route, Route)}
    assert set(by_path) == {"/things/{id}", "/things", "/ping"}
    assert by_path["/things/{id}"].methods == {"GET", "HEAD"}


def test_paths_named_first_are_routed_first_and_the_rest_keep_their_order() -> None:
    paths = [route.path for route in starlette_routes(TABLE) if isinstance(route, Route)]
    hot = paths[-1]
    reordered = starlette_routes(TABLE, first=[hot])

    assert [route.path for route in reordered if isinstance(route, Route)] == [
        hot,
        *paths[:-1],
    ]


def test_a_path_with_parameters_or_without_a_route_cannot_go_first() -> None:
    with pytest.raises(ValueError, match="literal"):
        starlette_routes(TABLE, first=["/things/{id}"])
    with pytest.raises(ValueError, match="no route"):
        starlette_routes(TABLE, first=["/thing"])


def test_the_same_operation_twice_is_refused() -> None:
    with pytest.raises(ValueError, match="twice"):
        starlette_routes([TABLE[0], TABLE[0]])
