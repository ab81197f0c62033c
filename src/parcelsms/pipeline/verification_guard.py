"""The send guard of account states: who may send to whom before verification.

* ``suspended`` accounts send nothing (``account_suspended``);
* ``verified`` accounts send wherever their routes allow;
* ``unverified`` accounts send only to their own confirmed test numbers and to the
  simulator's magic numbers (:mod:`parcelsms.domain.magic_numbers`), else
  ``account_unverified``.

Only the ``verified`` answer is cached (``cache_seconds``): verification is what unlocks
sending, so an account that was just verified, or just confirmed a test number, can send at
once; a suspension reaches a cached verified account within ``cache_seconds`` — and the
accept transaction itself refuses a suspended account in any case. When the cached answer
ages out, the requests that miss it together share one read of the account
(:meth:`~parcelsms.pipeline.ttl_cache.TtlCache.fetch`): under 50 concurrent senders each API
process otherwise read the same account some 25 times every ``cache_seconds``.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from functools import partial
from typing import Protocol

from parcelsms.domain.error_catalogue import error
from parcelsms.domain.magic_numbers import magic_outcome
from parcelsms.pipeline.account_security_ports import AccountProfile, AccountState
from parcelsms.pipeline.send_guards import GuardContext
from parcelsms.pipeline.ttl_cache import TtlCache


class VerificationLookup(Protocol):
    """What the guard reads (a part of the storage port)."""

    async def get_account_profile(self, account_id: str) -> AccountProfile | None: ...

    async def is_confirmed_test_number(self, account_id: str, e164: str) -> bool: ...


class VerificationGuard:
    """A :class:`~parcelsms.pipeline.send_guards.SendGuard` enforcing the account states."""

    def __init__(
        self,
        store: VerificationLookup,
        *,
        cache_seconds: float = 2.0,
        allow_magic_numbers: bool = True,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._store = store
        self._allow_magic_numbers = allow_magic_numbers
        # The account's state, kept only while it is "verified" (see the module).
        self._verified: TtlCache[str, AccountState | None] = TtlCache(cache_seconds, clock=clock)

    async def _state(self, account_id: str) -> AccountState | None:
        """The account's state (``None``: no such account), read once for concurrent misses."""
        return await self._verified.fetch(
            account_id, partial(self._read_state, account_id), keep=_is_verified
        )

    async def _read_state(self, account_id: str) -> AccountState | None:
        profile = await self._store.get_account_profile(account_id)
        return None if profile is None else profile.state

    async def admit(self, context: GuardContext) -> None:
        """Refuse with ``account_suspended`` or ``account_unverified`` (field ``to``)."""
        account_id = context.account_id
        if self._verified.get(account_id) == "verified":
            return
        state = await self._state(account_id)
        if state is None:
            return  # an unknown account is refused by the accept transaction (not_found)
        if state == "suspended":
            raise error("account_suspended")
        if state == "verified":
            return
        e164 = context.recipient.e164
        if self._allow_magic_numbers and magic_outcome(e164) is not None:
            return
        if await self._store.is_confirmed_test_number(account_id, e164):
            return
        raise error(
            "account_unverified",
            "This account is not verified yet: it may send only to its confirmed test numbers "
            "and to the simulator's magic numbers (+1 202 555 0100 to 0199).",
            field=f"{context.field_prefix}to",
        )

    async def sends_free(self, account_id: str, e164: str) -> bool:
        """Whether the message costs nothing: a magic number sent by an unverified account.

        Unverified accounts try the platform against the simulator's magic numbers; charging
        them for it would make a prepaid balance a condition of evaluating parcelsms. A
        verified account pays for every message (with a real carrier for +1, magic numbers
        go out like any other number).
        """
        if not self._allow_magic_numbers or magic_outcome(e164) is None:
            return False
        if self._verified.get(account_id) == "verified":
            return False
        return await self._state(account_id) == "unverified"

    def accepted(self, context: GuardContext) -> None:
        """Nothing to count."""

    def released(self, context: GuardContext) -> None:
        """Nothing was reserved."""

    def forget(self, account_id: str) -> None:
        """Drop the cached answer for ``account_id`` (after a suspension in this process)."""
        self._verified.forget(account_id)


def _is_verified(state: AccountState | None) -> bool:
    return state == "verified"
