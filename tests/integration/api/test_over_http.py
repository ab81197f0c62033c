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
