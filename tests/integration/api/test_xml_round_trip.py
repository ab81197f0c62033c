"""Every ``/v1`` operation answers the same in XML as in JSON, and its XML fits ``/schema.xsd``.

The operations are the application's own route table, so a new ``/v1`` route is covered the
day it is added (or fails here, asking for a body or a way to make its ``{id}``). Two apps
are built alike on two SQLite files; the same steps run on both, one app called in JSON,
the other with the same bodies in XML (``Content-Type`` and ``Accept: application/xml``).
Each pair of answers must have the same status and the same content once ids, times and
secrets (which differ between two apps by nature) are blanked; each XML request and answer
must validate against ``/schema.xsd`` with lxml.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from lxml import etree
from signing_client import signed_headers

from parcelsms.api.content_negotiation import speaks_xml
from parcelsms.api.error_responses import ErrorBody
from parcelsms.api.resources.meta import xml_body_types
from parcelsms.api.route_table import ApiRoute
from parcelsms.api.xml_mapping import decode_element, encode_document, scalar_text
from parcelsms.api.xml_parsing import parse_xml
from parcelsms.api.xml_schema import xml_schema

from .conftest import Api, build_api, client_for, close_api

XML = "application/xml"
DETAILS = {
    "legal_name": "Round Trip GmbH",
    "registration_number": "HRB 4711",
    "country": "DE",
    "contact_name": "Rita Round",
    "contact_email": "rita@roundtrip.example",
    "contact_phone": "+49 30 901820",
}
SEND = {"to": "+447400123456", "template": "shipped", "params": {"tracking": "RT-1"}}
BODIES: dict[tuple[str, str], Any] = {
    ("POST", "/v1/templates"): {
        "name": "round_trip",
        "language": "en",
        "body": "Parcel {tracking} arrives {day}.",
        "variables": {"tracking": {"type": "tracking_number", "max_length": 30}},
    },
    ("POST", "/v1/sender_ids"): {"sender_id": "ROUNDTRIP", "country": "GB"},
    ("POST", "/v1/message_settings"): {"smart_encoding": True},
    ("POST", "/v1/messages/preview"): SEND,
    ("POST", "/v1/messages"): {**SEND, "client_ref": "order-1", "smart_encoding": False},
    ("POST", "/v1/messages/batch"): {
        "template": "shipped",
        "language": "es",
        "messages": [
            {"to": "+447400123457", "params": {"tracking": "RT-2"}, "client_ref": None},
            {"to": "not a number", "params": {"tracking": "RT-3"}},
        ],
    },
    ("POST", "/v1/webhooks"): {"url": "https://93.184.215.14/hooks"},
    ("POST", "/v1/webhooks/endpoints"): {
        "url": "https://93.184.215.14/final",
        "event_types": ["message.final"],
    },
    ("PUT", "/v1/webhooks/endpoints/{id}"): {
        "url": "https://93.184.215.14/all",
        "event_types": ["message.status", "balance.low"],
        "enabled": True,
    },
    ("POST", "/v1/webhooks/endpoints/{id}/rotate-secret"): {"overlap_seconds": 60},
    ("POST", "/v1/webhooks/endpoints/{id}/replay"): {"since": "2026-01-01T00:00:00Z"},
    ("POST", "/v1/suppressions"): {"number": "+447400123999"},
    ("POST", "/v1/suppression_imports"): {"csv": "number\n+447400123998\nnot a number\n"},
    ("POST", "/v1/balance/alerts"): {"threshold": "1.5"},
    ("POST", "/v1/account"): {"time_zone": "Europe/Berlin"},
    ("POST", "/v1/account/verification"): DETAILS,
    ("POST", "/v1/test_numbers"): {"number": "+447700100999"},
    ("POST", "/v1/test_numbers/{id}/confirm"): {"code": "123456"},
    ("POST", "/v1/keys"): {"label": "round trip", "scopes": ["messages:read"]},
}
_ID = re.compile(r"\b[a-z]+_[0-9A-HJKMNP-TV-Z]{26}\b")
_TIME = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?(?:Z|[+-]\d\d:\d\d)?")
_SECRET = re.compile(r"\b(?:psk|whsec)_[A-Za-z0-9._~+/=-]+")


async def _created(api: Api, path: str, body: Any) -> str:
    """The id of a resource created in JSON; an unknown id where this app cannot create one
    (the suite's app has no test-number service), so both apps answer the same refusal."""
    response = await api.alpha.client.post(path, json=body)
    if response.status_code not in (200, 201, 202):
        return "none_00000000000000000000000000"
    identifier: str = response.json()["id"]
    return identifier


# How to make an id of alpha's for a route's {id}; the same steps run in both apps.
ID_MAKERS: dict[str, Callable[[Api], Awaitable[str]]] = {
    "/v1/templates/{id}": lambda api: _pending_template(api),
    "/v1/sender_ids/{id}": lambda api: _created(
        api, "/v1/sender_ids", BODIES[("POST", "/v1/sender_ids")]
    ),
    "/v1/messages/{id}": lambda api: _created(api, "/v1/messages", SEND),
    "/v1/test_numbers/{id}": lambda api: _created(
        api, "/v1/test_numbers", {"number": "+447700100123"}
    ),
    "/v1/keys/{id}": lambda api: _created(api, "/v1/keys", {"label": "to read or revoke"}),
    "/v1/webhooks/endpoints/{id}": lambda api: _created(
        api, "/v1/webhooks/endpoints", BODIES[("POST", "/v1/webhooks/endpoints")]
    ),
    # No delivery exists in a fresh app: both answer the same 404 for an unknown id.
    "/v1/webhooks/deliveries/{id}": lambda api: _unknown(),
}


async def _unknown() -> str:
    return "none_00000000000000000000000000"


async def _pending_template(api: Api) -> str:
    return api.pending_id


@dataclass(frozen=True)
class Answer:
    status: int
    value: Any


@pytest.fixture
async def two_apps(tmp_path: Path) -> AsyncIterator[tuple[Api, Api]]:
    (tmp_path / "json").mkdir()
    (tmp_path / "xml").mkdir()
    json_api = await build_api(tmp_path / "json")
    xml_api = await build_api(tmp_path / "xml")
    yield json_api, xml_api
    await close_api(json_api)
    await close_api(xml_api)


def _blanked(value: Any) -> Any:
    """``value`` with every scalar as text and ids, times and secrets blanked."""
    if isinstance(value, dict):
        return {key: _blanked(item) for key, item in value.items()} if value else ""
    if isinstance(value, list):
        return [_blanked(item) for item in value] if value else ""
    if value is None:
        return None
    text = scalar_text(value)
    return _ID.sub("ID", _TIME.sub("TIME", _SECRET.sub("SECRET", text)))


async def _call(api: Api, route: ApiRoute, schema: etree.XMLSchema | None) -> Answer:
    """Call ``route`` as alpha: in JSON without ``schema``, else in XML checked by it."""
    path = route.path
    if "{id}" in path:
        make = ID_MAKERS.get(route.path.split("/{id}")[0] + "/{id}")
        assert make is not None, f"add a way to make an id for {route.method} {route.path}"
        path = path.replace("{id}", await make(api))
    body = BODIES.get((route.method, route.path))
    if route.request is not None and route.body_required:
        assert body is not None, f"add a body for {route.method} {route.path}"
    client = api.alpha.client
    if schema is None:
        response = await client.request(route.method, path, json=body)
        return Answer(response.status_code, response.json() if response.content else None)
    content = None
    if body is not None and route.request is not None:
        content = encode_document(body, route.request)
        schema.assertValid(etree.fromstring(content))
    response = await client.request(
        route.method, path, content=content, headers={"Content-Type": XML, "Accept": XML}
    )
    if not response.content:
        return Answer(response.status_code, None)
    assert response.headers["content-type"] == XML, response.text
    document = etree.fromstring(response.content)
    schema.assertValid(document)
    body_type = ErrorBody if response.status_code >= 400 else route.response
    assert body_type is not None
    return Answer(response.status_code, decode_element(parse_xml(response.content), body_type))


async def test_every_v1_operation_answers_in_xml_as_it_does_in_json(
    two_apps: tuple[Api, Api],
) -> None:
    json_api, xml_api = two_apps
    schema_response = await xml_api.anonymous.get("/schema.xsd")
    assert schema_response.status_code == 200
    assert schema_response.headers["content-type"] == XML
    schema = etree.XMLSchema(etree.fromstring(schema_response.content))
    routes = [route for route in xml_api.app.state.route_table if speaks_xml(route)]
    assert len(routes) > 30
    for route in routes:
        expected = await _call(json_api, route, None)
        answered = await _call(xml_api, route, schema)
        where = f"{route.method} {route.path}"
        assert answered.status == expected.status, where
        assert _blanked(answered.value) == _blanked(expected.value), where


async def test_xml_is_answered_only_when_accept_prefers_it(api: Api) -> None:
    client = api.alpha.client
    for accept, answered in [
        (None, "application/json"),
        ("*/*", "application/json"),
        ("application/*", "application/json"),
        ("application/json, text/plain, */*", "application/json"),
        ("application/xml", XML),
        ("text/xml", XML),
        ("text/*", XML),
        ("application/json;q=0.5, application/xml", XML),
        ("application/xml;q=0.2, */*;q=0.9", "application/json"),
    ]:
        headers = {"Accept": accept} if accept is not None else {}
        response = await client.get("/v1/account", headers=headers)
        assert response.status_code == 200, accept
        assert response.headers["content-type"] == answered, accept


async def test_an_accept_allowing_neither_json_nor_xml_is_not_acceptable_in_json(
    api: Api,
) -> None:
    for accept in ("text/html", "application/json;q=0, application/xml;q=0", "image/png"):
        response = await api.alpha.client.get("/v1/account", headers={"Accept": accept})
        assert response.status_code == 406, accept
        assert response.json()["error"]["code"] == "not_acceptable"


async def test_errors_before_any_route_are_answered_in_xml_when_asked(api: Api) -> None:
    unknown = await api.alpha.client.get("/v1/nothing_here", headers={"Accept": XML})
    unauthenticated = await api.anonymous.get("/v1/account", headers={"Accept": XML})

    assert unknown.status_code == 404
    assert b"<code>not_found</code>" in unknown.content
    assert unauthenticated.status_code == 401
    assert unauthenticated.headers["content-type"] == XML
    assert b"<code>unauthorized</code>" in unauthenticated.content


async def test_a_hand_written_xml_send_is_accepted_like_its_json(api: Api) -> None:
    document = b"""<?xml version="1.0" encoding="UTF-8"?>
<MessageCreate xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
  <to>+447400123456</to>
  <template>shipped</template>
  <params><entry key="tracking">PX&amp;9</entry></params>
  <client_ref xsi:nil="true"/>
  <smart_encoding>1</smart_encoding>
</MessageCreate>"""
    sent = await api.alpha.client.post(
        "/v1/messages", content=document, headers={"Content-Type": "text/xml; charset=utf-8"}
    )

    assert sent.status_code == 202, sent.text
    detail = (await api.alpha.client.get(f"/v1/messages/{sent.json()['id']}")).json()
    assert detail["body"] == "Your parcel PX&9 has shipped."
    assert detail["client_ref"] is None


async def test_a_wrong_xml_value_names_its_field_as_json_would(api: Api) -> None:
    document = (
        b"<BatchCreate><template>shipped</template><messages><item><to>+447400123456</to>"
        b"<params><entry key='tracking'>A</entry></params></item></messages>"
        b"<smart_encoding>perhaps</smart_encoding></BatchCreate>"
    )
    response = await api.alpha.client.post(
        "/v1/messages/batch", content=document, headers={"Content-Type": XML, "Accept": XML}
    )

    assert response.status_code == 422, response.text
    assert b"<code>invalid_request</code>" in response.content
    assert b"<field>smart_encoding</field>" in response.content


async def test_a_member_given_twice_in_xml_is_invalid_request(api: Api) -> None:
    document = b"<MessageCreate><to>+447400123456</to><to>+447400123457</to></MessageCreate>"
    response = await api.alpha.client.post(
        "/v1/messages", content=document, headers={"Content-Type": XML}
    )

    assert response.status_code == 422
    assert response.json()["error"]["field"] == "to"


async def test_an_unknown_xml_element_is_refused_by_name(api: Api) -> None:
    document = (
        b"<MessageCreate><to>+447400123456</to><template>shipped</template>"
        b"<colour>red</colour></MessageCreate>"
    )
    response = await api.alpha.client.post(
        "/v1/messages", content=document, headers={"Content-Type": XML}
    )

    assert response.status_code == 422
    assert response.json()["error"]["field"] == "colour"


def test_every_v1_body_type_is_declared_in_the_schema(api: Api) -> None:
    document = etree.fromstring(xml_schema(xml_body_types(api.app.state.route_table)))
    declared = {
        element.get("name")
        for element in document.findall("{http://www.w3.org/2001/XMLSchema}element")
    }
    for route in api.app.state.route_table:
        if speaks_xml(route):
            for body in (route.request, route.response):
                if body is not None:
                    assert body.__name__ in declared, f"{route.method} {route.path}"


async def test_the_openapi_document_lists_xml_beside_json_for_v1_operations(api: Api) -> None:
    document = (await api.anonymous.get("/openapi.json")).json()
    send = document["paths"]["/v1/messages"]["post"]
    admin = document["paths"]["/admin/v1/accounts"]["get"]

    assert set(send["requestBody"]["content"]) == {
        "application/json",
        XML,
        "application/x-www-form-urlencoded",
    }
    assert set(send["responses"]["202"]["content"]) == {"application/json", XML}
    assert set(send["responses"]["400"]["content"]) == {"application/json", XML}
    assert "invalid_xml" in send["responses"]["400"]["x-error-codes"]
    assert set(admin["responses"]["200"]["content"]) == {"application/json"}


async def test_a_signed_xml_request_is_verified_over_the_xml_it_sent(api: Api) -> None:
    document = (
        b"<MessageCreate><to>+447400123456</to><template>shipped</template>"
        b"<params><entry key='tracking'>SIGNED-1</entry></params></MessageCreate>"
    )
    headers = {"Content-Type": XML, "Accept": XML}
    async with client_for(api.app, None) as client:
        signed = await client.post(
            "/v1/messages",
            content=document,
            headers={**headers, **signed_headers(api.alpha.key, "POST", "/v1/messages", document)},
        )
        altered = await client.post(
            "/v1/messages",
            content=document.replace(b"SIGNED-1", b"SIGNED-2"),
            headers={**headers, **signed_headers(api.alpha.key, "POST", "/v1/messages", document)},
        )

    assert signed.status_code == 202, signed.text
    assert altered.status_code == 401
    assert b"<code>unauthorized</code>" in altered.content
