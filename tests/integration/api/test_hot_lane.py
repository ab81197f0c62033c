"""``POST /v1/messages`` and ``/v1/messages/batch`` take the short way (api/hot_lane.py), and
answer exactly as the whole Starlette stack answers them.

Each request is sent twice to the same app: as a server sends it (the application's own
``__call__``, so the short way for these paths) and through Starlette's own ``__call__`` (its
middleware, exception handling and router). Status, headers and body must match once the
values that differ between any two requests are blanked (ids, times).
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette
from starlette.types import Receive, Scope, Send

from parcelsms.api.resources.messages.schemas import MessageCreate
from parcelsms.api.xml_mapping import encode_document
from parcelsms.errors import StorageError

from .conftest import GB_MOBILE, Api, shipped_body

_IDS = re.compile(rb"\b(msg|req)_[0-9A-Za-z]+")
_TIMES = re.compile(rb"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)?")
_VARYING_HEADERS = {"x-request-id", "content-length"}

Answer = tuple[int, list[tuple[str, bytes]], bytes]


def _blanked(value: bytes) -> bytes:
    return _TIMES.sub(b"<time>", _IDS.sub(rb"\1_<id>", value))


def _answer(response: httpx.Response) -> Answer:
    assert response.headers["x-request-id"].startswith("req_")
    headers = sorted(
        (name, _blanked(value.encode("latin-1")))
        for name, value in response.headers.items()
        if name not in _VARYING_HEADERS
    )
    return response.status_code, headers, _blanked(response.content)


def _whole_stack(app: Starlette) -> Callable[[Scope, Receive, Send], Awaitable[None]]:
    async def call(scope: Scope, receive: Receive, send: Send) -> None:
        await Starlette.__call__(app, scope, receive, send)

    return call


async def _both_ways(api: Api, method: str, path: str, key: str | None, **request: Any) -> Answer:
    """The answer of the short way, after checking the whole stack gives the same one."""
    headers = {"Authorization": f"Bearer {key}"} if key is not None else {}
    answers = []
    for app in (api.app, _whole_stack(api.app)):
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://api.test", headers=headers
        ) as client:
            answers.append(_answer(await client.request(method, path, **request)))
    short, whole = answers
    assert short == whole
    return short


XML_BODY = encode_document(shipped_body(), MessageCreate)
_JSON = {"Content-Type": "application/json"}

CASES: dict[str, tuple[str, str, dict[str, Any]]] = {
    "one message": ("POST", "/v1/messages", {"json": shipped_body()}),
    "an unknown template": ("POST", "/v1/messages", {"json": shipped_body(template="nope")}),
    "a number that is not one": ("POST", "/v1/messages", {"json": shipped_body(to="+4412")}),
    "malformed JSON": ("POST", "/v1/messages", {"content": b'{"to": ', "headers": _JSON}),
    "a body that is not JSON": (
        "POST",
        "/v1/messages",
        {"content": b"hello", "headers": {"Content-Type": "text/plain"}},
    ),
    "a body too large": (
        "POST",
        "/v1/messages",
        {"content": b" " * (2 << 20), "headers": {"Content-Type": "application/json"}},
    ),
    "XML in, XML out": (
        "POST",
        "/v1/messages",
        {
            "content": XML_BODY,
            "headers": {"Content-Type": "application/xml", "Accept": "application/xml"},
        },
    ),
    "an Accept nothing can meet": (
        "POST",
        "/v1/messages",
        {"json": shipped_body(), "headers": {"Accept": "image/png"}},
    ),
    "a form body": (
        "POST",
        "/v1/messages",
        {"data": {"to": GB_MOBILE, "template": "shipped", "params[tracking]": "PX1"}},
    ),
    "a batch with one bad item": (
        "POST",
        "/v1/messages/batch",
        {
            "json": {
                "template": "shipped",
                "messages": [
                    {"to": GB_MOBILE, "params": {"tracking": "PX1"}},
                    {"to": "not a number", "params": {"tracking": "PX2"}},
                ],
            }
        },
    ),
    "a batch that is not one": ("POST", "/v1/messages/batch", {"json": {"messages": 3}}),
    "another method on a hot path": ("PUT", "/v1/messages", {"json": shipped_body()}),
}


@pytest.mark.parametrize("case", CASES)
async def test_the_short_way_answers_as_the_whole_stack(api: Api, case: str) -> None:
    method, path, request = CASES[case]
    status, _, _ = await _both_ways(api, method, path, api.alpha.key, **request)
    assert status != 500


async def test_a_request_without_a_key_is_refused_the_same_way(api: Api) -> None:
    status, _, body = await _both_ways(api, "POST", "/v1/messages", None, json=shipped_body())
    assert (status, b"unauthorized" in body) == (401, True)


@pytest.mark.parametrize(
    ("problem", "status", "code"),
    [
        (RuntimeError("a bug"), 500, b"internal_error"),
        (StorageError("database is locked"), 503, b"service_unavailable"),
    ],
)
async def test_an_exception_in_the_handler_is_answered_the_same_way(
    api: Api, monkeypatch: pytest.MonkeyPatch, problem: Exception, status: int, code: bytes
) -> None:
    async def broken(*args: object, **kwargs: object) -> None:
        raise problem

    monkeypatch.setattr(api.app.state.services.accept, "send", broken)
    answer = await _both_ways(api, "POST", "/v1/messages", api.alpha.key, json=shipped_body())
    assert answer[0] == status
    assert code in answer[2]
    assert b"req_<id>" in answer[2]  # the request id, for the operator's logs


async def test_sends_skip_the_stack_and_everything_else_goes_through_it(
    api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    through_stack: list[str] = []

    async def stack(scope: Scope, receive: Receive, send: Send) -> None:
        through_stack.append(f"{scope['method']} {scope['path']}")
        await stack_app(scope, receive, send)

    stack_app = api.app.build_middleware_stack()
    monkeypatch.setattr(api.app, "middleware_stack", stack)
    client = api.alpha.client
    assert (await client.post("/v1/messages", json=shipped_body())).status_code == 202
    batch = {"template": "shipped", "messages": [{"to": GB_MOBILE, "params": {"tracking": "P"}}]}
    assert (await client.post("/v1/messages/batch", json=batch)).status_code == 200
    assert through_stack == []
    assert (await client.get("/v1/messages")).status_code == 200
    assert (await client.post("/v1/messages/", json=shipped_body())).status_code == 404
    assert through_stack == ["GET /v1/messages", "POST /v1/messages/"]
