"""WebhookSender against a real aiohttp receiver on 127.0.0.1 (port 0)."""

from __future__ import annotations

import asyncio
import json
import socket
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

import pytest
from aiohttp import web
from aiohttp.abc import AbstractResolver, ResolveResult
from standardwebhooks.webhooks import Webhook

from parcelsms.adapters.webhooks.http_connections import MAX_RESPONSE_BYTES
from parcelsms.adapters.webhooks.sender import (
    WebhookSender,
    WebhookTimeouts,
    classify_status,
)
from parcelsms.adapters.webhooks.signing import new_signing_secret

BODY = json.dumps({"type": "message.delivered", "data": {"id": "msg_01"}}).encode()


@dataclass
class ReceivedRequest:
    path: str
    headers: dict[str, str]
    body: bytes


@dataclass
class Receiver:
    """The running receiver: its base URL and every request it got."""

    base_url: str
    port: int
    requests: list[ReceivedRequest] = field(default_factory=list)

    def url(self, path: str) -> str:
        return f"{self.base_url}{path}"


@pytest.fixture
async def receiver() -> AsyncIterator[Receiver]:
    release_slow = asyncio.Event()
    received: list[ReceivedRequest] = []

    async def record(request: web.Request) -> None:
        received.append(
            ReceivedRequest(
                path=request.path,
                headers={name.lower(): value for name, value in request.headers.items()},
                body=await request.read(),
            )
        )

    async def ok(request: web.Request) -> web.Response:
        await record(request)
        return web.Response(status=200, text="thanks")

    async def status(request: web.Request) -> web.Response:
        await record(request)
        return web.Response(status=int(request.match_info["code"]), text="status")

    async def slow(request: web.Request) -> web.Response:
        await record(request)
        # Held until the fixture tears down: the client must give up first.
        await release_slow.wait()
        return web.Response(status=200)

    async def big(request: web.Request) -> web.Response:
        await record(request)
        return web.Response(status=200, body=b"x" * (200 * 1024))

    async def redirect(request: web.Request) -> web.Response:
        await record(request)
        raise web.HTTPFound("/ok")

    app = web.Application()
    app.router.add_post("/ok", ok)
    app.router.add_post("/status/{code}", status)
    app.router.add_post("/slow", slow)
    app.router.add_post("/big", big)
    app.router.add_post("/redirect", redirect)
    runner = web.AppRunner(app, shutdown_timeout=1.0)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    host, port = runner.addresses[0][:2]
    try:
        yield Receiver(base_url=f"http://{host}:{port}", port=port, requests=received)
    finally:
        release_slow.set()
        await runner.cleanup()


@pytest.fixture
async def sender() -> AsyncIterator[WebhookSender]:
    async with WebhookSender(allow_private=True) as started:
        yield started


async def test_2xx_is_delivered_with_signed_json(sender: WebhookSender, receiver: Receiver) -> None:
    secret = new_signing_secret()
    result = await sender.deliver(receiver.url("/ok"), secret, "evt_01", BODY)

    assert (result.ok, result.status, result.error, result.retryable) == (True, 200, None, False)
    assert result.duration_ms > 0
    assert result.response_body == b"thanks"
    [request] = receiver.requests
    assert request.body == BODY
    assert request.headers["content-type"] == "application/json"
    assert request.headers["user-agent"] == "parcelsms-webhooks/0.1"
    assert request.headers["webhook-id"] == "evt_01"
    # The receiver's own check, with the reference library.
    assert Webhook(secret).verify(request.body, request.headers) == json.loads(BODY)


@pytest.mark.parametrize("status", [500, 502, 503, 429, 408, 425])
async def test_server_errors_and_rate_limits_are_retryable(
    sender: WebhookSender, receiver: Receiver, status: int
) -> None:
    result = await sender.deliver(
        receiver.url(f"/status/{status}"), new_signing_secret(), "e", BODY
    )
    assert (result.ok, result.status, result.retryable) == (False, status, True)
    assert result.error == f"http_{status}"


@pytest.mark.parametrize("status", [400, 401, 403, 404, 410, 422])
async def test_other_client_errors_are_final(
    sender: WebhookSender, receiver: Receiver, status: int
) -> None:
    result = await sender.deliver(
        receiver.url(f"/status/{status}"), new_signing_secret(), "e", BODY
    )
    assert (result.ok, result.status, result.retryable) == (False, status, False)


async def test_slow_receiver_times_out_and_is_retryable(receiver: Receiver) -> None:
    async with WebhookSender(
        allow_private=True, timeouts=WebhookTimeouts(connect=1.0, total=0.3)
    ) as sender:
        result = await sender.deliver(receiver.url("/slow"), new_signing_secret(), "e", BODY)

    assert (result.ok, result.retryable, result.error, result.status) == (
        False,
        True,
        "timeout",
        None,
    )
    assert 250 <= result.duration_ms < 5000
    assert [request.path for request in receiver.requests] == ["/slow"]


async def test_refused_connection_is_retryable(sender: WebhookSender) -> None:
    # A bound socket that never listens: connecting to it is refused, and no other
    # process can take the port while the test runs.
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as closed:
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]
        result = await sender.deliver(f"http://127.0.0.1:{port}/", new_signing_secret(), "e", BODY)

    assert (result.ok, result.status, result.retryable) == (False, None, True)
    assert result.error is not None
    assert result.error.startswith("connection_error")


async def test_private_target_is_refused_without_sending(receiver: Receiver) -> None:
    async with WebhookSender(allow_private=False) as sender:
        result = await sender.deliver(receiver.url("/ok"), new_signing_secret(), "e", BODY)

    assert (result.ok, result.status, result.retryable) == (False, None, False)
    assert result.error is not None
    assert result.error.startswith("target_refused")
    assert receiver.requests == []


class _NameToLoopback(AbstractResolver):
    """Stands in for DNS: one public-looking name answers with a loopback address."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.lookups = 0

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        self.lookups += 1
        if host != self.name:
            raise OSError(f"unexpected lookup of {host}")
        return [
            ResolveResult(
                hostname=host,
                host="127.0.0.1",
                port=port,
                family=socket.AF_INET,
                proto=0,
                flags=socket.AI_NUMERICHOST,
            )
        ]

    async def close(self) -> None:
        return None


async def test_name_resolving_to_a_private_address_is_refused_at_connect(
    receiver: Receiver,
) -> None:
    dns = _NameToLoopback("hooks.customer.example")
    url = f"http://hooks.customer.example:{receiver.port}/ok"
    async with WebhookSender(allow_private=False, resolver=dns) as sender:
        result = await sender.deliver(url, new_signing_secret(), "e", BODY)

    assert dns.lookups == 1
    assert (result.ok, result.retryable) == (False, False)
    assert result.error is not None
    assert result.error.startswith("target_refused")
    assert "resolves to a private" in result.error
    assert receiver.requests == []


async def test_connection_goes_to_the_address_the_guarded_resolver_returned(
    receiver: Receiver,
) -> None:
    dns = _NameToLoopback("hooks.customer.example")
    url = f"http://hooks.customer.example:{receiver.port}/ok"
    async with WebhookSender(allow_private=True, resolver=dns) as sender:
        result = await sender.deliver(url, new_signing_secret(), "e", BODY)

    assert result.ok
    assert dns.lookups == 1
    assert [request.path for request in receiver.requests] == ["/ok"]


async def test_redirects_are_not_followed(sender: WebhookSender, receiver: Receiver) -> None:
    result = await sender.deliver(receiver.url("/redirect"), new_signing_secret(), "e", BODY)
    assert (result.ok, result.status, result.retryable) == (False, 302, False)
    assert [request.path for request in receiver.requests] == ["/redirect"]


async def test_response_body_is_capped_at_64_kib(sender: WebhookSender, receiver: Receiver) -> None:
    result = await sender.deliver(receiver.url("/big"), new_signing_secret(), "e", BODY)
    assert result.ok
    assert len(result.response_body) == MAX_RESPONSE_BYTES == 64 * 1024
    # The pool still works after the oversized answer was cut off.
    again = await sender.deliver(receiver.url("/ok"), new_signing_secret(), "e2", BODY)
    assert again.ok


async def test_one_session_serves_many_deliveries(
    sender: WebhookSender, receiver: Receiver
) -> None:
    secret = new_signing_secret()
    results = [await sender.deliver(receiver.url("/ok"), secret, f"e{n}", BODY) for n in range(5)]
    assert all(result.ok for result in results)
    assert [request.headers["webhook-id"] for request in receiver.requests] == [
        f"e{n}" for n in range(5)
    ]


async def test_delivering_before_start_is_a_programming_error() -> None:
    sender = WebhookSender(allow_private=True)
    with pytest.raises(RuntimeError, match="start"):
        await sender.deliver("http://127.0.0.1:1/", new_signing_secret(), "e", BODY)


async def test_close_twice_is_harmless() -> None:
    sender = WebhookSender()
    await sender.start()
    await sender.close()
    await sender.close()


@pytest.mark.parametrize(
    ("status", "ok", "retryable"),
    [
        (200, True, False),
        (204, True, False),
        (299, True, False),
        (301, False, False),
        (400, False, False),
        (408, False, True),
        (410, False, False),
        (425, False, True),
        (429, False, True),
        (500, False, True),
        (599, False, True),
        (600, False, False),
    ],
)
def test_status_classification(status: int, ok: bool, retryable: bool) -> None:
    assert classify_status(status) == (ok, retryable)
