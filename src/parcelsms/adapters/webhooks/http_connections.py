"""Keep-alive HTTP/1.1 connections to webhook receivers, and their pool.

:class:`HttpConnection` is a plain :class:`asyncio.Protocol` carrying one request at a
time; the response is parsed by ``httptools`` and its body capped at
:data:`MAX_RESPONSE_BYTES`. :class:`ConnectionPool` keeps idle connections per
:class:`Origin` (at most ``per_host`` each, ``limit`` busy in all), connects only to
addresses the :class:`~parcelsms.adapters.webhooks.target_guard.GuardedResolver` checked,
and sends a request again on a new connection when a reused one closed without answering.
Failures raise :class:`NetworkError`, :class:`ConnectError` or :class:`ResolveError`;
:class:`~parcelsms.adapters.webhooks.sender.WebhookSender` turns them into results.
Why this is written by hand rather than with an HTTP client library: see the sender.
"""

from __future__ import annotations

import asyncio
import socket
import ssl
import time
from dataclasses import dataclass
from typing import cast

import httptools

from parcelsms.adapters.webhooks.target_guard import GuardedResolver

MAX_RESPONSE_BYTES = 64 * 1024
# An idle connection older than this is closed rather than reused: receivers close theirs
# after a few seconds (Node.js: 5 s), and a request on a connection the server is closing
# is lost. A request that still meets a closed connection is sent again on a new one.
_KEEPALIVE_SECONDS = 4.0


class NetworkError(Exception):
    """The connection failed or the answer was unreadable. ``answered``: bytes had come back."""

    def __init__(self, reason: str, *, answered: bool) -> None:
        super().__init__(reason)
        self.answered = answered


class ConnectError(Exception):
    """No connection could be opened (the reason is in the message)."""


class ResolveError(Exception):
    """The host name did not resolve."""


@dataclass(frozen=True, slots=True)
class Origin:
    scheme: str
    host: str
    port: int


@dataclass(frozen=True, slots=True)
class Target:
    """A checked URL, parsed once: where to connect and what to put in the request line."""

    origin: Origin
    literal_address: bool  # the host is an IP address: no resolution
    host_header: str
    path: str


class HttpConnection(asyncio.Protocol):
    """One HTTP/1.1 connection carrying one request at a time, kept alive between them."""

    def __init__(self) -> None:
        self.transport: asyncio.Transport | None = None
        self.reusable = True  # False once closed or left mid-answer
        self.idle_since = 0.0
        self._parser = httptools.HttpResponseParser(self)
        self._waiter: asyncio.Future[tuple[int, bytes]] | None = None
        self._status = 0
        self._chunks: list[bytes] = []
        self._size = 0
        self._headers_done = False
        self._delimited = False  # Content-Length or chunked: the end is known without EOF
        self._answered = False

    # -- asyncio.Protocol

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        # uvloop's transports are not asyncio.Transport subclasses, but they are one.
        self.transport = cast(asyncio.Transport, transport)

    def data_received(self, data: bytes) -> None:
        waiter = self._waiter
        if waiter is None or waiter.done():
            # Bytes no request asked for: the connection is out of step, never reuse it.
            self.close()
            return
        self._answered = True
        try:
            self._parser.feed_data(data)
        except httptools.HttpParserError as error:
            self.close()
            if not waiter.done():
                waiter.set_exception(NetworkError(f"unreadable response: {error}", answered=True))

    def connection_lost(self, exc: Exception | None) -> None:
        self.reusable = False
        waiter = self._waiter
        if waiter is None or waiter.done():
            return
        if self._headers_done and not self._delimited:
            # A body delimited by the end of the connection has ended.
            waiter.set_result((self._status, b"".join(self._chunks)))
            return
        reason = f"connection closed: {exc}" if exc else "connection closed by the receiver"
        waiter.set_exception(NetworkError(reason, answered=self._answered))

    # -- httptools callbacks

    def on_header(self, name: bytes, value: bytes) -> None:
        if name.lower() in (b"content-length", b"transfer-encoding"):
            self._delimited = True

    def on_headers_complete(self) -> None:
        self._headers_done = True
        self._status = self._parser.get_status_code()

    def on_body(self, body: bytes) -> None:
        room = MAX_RESPONSE_BYTES - self._size
        if room > 0:
            piece = body[:room]
            self._chunks.append(piece)
            self._size += len(piece)
        if len(body) > room:
            # Over the cap: answer with what was read; reading the rest costs more than
            # a new connection.
            self._finish()
            self.close()

    def on_message_complete(self) -> None:
        if 100 <= self._status < 200:
            # An interim answer (100 Continue): the real one follows on the same connection.
            self._headers_done = False
            self._delimited = False
            return
        if not self._parser.should_keep_alive():
            self.reusable = False
        self._finish()

    # -- use

    def _finish(self) -> None:
        waiter = self._waiter
        if waiter is not None and not waiter.done():
            waiter.set_result((self._status, b"".join(self._chunks)))

    async def request(self, data: bytes) -> tuple[int, bytes]:
        """Send one request; the answer's status and (capped) body.

        Raises :class:`NetworkError` when the connection fails before the answer ends.
        """
        transport = self.transport
        if transport is None or transport.is_closing():
            raise NetworkError("connection closed", answered=False)
        self._status = 0
        self._chunks = []
        self._size = 0
        self._headers_done = False
        self._delimited = False
        self._answered = False
        waiter: asyncio.Future[tuple[int, bytes]] = asyncio.get_running_loop().create_future()
        self._waiter = waiter
        transport.write(data)
        try:
            return await waiter
        except BaseException:
            # Cancelled (timeout) or failed mid-answer: the connection is in an unknown state.
            self.close()
            raise
        finally:
            self._waiter = None

    def close(self) -> None:
        self.reusable = False
        if self.transport is not None:
            self.transport.abort()


# --- the pool ---------------------------------------------------------------------------


class ConnectionPool:
    """Keep-alive connections per origin, at most ``limit`` busy, ``per_host`` per origin."""

    def __init__(
        self,
        *,
        limit: int,
        per_host: int,
        connect_timeout: float,
        resolver: GuardedResolver,
        ssl_context: ssl.SSLContext,
    ) -> None:
        self._per_host = per_host
        self._connect_timeout = connect_timeout
        self._resolver = resolver
        self._ssl_context = ssl_context
        self._total = asyncio.Semaphore(limit)
        self._origin_limits: dict[Origin, asyncio.Semaphore] = {}
        self._idle: dict[Origin, list[HttpConnection]] = {}
        self._busy: set[HttpConnection] = set()

    async def send(self, target: Target, data: bytes) -> tuple[int, bytes]:
        origin = target.origin
        origin_limit = self._origin_limits.get(origin)
        if origin_limit is None:
            origin_limit = self._origin_limits[origin] = asyncio.Semaphore(self._per_host)
        async with origin_limit, self._total:
            connection = self._take_idle(origin)
            if connection is not None:
                try:
                    return await self._exchange(origin, connection, data)
                except NetworkError as error:
                    if error.answered:
                        raise
                    # The receiver closed the idle connection as it was reused (the
                    # keep-alive race); it never answered: send once more on a new one.
            connection = await self._connect(target)
            return await self._exchange(origin, connection, data)

    async def _exchange(
        self, origin: Origin, connection: HttpConnection, data: bytes
    ) -> tuple[int, bytes]:
        self._busy.add(connection)
        try:
            answer = await connection.request(data)
        finally:
            self._busy.discard(connection)
        if connection.reusable:
            connection.idle_since = time.monotonic()
            idle = self._idle.setdefault(origin, [])
            if len(idle) < self._per_host:
                idle.append(connection)
                return answer
        connection.close()
        return answer

    def _take_idle(self, origin: Origin) -> HttpConnection | None:
        idle = self._idle.get(origin)
        if not idle:
            return None
        fresh_after = time.monotonic() - _KEEPALIVE_SECONDS
        while idle:
            connection = idle.pop()  # the most recently used is the least likely closed
            if connection.reusable and connection.idle_since >= fresh_after:
                return connection
            connection.close()
        return None

    async def _connect(self, target: Target) -> HttpConnection:
        origin = target.origin
        loop = asyncio.get_running_loop()
        addresses = [origin.host] if target.literal_address else await self._resolve(origin)
        secure = origin.scheme == "https"
        last_error: OSError | None = None
        for address in addresses:
            try:
                _, protocol = await asyncio.wait_for(
                    loop.create_connection(
                        HttpConnection,
                        address,
                        origin.port,
                        ssl=self._ssl_context if secure else None,
                        server_hostname=origin.host if secure else None,
                    ),
                    self._connect_timeout,
                )
            except OSError as error:
                last_error = error
                continue
            return protocol
        raise ConnectError(f"cannot connect to {origin.host}:{origin.port}: {last_error}")

    async def _resolve(self, origin: Origin) -> list[str]:
        try:
            results = await self._resolver.resolve(origin.host, origin.port, socket.AF_UNSPEC)
        except OSError as error:
            raise ResolveError(f"cannot resolve {origin.host}: {error}") from error
        addresses = list(dict.fromkeys(result["host"] for result in results))
        if not addresses:
            raise ResolveError(f"cannot resolve {origin.host}: no address")
        return addresses

    def close(self) -> None:
        for idle in self._idle.values():
            for connection in idle:
                connection.close()
        self._idle.clear()
        for connection in list(self._busy):
            connection.close()
