"""Send one signed webhook request and report how it went.

:class:`WebhookSender` owns one pool of keep-alive HTTP/1.1 connections for its whole life:
``await start()`` before the first :meth:`~WebhookSender.deliver`, ``await close()`` at
shutdown (or use it as an async context manager). Every attempt:

1. checks the URL with :func:`~parcelsms.adapters.webhooks.target_guard.check_target`;
2. signs the body with Standard Webhooks headers (timestamp: now, UTC);
3. POSTs it on an idle pooled connection to the same origin, or on a new one: host names
   are resolved by a :class:`~parcelsms.adapters.webhooks.target_guard.GuardedResolver`,
   and the connection goes to an address that was checked;
4. reads at most 64 KiB of the response and classifies it.

Network problems never raise: OS errors, timeouts, unreadable answers and guard refusals
become a :class:`DeliveryResult`, whose ``retryable`` says whether another attempt makes
sense. Redirects are not followed (a redirect to a literal private address would slip past
the resolver), no cookies are kept (receivers of different tenants share the pool), proxy
settings from the environment are ignored, and responses are asked for uncompressed so the
64 KiB cap bounds memory.

Why not an HTTP client library: a webhook goes out for every status change, twice per
message, and aiohttp's client spent about 85 µs of CPU per request here (measured against
a local receiver), 40 % of the whole platform's time under load. The request is always the
same small POST, so it is written by hand and sent on a plain :class:`asyncio.Protocol`;
the response is parsed by ``httptools`` (llhttp, the parser of Node.js and uvicorn), which
handles chunked, length-delimited and close-delimited bodies. That costs about 15 µs a
request. TLS is asyncio's (certificates and host names verified by the default context).
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
import ssl
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from types import TracebackType
from typing import Self, cast

import httptools
import yarl
from aiohttp.abc import AbstractResolver

from parcelsms.adapters.webhooks.signing import sign
from parcelsms.adapters.webhooks.target_guard import GuardedResolver, check_target
from parcelsms.errors import CatalogueError

__all__ = [
    "MAX_RESPONSE_BYTES",
    "USER_AGENT",
    "DeliveryResult",
    "WebhookSender",
    "WebhookTimeouts",
    "classify_status",
]

USER_AGENT = "parcelsms-webhooks/0.1"
MAX_RESPONSE_BYTES = 64 * 1024
_POOL_LIMIT = 100
_POOL_LIMIT_PER_HOST = 10
# An idle connection older than this is closed rather than reused: receivers close theirs
# after a few seconds (Node.js: 5 s), and a request on a connection the server is closing
# is lost. A request that still meets a closed connection is sent again on a new one.
_KEEPALIVE_SECONDS = 4.0
_TARGET_CACHE_LIMIT = 1000
# Statuses that say "not now" rather than "never": timeout, too early, rate limited.
_RETRYABLE_CLIENT_STATUSES = frozenset({408, 425, 429})


@dataclass(frozen=True, slots=True)
class WebhookTimeouts:
    """Seconds allowed for one attempt: ``connect`` for the TCP (and TLS) connect,
    ``total`` for everything from sending to the last byte of the response read."""

    connect: float = 3.0
    total: float = 10.0


@dataclass(frozen=True, slots=True)
class DeliveryResult:
    """Outcome of one attempt.

    ``ok`` for a 2xx answer. ``status`` is the HTTP status when one arrived. ``error`` is
    None when ok, else a short reason starting with a stable word: ``http_<status>``,
    ``timeout``, ``connection_error: ...``, ``dns_error: ...``, ``network_error: ...`` or
    ``target_refused: ...``. ``retryable`` says whether a later attempt may succeed.
    ``response_body`` holds at most the first 64 KiB of the answer.
    """

    ok: bool
    status: int | None
    error: str | None
    retryable: bool
    duration_ms: float
    response_body: bytes = b""


def classify_status(status: int) -> tuple[bool, bool]:
    """``(ok, retryable)`` for an HTTP status.

    2xx is ok. 408, 425, 429 and 5xx are retryable. Every other status — other 4xx, 3xx
    (redirects are not followed, so retrying one changes nothing) and unusual codes — is
    final. 410 Gone is final too: the receiver says the endpoint no longer exists, and the
    caller may want to disable it.
    """
    if 200 <= status <= 299:
        return True, False
    return False, status in _RETRYABLE_CLIENT_STATUSES or 500 <= status <= 599


# --- one connection ---------------------------------------------------------------------


class _NetworkError(Exception):
    """The connection failed or the answer was unreadable. ``answered``: bytes had come back."""

    def __init__(self, reason: str, *, answered: bool) -> None:
        super().__init__(reason)
        self.answered = answered


class _ConnectError(Exception):
    """No connection could be opened (the reason is in the message)."""


class _ResolveError(Exception):
    """The host name did not resolve."""


@dataclass(frozen=True, slots=True)
class _Origin:
    scheme: str
    host: str
    port: int


@dataclass(frozen=True, slots=True)
class _Target:
    """A checked URL, parsed once: where to connect and what to put in the request line."""

    origin: _Origin
    literal_address: bool  # the host is an IP address: no resolution
    host_header: str
    path: str


class _HttpConnection(asyncio.Protocol):
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
                waiter.set_exception(_NetworkError(f"unreadable response: {error}", answered=True))

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
        waiter.set_exception(_NetworkError(reason, answered=self._answered))

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

        Raises :class:`_NetworkError` when the connection fails before the answer ends.
        """
        transport = self.transport
        if transport is None or transport.is_closing():
            raise _NetworkError("connection closed", answered=False)
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


class _ConnectionPool:
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
        self._origin_limits: dict[_Origin, asyncio.Semaphore] = {}
        self._idle: dict[_Origin, list[_HttpConnection]] = {}
        self._busy: set[_HttpConnection] = set()

    async def send(self, target: _Target, data: bytes) -> tuple[int, bytes]:
        origin = target.origin
        origin_limit = self._origin_limits.get(origin)
        if origin_limit is None:
            origin_limit = self._origin_limits[origin] = asyncio.Semaphore(self._per_host)
        async with origin_limit, self._total:
            connection = self._take_idle(origin)
            if connection is not None:
                try:
                    return await self._exchange(origin, connection, data)
                except _NetworkError as error:
                    if error.answered:
                        raise
                    # The receiver closed the idle connection as it was reused (the
                    # keep-alive race); it never answered: send once more on a new one.
            connection = await self._connect(target)
            return await self._exchange(origin, connection, data)

    async def _exchange(
        self, origin: _Origin, connection: _HttpConnection, data: bytes
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

    def _take_idle(self, origin: _Origin) -> _HttpConnection | None:
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

    async def _connect(self, target: _Target) -> _HttpConnection:
        origin = target.origin
        loop = asyncio.get_running_loop()
        addresses = [origin.host] if target.literal_address else await self._resolve(origin)
        secure = origin.scheme == "https"
        last_error: OSError | None = None
        for address in addresses:
            try:
                _, protocol = await asyncio.wait_for(
                    loop.create_connection(
                        _HttpConnection,
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
        raise _ConnectError(f"cannot connect to {origin.host}:{origin.port}: {last_error}")

    async def _resolve(self, origin: _Origin) -> list[str]:
        try:
            results = await self._resolver.resolve(origin.host, origin.port, socket.AF_UNSPEC)
        except OSError as error:
            raise _ResolveError(f"cannot resolve {origin.host}: {error}") from error
        addresses = list(dict.fromkeys(result["host"] for result in results))
        if not addresses:
            raise _ResolveError(f"cannot resolve {origin.host}: no address")
        return addresses

    def close(self) -> None:
        for idle in self._idle.values():
            for connection in idle:
                connection.close()
        self._idle.clear()
        for connection in list(self._busy):
            connection.close()


# --- the sender -------------------------------------------------------------------------


class WebhookSender:
    """Delivers webhook requests through one pool of keep-alive connections.

    ``allow_private`` lets targets on loopback and private networks through (for operators
    whose receivers live inside their network, and for tests). ``resolver`` replaces the
    resolver that :class:`GuardedResolver` wraps (aiohttp's default when None); the guard
    applies to it all the same. ``ssl_context`` verifies HTTPS receivers (the system's
    default trust store when None).
    """

    def __init__(
        self,
        *,
        timeouts: WebhookTimeouts | None = None,
        allow_private: bool = False,
        resolver: AbstractResolver | None = None,
        ssl_context: ssl.SSLContext | None = None,
    ) -> None:
        self._timeouts = timeouts or WebhookTimeouts()
        self._allow_private = allow_private
        self._inner_resolver = resolver
        self._ssl_context = ssl_context
        self._pool: _ConnectionPool | None = None
        self._resolver: GuardedResolver | None = None
        self._targets: dict[str, _Target] = {}

    async def start(self) -> None:
        """Open the connection pool. Must run inside the event loop."""
        if self._pool is not None:
            return
        self._resolver = GuardedResolver(
            allow_private=self._allow_private, inner=self._inner_resolver
        )
        if self._ssl_context is None:
            # Loading the system's trust store reads files: not on the event loop.
            self._ssl_context = await asyncio.to_thread(ssl.create_default_context)
        self._pool = _ConnectionPool(
            limit=_POOL_LIMIT,
            per_host=_POOL_LIMIT_PER_HOST,
            connect_timeout=self._timeouts.connect,
            resolver=self._resolver,
            ssl_context=self._ssl_context,
        )

    async def close(self) -> None:
        """Close every pooled connection and the resolver. Safe to call twice."""
        if self._pool is not None:
            pool, self._pool = self._pool, None
            pool.close()
        if self._resolver is not None:
            resolver, self._resolver = self._resolver, None
            await resolver.close()

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.close()

    async def deliver(self, url: str, secret: str, event_id: str, body: bytes) -> DeliveryResult:
        """POST ``body`` (JSON) to ``url``, signed with ``secret`` under id ``event_id``.

        Never raises for network problems or refused targets (see :class:`DeliveryResult`).
        Raises ValueError for a malformed secret or event id or a non-UTF-8 body (see
        :func:`~parcelsms.adapters.webhooks.signing.sign`) and RuntimeError when
        :meth:`start` has not run.
        """
        pool = self._pool
        if pool is None:
            raise RuntimeError("WebhookSender.start() must be awaited before deliver()")
        started = time.perf_counter()
        try:
            target = self._target(url)
        except CatalogueError as refusal:
            return _failure(started, f"target_refused: {refusal.message}", retryable=False)

        signature = sign(secret, event_id, datetime.now(UTC), body)
        head = (
            f"POST {target.path} HTTP/1.1\r\n"
            f"Host: {target.host_header}\r\n"
            f"User-Agent: {USER_AGENT}\r\n"
            "Content-Type: application/json\r\n"
            "Accept-Encoding: identity\r\n"
            f"Content-Length: {len(body)}\r\n"
            f"webhook-id: {signature['webhook-id']}\r\n"
            f"webhook-timestamp: {signature['webhook-timestamp']}\r\n"
            f"webhook-signature: {signature['webhook-signature']}\r\n"
            "\r\n"
        )
        try:
            async with asyncio.timeout(self._timeouts.total):
                status, response_body = await pool.send(target, head.encode("latin-1") + body)
        except CatalogueError as refusal:
            # Raised by GuardedResolver: the name resolved to a non-public address.
            return _failure(started, f"target_refused: {refusal.message}", retryable=False)
        except TimeoutError:
            return _failure(started, "timeout", retryable=True)
        except _ResolveError as error:
            return _failure(started, f"dns_error: {error}", retryable=True)
        except _ConnectError as error:
            return _failure(started, f"connection_error: {error}", retryable=True)
        except (_NetworkError, OSError) as error:
            reason = f"network_error: {type(error).__name__}: {error}"
            return _failure(started, reason, retryable=True)

        ok, retryable = classify_status(status)
        return DeliveryResult(
            ok=ok,
            status=status,
            error=None if ok else f"http_{status}",
            retryable=retryable,
            duration_ms=_elapsed_ms(started),
            response_body=response_body,
        )

    def _target(self, url: str) -> _Target:
        """``url`` checked and parsed, remembered (the check reads the URL alone, no DNS)."""
        target = self._targets.get(url)
        if target is not None:
            return target
        check_target(url, allow_private=self._allow_private)
        parsed = yarl.URL(url)
        host = parsed.raw_host or ""
        port = parsed.port or (443 if parsed.scheme == "https" else 80)
        try:
            ipaddress.ip_address(host)
        except ValueError:
            literal = False
        else:
            literal = True
        bracketed = f"[{host}]" if ":" in host else host
        explicit = parsed.explicit_port
        target = _Target(
            origin=_Origin(parsed.scheme, host, port),
            literal_address=literal,
            host_header=bracketed if explicit is None else f"{bracketed}:{explicit}",
            path=parsed.raw_path_qs or "/",
        )
        if len(self._targets) >= _TARGET_CACHE_LIMIT:
            self._targets.clear()
        self._targets[url] = target
        return target


def _elapsed_ms(started: float) -> float:
    return (time.perf_counter() - started) * 1000.0


def _failure(
    started: float, error: str, *, retryable: bool, status: int | None = None
) -> DeliveryResult:
    return DeliveryResult(
        ok=False,
        status=status,
        error=error,
        retryable=retryable,
        duration_ms=_elapsed_ms(started),
    )
