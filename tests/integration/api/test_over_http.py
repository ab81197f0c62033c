"""The app served by uvicorn on 127.0.0.1 and called over real HTTP with aiohttp."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest
import uvicorn


@pytest.fixture
async def base_url(api: Any) -> AsyncIterator[str]:
    # The socket listens before uvicorn starts, so requests queue in the backlog instead of
    # racing the server's start-up: no readiness polling needed.
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("127.0.0.1", 0))
    listener.listen(128)
    port = listener.getsockname()[1]
    server = uvicorn.Server(
        uvicorn.Config(api.app, log_level="warning", lifespan="on", access_log=False)
    )
    serving = asyncio.create_task(server.serve(sockets=[listener]))
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await serving
        listener.close()


@pytest.fixture
async def session(api: Any) -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession(
        headers={"Authorization": f"Bearer {api.alpha.key}"},
        timeout=aiohttp.ClientTimeout(total=10),
    ) as client:
        yield client


async def test_a_message_is_accepted_over_http(
    base_url: str, session: aiohttp.ClientSession
) -> None:
    async with session.post(
        f"{base_url}/v1/messages",
        json={"to": "+44 7400 123456", "template": "shipped", "params": {"tracking": "PX9"}},
    ) as response:
        body = await response.json()
        status = response.status
        request_id = response.headers["X-Request-Id"]

    assert status == 202
    assert body["to"] == "+447400123456"
    assert request_id.startswith("req_")


async def test_a_chunked_body_over_the_limit_is_refused_over_http(
    base_url: str, session: aiohttp.ClientSession
) -> None:
    async def chunks() -> AsyncIterator[bytes]:
        yield b'{"to": "'
        for _ in range(40):
            yield b"1" * 65_536

    async with session.post(
        f"{base_url}/v1/messages",
        data=chunks(),
        headers={"Content-Type": "application/json"},
    ) as response:
        body = await response.json()
        status = response.status

    assert status == 413
    assert body["error"]["code"] == "payload_too_large"


async def test_docs_page_and_its_assets_are_served_over_http(
    base_url: str, session: aiohttp.ClientSession
) -> None:
    async with session.get(f"{base_url}/docs") as page:
        html = await page.text()
    async with session.get(f"{base_url}/static/swagger-ui/swagger-ui-bundle.js") as bundle:
        script = await bundle.read()

    assert "swagger-ui-bundle.js" in html
    assert script.startswith(b"/*! For license information")


async def _post_raw(base_url: str, head: bytes, body: bytes) -> bytes:
    """Send ``head`` and ``body`` on one connection while reading; the whole reply."""
    host, port = base_url.removeprefix("http://").split(":")
    reader, writer = await asyncio.open_connection(host, int(port))
    try:

        async def send() -> None:
            writer.write(head)
            for start in range(0, len(body), 65_536):
                writer.write(body[start : start + 65_536])
                await writer.drain()

        sending = asyncio.create_task(send())
        reply = await reader.read()
        await sending
        return reply
    finally:
        writer.close()


@pytest.mark.parametrize("framing", ["content-length", "chunked"])
async def test_a_body_over_the_limit_is_answered_413_not_a_connection_reset(
    base_url: str, api: Any, framing: str
) -> None:
    body = b'{"to": "' + b"1" * (2 * 1024 * 1024) + b'"}'
    if framing == "chunked":
        length = b"Transfer-Encoding: chunked\r\n"
        body = (
            b"".join(
                b"%x\r\n%s\r\n" % (len(body[i : i + 65_536]), body[i : i + 65_536])
                for i in range(0, len(body), 65_536)
            )
            + b"0\r\n\r\n"
        )
    else:
        length = b"Content-Length: %d\r\n" % len(body)
    head = (
        b"POST /v1/messages HTTP/1.1\r\nHost: api.test\r\nConnection: close\r\n"
        b"Content-Type: application/json\r\nAuthorization: Bearer "
        + api.alpha.key.encode()
        + b"\r\n"
        + length
        + b"\r\n"
    )

    # The race (the server closing while the upload is in flight) does not show every time.
    replies = [await _post_raw(base_url, head, body) for _ in range(5)]

    for reply in replies:
        assert reply.startswith(b"HTTP/1.1 413 "), reply[:200]
        assert b'"payload_too_large"' in reply


@pytest.mark.parametrize("path", ["/v1/messages", "/v1/messages/batch", "/v1/webhooks"])
async def test_a_document_nested_fifty_thousand_deep_is_invalid_json_not_a_server_error(
    base_url: str, session: aiohttp.ClientSession, path: str
) -> None:
    deep = b'{"to": ' + b'{"a": ' * 50_000 + b"1" + b"}" * 50_001

    async with session.post(
        f"{base_url}{path}", data=deep, headers={"Content-Type": "application/json"}
    ) as response:
        body = await response.json()
        status = response.status

    assert status == 400
    assert body["error"]["code"] == "invalid_json"
    assert "32" in body["error"]["message"]


async def test_nesting_up_to_the_limit_is_decoded_as_usual(
    base_url: str, session: aiohttp.ClientSession
) -> None:
    # 32 levels in all: the message object, then 31 arrays where a string is expected.
    to = "[" * 31 + '"+447400123456"' + "]" * 31
    text = '"[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[["'

    async with session.post(
        f"{base_url}/v1/messages",
        data=f'{{"to": {to}, "template": "shipped", "client_ref": {text}}}',
        headers={"Content-Type": "application/json"},
    ) as response:
        body = await response.json()

    assert response.status == 422
    assert (body["error"]["code"], body["error"]["field"]) == ("invalid_request", "to")
