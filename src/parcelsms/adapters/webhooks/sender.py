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

The connections and their pool are :mod:`parcelsms.adapters.webhooks.http_connections`.

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
import ssl
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from types import TracebackType
from typing import Self

import yarl
from aiohttp.abc import AbstractResolver

from parcelsms.adapters.webhooks.http_connections import (
    ConnectError,
    ConnectionPool,
    NetworkError,
    Origin,
    ResolveError,
    Target,
)
from parcelsms.adapters.webhooks.signing import sign
from parcelsms.adapters.webhooks.target_guard import GuardedResolver, check_target
from parcelsms.errors import CatalogueError

__all__ = [
    "USER_AGENT",
    "DeliveryResult",
    "WebhookSender",
    "WebhookTimeouts",
    "classify_status",
]

USER_AGENT = "parcelsms-webhooks/0.1"
_POOL_LIMIT = 100
_POOL_LIMIT_PER_HOST = 10
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


class WebhookSender:
    """Delivers webhook requests through one pool of keep-alive connections.

    ``allow_private`` lets targets on loopback and private networks through (for operators
    whose receivers live inside their network, and for tests). ``resolver`` replaces the
    resolver that :class:`GuardedResolver` wraps (aiohttp's default when None); the guard
    applies to it all the same. ``ssl_context`` verifies HTTPS receivers (the system's
    default trust store when None). ``connections_per_host`` caps the connections to one
    origin (a caller that limits its own requests per URL passes that limit, so requests
    never queue here, inside their timeout).
    """

    def __init__(
        self,
        *,
        timeouts: WebhookTimeouts | None = None,
        allow_private: bool = False,
        resolver: AbstractResolver | None = None,
        ssl_context: ssl.SSLContext | None = None,
        connections_per_host: int = _POOL_LIMIT_PER_HOST,
    ) -> None:
        self._timeouts = timeouts or WebhookTimeouts()
        self._per_host = connections_per_host
        self._allow_private = allow_private
        self._inner_resolver = resolver
        self._ssl_context = ssl_context
        self._pool: ConnectionPool | None = None
        self._resolver: GuardedResolver | None = None
        self._targets: dict[str, Target] = {}

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
        self._pool = ConnectionPool(
            limit=_POOL_LIMIT,
            per_host=self._per_host,
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

    async def deliver(
        self, url: str, secret: str | Sequence[str], event_id: str, body: bytes
    ) -> DeliveryResult:
        """POST ``body`` (JSON) to ``url``, signed with ``secret`` (or each of several
        secrets: a rotation's overlap) under id ``event_id``.

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
        except ResolveError as error:
            return _failure(started, f"dns_error: {error}", retryable=True)
        except ConnectError as error:
            return _failure(started, f"connection_error: {error}", retryable=True)
        except (NetworkError, OSError) as error:
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

    def _target(self, url: str) -> Target:
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
        target = Target(
            origin=Origin(parsed.scheme, host, port),
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
