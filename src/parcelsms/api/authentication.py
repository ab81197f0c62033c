"""Who is calling, and may they do this: API keys, signatures, scopes, allowlists, rates.

A request authenticates with ``Authorization: Bearer <key>`` or by signing
(:mod:`parcelsms.api.signed_requests`). A route marked ``query_key`` (the legacy
``GET /v1/messages/send``) also takes the key as the ``api_key`` query parameter when no
``Authorization`` header is sent, and only for a key the operator allowed it for
(``query_key_allowed``); such a request that did not arrive over HTTPS (``scope["scheme"]``,
which uvicorn sets from ``X-Forwarded-Proto`` only for ``[server] trusted_proxies``) is
refused with ``https_required`` before the key is even looked up. The query string is never
logged. Then, in this order:

1. the key's account exists and is not suspended (``account_suspended``; routes marked
   ``allowed_when_suspended`` — reading the account, listing and revoking keys — still
   answer, so a suspended sender can see why and revoke a leaked key);
2. a key that must sign was not sent as Bearer (``unauthorized``);
3. the caller's address is inside the key's IP allowlist (``forbidden``);
4. the key holds the route's scope (``forbidden`` naming it);
5. the key is within its request rate (``rate_limited`` with ``Retry-After``): one bucket per
   key shared by every API process through storage when the composition root passes
   ``shared_rates`` (:mod:`parcelsms.pipeline.shared_request_rate`, which states the
   tolerance), else a bucket in this process.

Every route of the table declares its scope; :meth:`Authenticator.authorize_route` runs the
checks before the handler, and the handler's own ``authenticate(request)`` call returns the
same :class:`Caller` without checking again.

Caching (the platform's one key cache; storage reads keys afresh): a verified Bearer key, a
key's signing grant and an account's state are reused for ``cache_seconds`` (2 s by
default), so the hot path usually asks storage nothing. :meth:`forget_key` and
:meth:`forget_account` drop entries at once (revocation and suspension through this
process) and announce the change to every process through the cache change signal
(:mod:`parcelsms.pipeline.ttl_cache`), whose caches then start empty; without a signal a
change made by another process is seen after at most ``cache_seconds``. Bearer
keys are cached under a SHA-256 digest of the presented key, so plaintext keys are not kept
as dictionary keys.

Key usage is recorded in the background, at most once a minute per key from this process.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Protocol
from urllib.parse import parse_qsl

from starlette.requests import Request

from parcelsms.api.route_table import ApiRoute
from parcelsms.api.signed_requests import SignatureVerifier, SigningKeys, is_signed
from parcelsms.domain.api_keys import ADMIN_SCOPE
from parcelsms.domain.error_catalogue import error
from parcelsms.domain.ip_allowlist import address_allowed
from parcelsms.domain.request_rate import RequestRateLimiter
from parcelsms.errors import CatalogueError
from parcelsms.pipeline.account_security_ports import Account, Actor, KeyGrant
from parcelsms.pipeline.shared_request_rate import SharedRequestRate
from parcelsms.pipeline.ttl_cache import TtlCache

_log = logging.getLogger(__name__)


class _CachedSigningKeys:
    """A key's signing grant through the authenticator's cache (positive answers only, so a
    new key works at once); nonces always go to the store."""

    def __init__(self, keys: SigningKeys, cache: TtlCache[str, tuple[KeyGrant, bytes]]) -> None:
        self._keys = keys
        self._cache = cache

    async def signing_grant(self, key_id: str) -> tuple[KeyGrant, bytes] | None:
        cached = self._cache.get(key_id)
        if cached is not None:
            return cached
        found = await self._keys.signing_grant(key_id)
        if found is not None:
            self._cache.put(key_id, found)
        return found

    async def remember_nonce(self, key_id: str, nonce: str, expires_at: datetime) -> bool:
        return await self._keys.remember_nonce(key_id, nonce, expires_at)


def _is_grant(grant: KeyGrant | None) -> bool:
    return grant is not None


_CACHE_LIMIT = 10_000
_TOUCH_INTERVAL = 60.0
# A real key is about 75 characters; longer headers are refused before hashing anything.
_MAX_KEY_LENGTH = 256
_STATE_KEY = "parcelsms.caller"
ADMIN_TOKEN_CALLER = "admin_token"  # noqa: S105 - a caller name, not a secret


@dataclass(frozen=True, slots=True)
class Caller:
    """An authenticated request's key, account and scopes."""

    key_id: str
    account_id: str
    currency: str
    scopes: tuple[str, ...] = ()
    request_id: str | None = None

    @property
    def actor(self) -> Actor:
        """The caller as the audit log names it (the bootstrap token has no key id)."""
        if self.key_id == ADMIN_TOKEN_CALLER:
            return Actor(name=ADMIN_TOKEN_CALLER, request_id=self.request_id)
        return Actor(name=self.key_id, key_id=self.key_id, request_id=self.request_id)


@dataclass(frozen=True, slots=True)
class RateDefaults:
    """Requests per second and burst of keys without their own limits (``0``: no limit)."""

    per_second: float = 100.0
    burst: int = 200


class KeyAuthority(SigningKeys, Protocol):
    """The parts of the storage port authentication needs."""

    async def authorize_key(self, plaintext: str) -> KeyGrant | None: ...

    async def get_account(self, account_id: str) -> Account | None: ...

    async def touch_key_usage(self, key_id: str, at: datetime) -> None: ...


def _unauthorized(message: str) -> CatalogueError:
    return error("unauthorized", message)


def _client_address(request: Request) -> str | None:
    client = request.client
    return client.host if client is not None else None


def _request_id(request: Request) -> str | None:
    state = request.scope.get("state")
    value = state.get("request_id") if isinstance(state, dict) else None
    return value if isinstance(value, str) else None


class Authenticator:
    """Resolves a request to a :class:`Caller` and enforces its key's limits."""

    def __init__(
        self,
        keys: KeyAuthority,
        *,
        cache_seconds: float = 2.0,
        clock: Callable[[], float] = time.monotonic,
        rates: RateDefaults | None = None,
        max_body_bytes: int = 1_048_576,
        wall_clock: Callable[[], float] = time.time,
        admin_token_matches: Callable[[str], bool] | None = None,
        shared_rates: SharedRequestRate | None = None,
    ) -> None:
        self._keys = keys
        self._clock = clock
        self._rates = rates or RateDefaults()
        self._limiter = RequestRateLimiter(clock)
        self._shared_rates = shared_rates
        # The one key cache: verified Bearer keys (by digest) and signing grants (by key id).
        self._signing_grants: TtlCache[str, tuple[KeyGrant, bytes]] = TtlCache(
            cache_seconds, clock=clock
        )
        self._signatures = SignatureVerifier(
            _CachedSigningKeys(keys, self._signing_grants),
            max_body_bytes=max_body_bytes,
            wall_clock=wall_clock,
        )
        self._admin_token_matches = admin_token_matches
        # Unknown keys (None) are never kept (see _verified_grant).
        self._grants: TtlCache[bytes, KeyGrant | None] = TtlCache(cache_seconds, clock=clock)
        self._account_cache: TtlCache[str, Account | None] = TtlCache(cache_seconds, clock=clock)
        self._touched: dict[str, float] = {}
        self._background: set[asyncio.Task[None]] = set()

    async def authorize_route(self, request: Request, route: ApiRoute) -> None:
        """Run every check for ``route`` (called before its handler)."""
        await self.authenticate(
            request,
            route.scope,
            allowed_when_suspended=route.allowed_when_suspended,
            query_key=route.query_key,
        )

    async def authenticate(
        self,
        request: Request,
        scope: str | None = None,
        *,
        allowed_when_suspended: bool = False,
        query_key: bool = False,
    ) -> Caller:
        """The caller of ``request`` after the checks of the module docstring.

        ``scope`` ``None`` checks no scope (the route wrapper has checked it already);
        ``query_key`` accepts the key as the ``api_key`` query parameter.
        """
        state = request.scope.setdefault("state", {})
        known = state.get(_STATE_KEY)
        if isinstance(known, Caller):
            if scope is not None and scope not in known.scopes:
                raise _missing_scope(scope)
            return known
        now = self._clock()
        if is_signed(request):
            grant = await self._signatures.verify(request)
        else:
            admin = self._admin_token_caller(request, scope)
            if admin is not None:
                state[_STATE_KEY] = admin
                return admin
            grant = await self._bearer_grant(request, query_key)
            if grant.require_signature:
                raise _unauthorized(
                    "This key must sign its requests; Bearer authentication is disabled for it."
                )
        account = await self._account(grant.account_id)
        if account is None:
            raise _unauthorized("The API key's account does not exist.")
        if account.status != "active" and not allowed_when_suspended:
            raise error("account_suspended")
        if grant.allowed_networks is not None:
            address = _client_address(request)
            if not address_allowed(address, grant.allowed_networks):
                raise error(
                    "forbidden", f"This key may not be used from {address or 'this address'}."
                )
        if scope is not None and scope not in grant.scopes:
            raise _missing_scope(scope)
        await self._check_rate(grant)
        self._touch(grant.key_id, now)
        caller = Caller(
            key_id=grant.key_id,
            account_id=account.id,
            currency=account.currency,
            scopes=grant.scopes,
            request_id=_request_id(request),
        )
        state[_STATE_KEY] = caller
        return caller

    def _admin_token_caller(self, request: Request, scope: str | None) -> Caller | None:
        """The bootstrap operator token, accepted on admin routes only (see THREAT_MODEL)."""
        if self._admin_token_matches is None or scope != ADMIN_SCOPE:
            return None
        token = _bearer_credential(request)
        if token is None or token.startswith("psk_") or not self._admin_token_matches(token):
            return None
        return Caller(
            key_id=ADMIN_TOKEN_CALLER,
            account_id="",
            currency="",
            scopes=(ADMIN_SCOPE,),
            request_id=_request_id(request),
        )

    async def _bearer_grant(self, request: Request, query_key: bool = False) -> KeyGrant:
        key = _bearer_credential(request)
        from_query = False
        if key is None and query_key:
            key = query_credential(request)
            from_query = key is not None
            if from_query and request.scope.get("scheme") != "https":
                raise error("https_required")
        if key is None:
            raise _unauthorized(
                "Send your API key as `Authorization: Bearer <key>`, or sign the request."
            )
        grant = await self._verified_grant(key)
        if from_query and not grant.query_key_allowed:
            raise _unauthorized(
                "This key may not be sent as a query parameter; send it as "
                "`Authorization: Bearer <key>` (the operator can allow it for the key)."
            )
        return grant

    async def _verified_grant(self, key: str) -> KeyGrant:
        if len(key) > _MAX_KEY_LENGTH:
            raise _unauthorized("The API key is not valid.")
        # Headers arrive latin-1 decoded, so this encoding never fails.
        digest = hashlib.sha256(key.encode("latin-1")).digest()
        # Concurrent requests with one key share one read; an unknown key is not cached. No
        # forget() either: a stale entry is never returned, and forgetting announces a change
        # to every process, which a stream of bad keys must not cause.
        grant = await self._grants.fetch(
            digest, lambda: self._keys.authorize_key(key), keep=_is_grant
        )
        if grant is None:
            raise _unauthorized("The API key is not valid, or it was revoked.")
        return grant

    async def _account(self, account_id: str) -> Account | None:
        return await self._account_cache.fetch(
            account_id, lambda: self._keys.get_account(account_id)
        )

    async def _check_rate(self, grant: KeyGrant) -> None:
        rate = (
            grant.rate_per_second if grant.rate_per_second is not None else self._rates.per_second
        )
        burst = grant.rate_burst if grant.rate_burst is not None else self._rates.burst
        shared = self._shared_rates
        if shared is None:
            wait = self._limiter.take(grant.key_id, rate, burst)
        else:
            wait = await shared.take(grant.key_id, rate, burst)
        if wait > 0:
            raise error(
                "rate_limited",
                f"This key may make {rate:g} requests per second (bursts of {burst}); "
                "retry after the Retry-After header's seconds.",
                retry_after=wait,
            )

    def forget_key(self, key_id: str) -> None:
        """Drop cached answers for ``key_id`` (call after revoking it)."""
        self._grants.forget_where(lambda _, grant: grant is not None and grant.key_id == key_id)
        self._signing_grants.forget(key_id)

    def forget_account(self, account_id: str) -> None:
        """Drop the cached state of ``account_id`` (call after suspending or reactivating it)."""
        self._account_cache.forget(account_id)

    def _touch(self, key_id: str, now: float) -> None:
        last = self._touched.get(key_id)
        if last is not None and now - last < _TOUCH_INTERVAL:
            return
        if len(self._touched) >= _CACHE_LIMIT:
            self._touched.clear()
        self._touched[key_id] = now
        task = asyncio.get_running_loop().create_task(
            self._keys.touch_key_usage(key_id, datetime.now(UTC))
        )
        self._background.add(task)
        task.add_done_callback(self._touch_done)

    def _touch_done(self, task: asyncio.Task[None]) -> None:
        self._background.discard(task)
        if task.cancelled():
            return
        problem = task.exception()
        if problem is not None:
            # Usage tracking is informational; a failure must not fail any request.
            _log.warning("could not record API key usage: %s", problem)

    async def drain(self) -> None:
        """Wait for background usage writes (call before closing storage)."""
        if self._background:
            await asyncio.gather(*self._background, return_exceptions=True)


def caller_of(request: Request) -> Caller | None:
    """The caller an earlier check of this request established, if any."""
    state = request.scope.get("state")
    known = state.get(_STATE_KEY) if isinstance(state, dict) else None
    return known if isinstance(known, Caller) else None


def _bearer_credential(request: Request) -> str | None:
    header = request.headers.get("authorization")
    if header is None:
        return None
    scheme, _, credential = header.strip().partition(" ")
    credential = credential.strip()
    if scheme.lower() != "bearer" or not credential:
        return None
    return credential


QUERY_KEY_PARAMETER = "api_key"


def query_credential(request: Request) -> str | None:
    """The ``api_key`` query parameter, if the request has one (read from the raw query)."""
    query: bytes = request.scope.get("query_string", b"")
    if b"api_key=" not in query:
        return None
    for name, value in parse_qsl(query.decode("latin-1"), keep_blank_values=True):
        if name == QUERY_KEY_PARAMETER and value:
            return value
    return None


def _missing_scope(scope: str) -> CatalogueError:
    return error("forbidden", f"This API key lacks the `{scope}` scope this endpoint requires.")


def token_matcher(token: str) -> Callable[[str], bool]:
    """A constant-time check of a presented operator token against ``token``."""
    expected = hashlib.sha256(token.encode("utf-8")).digest()

    def matches(presented: str) -> bool:
        digest = hashlib.sha256(presented.encode("latin-1")).digest()
        return hmac.compare_digest(digest, expected)

    return matches
