"""Send one signed webhook request and report how it went.

:class:`WebhookSender` owns one aiohttp session (one connection pool) for its whole life:
``await start()`` before the first :meth:`~WebhookSender.deliver`, ``await close()`` at
shutdown (or use it as an async context manager). Every attempt:

1. checks the URL with :func:`~parcelsms.adapters.webhooks.target_guard.check_target`;
2. signs the body with Standard Webhooks headers (timestamp: now, UTC);
3. POSTs it; host names are resolved by a
   :class:`~parcelsms.adapters.webhooks.target_guard.GuardedResolver`, so the connection
   goes to an address that was checked;
4. reads at most 64 KiB of the response and classifies it.

Network problems never raise: aiohttp and OS errors, timeouts and guard refusals become a
:class:`DeliveryResult`, whose ``retryable`` says whether another attempt makes sense.
Redirects are not followed (a redirect to a literal private address would slip past the
resolver), cookies are not kept (receivers of different tenants share the session), proxy
settings from the environment are ignored, and responses are asked for uncompressed so the
64 KiB cap bounds memory.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import UTC, datetime
from types import TracebackType
from typing import Self

import aiohttp
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
_DNS_CACHE_SECONDS = 60
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
    """Delivers webhook requests through one pooled aiohttp session.

    ``allow_private`` lets targets on loopback and private networks through (for operators
    whose receivers live inside their network, and for tests). ``resolver`` replaces the
    resolver that :class:`GuardedResolver` wraps (aiohttp's default when None); the guard
    applies to it all the same.
    """

    def __init__(
        self,
        *,
        timeouts: WebhookTimeouts | None = None,
        allow_private: bool = False,
        resolver: AbstractResolver | None = None,
    ) -> None:
        self._timeouts = timeouts or WebhookTimeouts()
        self._allow_private = allow_private
        self._inner_resolver = resolver
        self._session: aiohttp.ClientSession | None = None
        self._resolver: GuardedResolver | None = None

    async def start(self) -> None:
        """Open the session and its connection pool. Must run inside the event loop."""
        if self._session is not None:
            return
        connector = aiohttp.TCPConnector(
            limit=_POOL_LIMIT,
            limit_per_host=_POOL_LIMIT_PER_HOST,
            ttl_dns_cache=_DNS_CACHE_SECONDS,
            resolver=GuardedResolver(allow_private=self._allow_private, inner=self._inner_resolver),
        )
        self._session = aiohttp.ClientSession(
            connector=connector,
            timeout=aiohttp.ClientTimeout(
                total=self._timeouts.total, sock_connect=self._timeouts.connect
            ),
            cookie_jar=aiohttp.DummyCookieJar(),
            auto_decompress=False,
            trust_env=False,
        )

    async def close(self) -> None:
        """Close the session and every pooled connection. Safe to call twice."""
        if self._session is not None:
            session, self._session = self._session, None
            await session.close()
        if self._resolver is not None:
            # A connector closes only resolvers it created itself.
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
        session = self._session
        if session is None:
            raise RuntimeError("WebhookSender.start() must be awaited before deliver()")
        started = time.perf_counter()
        try:
            check_target(url, allow_private=self._allow_private)
        except CatalogueError as refusal:
            return _failure(started, f"target_refused: {refusal.message}", retryable=False)

        headers = {
            "content-type": "application/json",
            "user-agent": USER_AGENT,
            "accept-encoding": "identity",
            **sign(secret, event_id, datetime.now(UTC), body),
        }
        status: int | None = None
        try:
            async with session.post(
                url, data=body, headers=headers, allow_redirects=False
            ) as response:
                status = response.status
                response_body = await _read_capped(response)
        except CatalogueError as refusal:
            # Raised by GuardedResolver: the name resolved to a non-public address.
            return _failure(started, f"target_refused: {refusal.message}", retryable=False)
        except TimeoutError:
            # aiohttp's connect and read timeouts derive from TimeoutError too.
            return _failure(started, "timeout", retryable=True, status=status)
        except aiohttp.ClientConnectorDNSError as error:
            return _failure(started, f"dns_error: {error}", retryable=True)
        except aiohttp.ClientConnectorError as error:
            return _failure(started, f"connection_error: {error}", retryable=True)
        except (aiohttp.ClientError, OSError) as error:
            reason = f"network_error: {type(error).__name__}: {error}"
            return _failure(started, reason, retryable=True, status=status)

        ok, retryable = classify_status(status)
        return DeliveryResult(
            ok=ok,
            status=status,
            error=None if ok else f"http_{status}",
            retryable=retryable,
            duration_ms=_elapsed_ms(started),
            response_body=response_body,
        )


async def _read_capped(response: aiohttp.ClientResponse) -> bytes:
    """Up to MAX_RESPONSE_BYTES of the body; a longer body's connection is dropped."""
    chunks: list[bytes] = []
    remaining = MAX_RESPONSE_BYTES
    while remaining > 0:
        chunk = await response.content.read(remaining)
        if not chunk:
            break
        chunks.append(chunk)
        remaining -= len(chunk)
    if not response.content.at_eof():
        # Draining an unbounded body to reuse the connection costs more than a new one.
        response.close()
    return b"".join(chunks)


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
