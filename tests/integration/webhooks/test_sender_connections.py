"""WebhookSender's own HTTP/1.1 connections: keep-alive, odd answers, TLS.

The receivers here are raw asyncio servers on 127.0.0.1 (port 0) that answer with exact
bytes, so each test controls what the sender's parser and pool meet.
"""

from __future__ import annotations

import asyncio
import json
import ssl
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from typing import Protocol

import pytest
import trustme
from aiohttp import web

from parcelsms.adapters.webhooks.sender import WebhookSender, WebhookTimeouts
from parcelsms.adapters.webhooks.signing import new_signing_secret

BODY = json.dumps({"type": "message.delivered", "data": {"id": "msg_01"}}).encode()
NO_CONTENT = b"HTTP/1.1 204 No Content\r\n\r\n"

# Answers one request read from the connection: the bytes to send back, or None to close
# the connection without answering. ``number`` counts requests on this connection from 1.
Answer = Callable[[int, bytes], bytes | None]


class StartReceiver(Protocol):
    def __call__(
        self, answer: Answer, close_after_reply: bool = False
    ) -> Awaitable[RawReceiver]: ...


@dataclass
class RawReceiver:
    """A receiver that answers with exact bytes, counting connections and requests."""

    port: int
    connections: int = 0
    requests: list[bytes] = field(default_factory=list)

    def url(self, path: str = "/hook") -> str:
        return f"http://127.0.0.1:{self.port}{path}"


async def _read_request(reader: asyncio.StreamReader) -> bytes | None:
    try:
        head = await reader.readuntil(b"\r\n\r\n")
    except (asyncio.IncompleteReadError, ConnectionError):
        return None
    length = 0
    for line in head.split(b"\r\n"):
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value)
    return head + await reader.readexactly(length)


@pytest.fixture
async def raw_receiver() -> AsyncIterator[StartReceiver]:
    """``await raw_receiver(answer, close_after_reply=False)`` starts a receiver."""
    servers: list[asyncio.Server] = []

    async def start(answer: Answer, close_after_reply: bool = False) -> RawReceiver:
        receiver = RawReceiver(port=0)

        async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            receiver.connections += 1
            number = 0
            try:
                while (request := await _read_request(reader)) is not None:
                    number += 1
                    receiver.requests.append(request)
                    reply = answer(number, request)
                    if reply is None:
                        break
                    writer.write(reply)
                    await writer.drain()
                    if close_after_reply:
                        break
            finally:
                writer.close()

        server = await asyncio.start_server(serve, "127.0.0.1", 0)
        servers.append(server)
        receiver.port = server.sockets[0].getsockname()[1]
        return receiver

    yield start
    for server in servers:
        server.close()
        await server.wait_closed()


@pytest.fixture
async def sender() -> AsyncIterator[WebhookSender]:
    async with WebhookSender(
        allow_private=True, timeouts=WebhookTimeouts(connect=2.0, total=5.0)
    ) as started:
        yield started


async def test_sequential_deliveries_share_one_connection(
    sender: WebhookSender, raw_receiver: StartReceiver
) -> None:
    receiver = await raw_receiver(lambda number, request: NO_CONTENT)
    secret = new_signing_secret()
    results = [await sender.deliver(receiver.url(), secret, f"e{n}", BODY) for n in range(5)]

    assert [result.status for result in results] == [204] * 5
    assert receiver.connections == 1
    assert len(receiver.requests) == 5


async def test_request_carries_host_length_and_the_body(
    sender: WebhookSender, raw_receiver: StartReceiver
) -> None:
    receiver = await raw_receiver(lambda number, request: NO_CONTENT)
    result = await sender.deliver(receiver.url("/hook?tenant=7"), new_signing_secret(), "e", BODY)

    assert result.ok
    [request] = receiver.requests
    head, _, body = request.partition(b"\r\n\r\n")
    lines = head.split(b"\r\n")
    assert lines[0] == b"POST /hook?tenant=7 HTTP/1.1"
    headers = {
        name.strip().lower(): value.strip()
        for name, _, value in (line.partition(b":") for line in lines[1:])
    }
    assert headers[b"host"] == f"127.0.0.1:{receiver.port}".encode()
    assert headers[b"content-length"] == str(len(BODY)).encode()
    assert headers[b"accept-encoding"] == b"identity"
    assert body == BODY


async def test_a_connection_the_receiver_drops_on_reuse_is_replaced(
    sender: WebhookSender, raw_receiver: StartReceiver
) -> None:
    # Every connection answers its first request and drops the next one unanswered, as a
    # receiver does when its keep-alive timeout fires just as a request arrives.
    receiver = await raw_receiver(lambda number, request: NO_CONTENT if number == 1 else None)
    secret = new_signing_secret()
    first = await sender.deliver(receiver.url(), secret, "e1", BODY)
    second = await sender.deliver(receiver.url(), secret, "e2", BODY)

    assert (first.status, second.status) == (204, 204)
    assert receiver.connections == 2
    sent_ids = [
        request.split(b"webhook-id: ")[1].split(b"\r\n")[0] for request in receiver.requests
    ]
    assert sent_ids == [b"e1", b"e2", b"e2"]


async def test_connection_close_is_honoured(
    sender: WebhookSender, raw_receiver: StartReceiver
) -> None:
    receiver = await raw_receiver(
        lambda number, request: (
            b"HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 2\r\n\r\nok"
        )
    )
    secret = new_signing_secret()
    results = [await sender.deliver(receiver.url(), secret, f"e{n}", BODY) for n in range(3)]

    assert [(result.status, result.response_body) for result in results] == [(200, b"ok")] * 3
    assert receiver.connections == 3


async def test_chunked_answer_is_read_whole(
    sender: WebhookSender, raw_receiver: StartReceiver
) -> None:
    receiver = await raw_receiver(
        lambda number, request: (
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
            b"5\r\nthank\r\n4\r\n you\r\n0\r\n\r\n"
        )
    )
    first = await sender.deliver(receiver.url(), new_signing_secret(), "e1", BODY)
    second = await sender.deliver(receiver.url(), new_signing_secret(), "e2", BODY)

    assert (first.status, first.response_body) == (200, b"thank you")
    assert second.ok
    assert receiver.connections == 1


async def test_answer_delimited_by_closing_the_connection_is_read(
    sender: WebhookSender, raw_receiver: StartReceiver
) -> None:
    # No Content-Length, not chunked: the body ends when the receiver closes.
    receiver = await raw_receiver(
        lambda number, request: b"HTTP/1.1 500 Internal Server Error\r\n\r\nbroken",
        close_after_reply=True,
    )
    result = await sender.deliver(receiver.url(), new_signing_secret(), "e", BODY)

    assert (result.status, result.retryable, result.response_body) == (500, True, b"broken")


async def test_interim_answer_is_skipped(
    sender: WebhookSender, raw_receiver: StartReceiver
) -> None:
    receiver = await raw_receiver(
        lambda number, request: b"HTTP/1.1 100 Continue\r\n\r\n" + NO_CONTENT
    )
    result = await sender.deliver(receiver.url(), new_signing_secret(), "e", BODY)
    assert (result.ok, result.status) == (True, 204)


async def test_unreadable_answer_is_a_retryable_network_error(
    sender: WebhookSender, raw_receiver: StartReceiver
) -> None:
    receiver = await raw_receiver(lambda number, request: b"HELLO THERE\r\n\r\n")
    result = await sender.deliver(receiver.url(), new_signing_secret(), "e", BODY)

    assert (result.ok, result.status, result.retryable) == (False, None, True)
    assert result.error is not None
    assert result.error.startswith("network_error")


async def test_receiver_closing_without_answer_is_a_retryable_network_error(
    sender: WebhookSender, raw_receiver: StartReceiver
) -> None:
    receiver = await raw_receiver(lambda number, request: None)
    result = await sender.deliver(receiver.url(), new_signing_secret(), "e", BODY)

    assert (result.ok, result.retryable) == (False, True)
    assert result.error is not None
    assert result.error.startswith("network_error")
    # A new connection that fails is not tried again: the request went out once.
    assert len(receiver.requests) == 1


async def test_timed_out_connection_is_not_reused(
    raw_receiver: StartReceiver,
) -> None:
    answers_left = asyncio.Event()

    def answer(number: int, request: bytes) -> bytes | None:
        # The first request never gets its answer in time: the receiver answers it only
        # when the second arrives, which a reused connection would mistake for its own.
        return NO_CONTENT if answers_left.is_set() else b""

    receiver = await raw_receiver(answer)
    async with WebhookSender(
        allow_private=True, timeouts=WebhookTimeouts(connect=1.0, total=0.3)
    ) as sender:
        first = await sender.deliver(receiver.url(), new_signing_secret(), "e1", BODY)
        answers_left.set()
        second = await sender.deliver(receiver.url(), new_signing_secret(), "e2", BODY)

    assert first.error == "timeout"
    assert second.ok
    assert receiver.connections == 2


@pytest.fixture(scope="module")
def certificate_authority() -> trustme.CA:
    return trustme.CA()


@pytest.fixture
async def tls_receiver(certificate_authority: trustme.CA) -> AsyncIterator[str]:
    server_context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    certificate_authority.issue_cert("127.0.0.1", "localhost").configure_cert(server_context)

    async def ok(request: web.Request) -> web.Response:
        await request.read()
        return web.Response(status=200, text="secure")

    app = web.Application()
    app.router.add_post("/hook", ok)
    runner = web.AppRunner(app, shutdown_timeout=1.0)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0, ssl_context=server_context)
    await site.start()
    port = runner.addresses[0][1]
    try:
        yield f"https://127.0.0.1:{port}/hook"
    finally:
        await runner.cleanup()


async def test_https_receiver_with_a_trusted_certificate(
    tls_receiver: str, certificate_authority: trustme.CA
) -> None:
    client_context = ssl.create_default_context()
    certificate_authority.configure_trust(client_context)
    async with WebhookSender(allow_private=True, ssl_context=client_context) as sender:
        results = [
            await sender.deliver(tls_receiver, new_signing_secret(), f"e{n}", BODY)
            for n in range(2)
        ]
    assert [(result.status, result.response_body) for result in results] == [(200, b"secure")] * 2


async def test_https_receiver_with_an_unknown_certificate_is_refused(tls_receiver: str) -> None:
    async with WebhookSender(allow_private=True) as sender:
        result = await sender.deliver(tls_receiver, new_signing_secret(), "e", BODY)

    assert (result.ok, result.retryable) == (False, True)
    assert result.error is not None
    assert result.error.startswith("connection_error")
    assert "CERTIFICATE_VERIFY_FAILED" in result.error
