"""Nothing a client sends produces a 500: random methods, paths, headers and bodies.

Requests are handed to the app as raw ASGI messages, so headers may hold any bytes, bodies
arrive in arbitrary chunks, and ``Content-Length`` may lie — more than an HTTP client library
would let through. Most requests carry a valid API key and many a nearly valid body, so
bodies reach decoding, validation, the accept use case and storage rather than stopping at
authentication.
"""

from __future__ import annotations

import itertools
import json
from typing import Any

from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from parcelsms.domain.error_catalogue import CATALOGUE

ENDPOINTS = [
    ("POST", "/v1/templates"),
    ("GET", "/v1/templates"),
    ("GET", "/v1/templates/{id}"),
    ("POST", "/v1/messages"),
    ("POST", "/v1/messages/batch"),
    ("GET", "/v1/messages"),
    ("GET", "/v1/messages/{id}"),
    ("POST", "/v1/webhooks"),
    ("GET", "/v1/webhooks"),
    ("GET", "/v1/balance"),
    ("GET", "/healthz"),
    ("GET", "/openapi.json"),
    ("GET", "/docs"),
]
FIELDS = [
    "to",
    "template",
    "params",
    "language",
    "sender_id",
    "client_ref",
    "callback_url",
    "messages",
    "name",
    "body",
    "url",
    "tracking",
]
QUERY_NAMES = ["status", "to", "client_ref", "since", "until", "cursor", "limit", "other"]

texts = st.text(alphabet=st.characters(exclude_categories=("Cs",)), max_size=40)
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | texts,
    lambda children: (
        st.lists(children, max_size=4)
        | st.dictionaries(st.sampled_from(FIELDS) | texts, children, max_size=5)
    ),
    max_leaves=20,
)
plausible_strings = st.sampled_from(
    [
        "+447400123456",
        "0044 7400 123456",
        "+4412",
        "shipped",
        "pending",
        "en",
        "es",
        "pt-BR",
        "https://example.com/hook",
        "http://127.0.0.1/",
        "PX123",
        "{tracking}",
        "Hi {name}",
        "msg_01J00000000000000000000000",
    ]
)
field_values = plausible_strings | json_values
item_bodies = st.fixed_dictionaries(
    {"to": field_values},
    optional={
        "params": st.dictionaries(st.sampled_from(["tracking", "name"]) | texts, field_values),
        "client_ref": field_values,
    },
)
plausible_bodies = st.dictionaries(st.sampled_from(FIELDS), field_values, max_size=6) | (
    st.fixed_dictionaries(
        {"template": field_values, "messages": st.lists(item_bodies | json_values, max_size=5)}
    )
)
VALID_BODIES: dict[str, dict[str, Any]] = {
    "/v1/templates": {"name": "fuzz", "language": "en", "body": "Hi {name}"},
    "/v1/messages": {"to": "+447400123456", "template": "shipped", "params": {"tracking": "P1"}},
    "/v1/messages/batch": {
        "template": "shipped",
        "messages": [{"to": "+34612345678", "params": {"tracking": "P2"}}],
    },
    "/v1/webhooks": {"url": "https://example.com/hook"},
}


@st.composite
def near_valid_bodies(draw: st.DrawFn, path: str) -> bytes:
    """A valid body for ``path`` with one field replaced, removed or added."""
    body = json.loads(json.dumps(VALID_BODIES.get(path, VALID_BODIES["/v1/messages"])))
    target = body
    if "messages" in body and draw(st.booleans()):
        target = body["messages"][0]
    elif "params" in body and draw(st.booleans()):
        target = body["params"]
    known = st.sampled_from(sorted(target))
    key = draw(st.one_of(known, known, known, st.sampled_from(FIELDS), texts))
    action = draw(st.sampled_from(["replace", "replace", "replace", "remove", "keep"]))
    if action == "remove":
        target.pop(key, None)
    elif action == "replace":
        target[key] = draw(st.one_of(plausible_strings, texts, json_values, plausible_strings))
    return json.dumps(body).encode()


def bodies(path: str) -> st.SearchStrategy[bytes]:
    return (
        st.binary(max_size=300)
        | json_values.map(lambda value: json.dumps(value).encode())
        | plausible_bodies.map(lambda value: json.dumps(value).encode())
        | near_valid_bodies(path)
        | near_valid_bodies(path)
    )


header_names = st.sampled_from(
    [b"authorization", b"content-type", b"content-length", b"idempotency-key", b"x-other"]
)
header_values = st.binary(max_size=80) | st.sampled_from(
    [b"application/json", b"application/json; charset=utf-8", b"text/plain", b"Bearer", b"0"]
)
query_strings = st.binary(max_size=60) | st.lists(
    st.tuples(st.sampled_from(QUERY_NAMES), plausible_strings | texts), max_size=4
).map(lambda pairs: "&".join(f"{name}={value}" for name, value in pairs).encode("utf-8"))


@st.composite
def requests(draw: st.DrawFn) -> dict[str, Any]:
    if draw(st.integers(0, 9)) == 0:
        method = draw(st.sampled_from(["PUT", "DELETE", "PATCH", "OPTIONS", "HEAD", "TRACE"]))
        path = draw(st.sampled_from([path for _, path in ENDPOINTS]) | texts.map("/".__add__))
    else:
        method, path = draw(st.sampled_from(ENDPOINTS))
    path = path.replace("{id}", draw(texts.filter(lambda text: "/" not in text) | st.just("x")))
    headers = draw(st.lists(st.tuples(header_names, header_values), max_size=5))
    body = draw(bodies(path))
    cut = sorted(draw(st.lists(st.integers(0, len(body)), max_size=3)))
    bounds = [0, *cut, len(body)]
    chunks = [body[start:end] for start, end in itertools.pairwise(bounds)]
    return {
        "method": method,
        "path": path or "/",
        "query": draw(query_strings),
        "headers": headers,
        "chunks": chunks,
        "authorized": draw(st.sampled_from([True, True, True, True, False])),
        "json_content_type": draw(st.sampled_from([True, True, True, False])),
    }


async def call(
    app: Any, method: str, path: str, query: bytes, headers: list[Any], chunks: list[bytes]
) -> tuple[int, dict[bytes, bytes], bytes]:
    """Run one request through ``app`` as raw ASGI; return status, headers and body."""
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": path,
        "raw_path": path.encode("utf-8"),
        "query_string": query,
        "root_path": "",
        "headers": headers,
        "client": ("127.0.0.1", 50000),
        "server": ("api.test", 80),
    }
    incoming = [
        {"type": "http.request", "body": chunk, "more_body": index < len(chunks) - 1}
        for index, chunk in enumerate(chunks)
    ]
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return incoming.pop(0) if incoming else {"type": "http.disconnect"}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    await app(scope, receive, send)
    start = next(message for message in sent if message["type"] == "http.response.start")
    body = b"".join(
        message.get("body", b"") for message in sent if message["type"] == "http.response.body"
    )
    return start["status"], dict(start.get("headers", [])), body


@settings(
    max_examples=1500,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(request=requests())
async def test_no_request_produces_a_server_error(api: Any, request: dict[str, Any]) -> None:
    # Prepended: of repeated headers the first wins, so these reach the handlers.
    headers = list(request["headers"])
    if request["json_content_type"]:
        headers.insert(0, (b"content-type", b"application/json"))
    if request["authorized"]:
        headers.insert(0, (b"authorization", f"Bearer {api.alpha.key}".encode()))

    status, response_headers, body = await call(
        api.app, request["method"], request["path"], request["query"], headers, request["chunks"]
    )

    assert status < 500, body
    assert response_headers[b"x-request-id"].startswith(b"req_")
    if status >= 400 and request["method"] != "HEAD":
        error = json.loads(body)["error"]
        assert set(error) >= {"code", "message", "field"}
        assert CATALOGUE[error["code"]].http_status == status
        event(f"{status} {error['code']}")
    else:
        event(str(status))


@settings(
    max_examples=500,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    path=st.sampled_from(["/v1/messages", "/v1/messages/batch", "/v1/templates"]),
    data=st.data(),
)
async def test_no_nearly_valid_body_produces_a_server_error(
    api: Any, path: str, data: st.DataObject
) -> None:
    body = data.draw(near_valid_bodies(path))
    headers = [
        (b"authorization", f"Bearer {api.alpha.key}".encode()),
        (b"content-type", b"application/json"),
    ]

    status, _, response = await call(api.app, "POST", path, b"", headers, [body])

    assert status < 500, response
    document = json.loads(response)
    if status >= 400:
        assert CATALOGUE[document["error"]["code"]].http_status == status
        event(f"{status} {document['error']['code']}")
    elif "results" in document:
        for result in document["results"]:
            event(f"item {result.get('error', {}).get('code', 'accepted')}")
    else:
        event(str(status))
