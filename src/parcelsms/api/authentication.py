"""Bearer API keys: who is calling, and may their account act.

``Authorization: Bearer <key>`` is checked with the storage port
(:meth:`~parcelsms.pipeline.ports.AccountStore.authenticate_key`), then the key's account is
read for its currency and status. Both answers are cached in this process for
``cache_seconds`` (2 s by default) so the hot path usually asks storage nothing: a revoked key
or a suspended account is therefore refused at the latest ``cache_seconds`` after the change
(plus whatever the storage adapter caches itself). The cache is keyed by a SHA-256 digest of
the presented key, so plaintext keys are not kept as dictionary keys.

Key usage is recorded with :meth:`~parcelsms.pipeline.ports.AccountStore.touch_key_usage`
in the background, at most once a minute per key from this process, and never delays the
response.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from starlette.requests import Request

from parcelsms.domain.error_catalogue import error
from parcelsms.errors import CatalogueError
from parcelsms.pipeline.ports import Account, AccountStore, ApiKeyIdentity

_log = logging.getLogger(__name__)

_CACHE_LIMIT = 10_000
_TOUCH_INTERVAL = 60.0
# A real key is about 75 characters; longer headers are refused before hashing anything.
_MAX_KEY_LENGTH = 256


@dataclass(frozen=True, slots=True)
class Caller:
    """An authenticated request's key and account."""

    key_id: str
    account_id: str
    currency: str


def _unauthorized(message: str) -> CatalogueError:
    return error("unauthorized", message)


class Authenticator:
    """Resolves the ``Authorization`` header of a request to a :class:`Caller`."""

    def __init__(
        self,
        accounts: AccountStore,
        *,
        cache_seconds: float = 2.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._accounts = accounts
        self._cache_seconds = cache_seconds
        self._clock = clock
        self._keys: dict[bytes, tuple[ApiKeyIdentity, float]] = {}
        self._account_cache: dict[str, tuple[Account | None, float]] = {}
        self._touched: dict[str, float] = {}
        self._background: set[asyncio.Task[None]] = set()

    async def authenticate(self, request: Request) -> Caller:
        """The caller of ``request``.

        Raises ``unauthorized`` (no, malformed, unknown or revoked key; unknown account) or
        ``account_suspended``.
        """
        header = request.headers.get("authorization")
        if header is None:
            raise _unauthorized("Send your API key as `Authorization: Bearer <key>`.")
        scheme, _, key = header.strip().partition(" ")
        key = key.strip()
        if scheme.lower() != "bearer" or not key:
            raise _unauthorized("Send your API key as `Authorization: Bearer <key>`.")
        if len(key) > _MAX_KEY_LENGTH:
            raise _unauthorized("The API key is not valid.")
        now = self._clock()
        identity = await self._identity(key, now)
        if identity is None:
            raise _unauthorized("The API key is not valid, or it was revoked.")
        account = await self._account(identity.account_id, now)
        if account is None:
            raise _unauthorized("The API key's account does not exist.")
        if account.status != "active":
            raise error("account_suspended", field=None)
        self._touch(identity.key_id, now)
        return Caller(key_id=identity.key_id, account_id=account.id, currency=account.currency)

    async def _identity(self, key: str, now: float) -> ApiKeyIdentity | None:
        # Headers arrive latin-1 decoded, so this encoding never fails.
        digest = hashlib.sha256(key.encode("latin-1")).digest()
        cached = self._keys.get(digest)
        if cached is not None and cached[1] > now:
            return cached[0]
        identity = await self._accounts.authenticate_key(key)
        if identity is None:
            self._keys.pop(digest, None)
            return None
        if self._cache_seconds > 0:
            if len(self._keys) >= _CACHE_LIMIT:
                self._keys.clear()
            self._keys[digest] = (identity, now + self._cache_seconds)
        return identity

    async def _account(self, account_id: str, now: float) -> Account | None:
        cached = self._account_cache.get(account_id)
        if cached is not None and cached[1] > now:
            return cached[0]
        account = await self._accounts.get_account(account_id)
        if self._cache_seconds > 0:
            if len(self._account_cache) >= _CACHE_LIMIT:
                self._account_cache.clear()
            self._account_cache[account_id] = (account, now + self._cache_seconds)
        return account

    def _touch(self, key_id: str, now: float) -> None:
        last = self._touched.get(key_id)
        if last is not None and now - last < _TOUCH_INTERVAL:
            return
        if len(self._touched) >= _CACHE_LIMIT:
            self._touched.clear()
        self._touched[key_id] = now
        task = asyncio.get_running_loop().create_task(
            self._accounts.touch_key_usage(key_id, datetime.now(UTC))
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
