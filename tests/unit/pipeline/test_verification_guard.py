"""The send guard of account states, on a store that counts its reads and a clock the tests move."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Literal

import pytest

from parcelsms.domain.numbers import parse_recipient
from parcelsms.errors import CatalogueError
from parcelsms.pipeline.account_security_ports import Account, AccountProfile, Verification
from parcelsms.pipeline.send_guards import GuardContext
from parcelsms.pipeline.verification_guard import VerificationGuard

_ACCOUNT = "acc_1"
_MAGIC = "+12025550100"
_PLAIN = "+46701234567"


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


class CountingStore:
    """Answers one account's profile; each read waits for ``release`` when one is set."""

    def __init__(
        self, verification: Verification, status: Literal["active", "suspended"] = "active"
    ) -> None:
        self.verification = verification
        self.status = status
        self.reads = 0
        self.release: asyncio.Event | None = None

    async def get_account_profile(self, account_id: str) -> AccountProfile | None:
        self.reads += 1
        if self.release is not None:
            await self.release.wait()
        if account_id != _ACCOUNT:
            return None
        account = Account(
            id=_ACCOUNT,
            name="shop",
            status=self.status,
            currency="EUR",
            balance_micros=0,
            reserved_micros=0,
            created_at=datetime(2026, 1, 1, tzinfo=UTC),
        )
        return AccountProfile(
            account=account,
            kind="sender",
            verification=self.verification,
            verified_at=None,
            review="none",
            review_reason=None,
            submitted_at=None,
            reviewed_at=None,
            company=None,
            suspended_reason=None,
            suspended_at=None,
        )

    async def is_confirmed_test_number(self, account_id: str, e164: str) -> bool:
        return False


def _context(to: str = _PLAIN, account_id: str = _ACCOUNT) -> GuardContext:
    return GuardContext(
        account_id=account_id,
        recipient=parse_recipient(to),
        body="Your parcel shipped",
        segments=1,
        price_micros=50_000,
        field_prefix="",
    )


async def test_concurrent_misses_share_one_read_when_the_verified_answer_ages_out() -> None:
    store, clock = CountingStore("verified"), Clock()
    guard = VerificationGuard(store, cache_seconds=2.0, clock=clock)
    await guard.admit(_context())
    assert store.reads == 1
    await guard.admit(_context())
    assert store.reads == 1  # fresh: no read

    clock.now += 2.0
    store.release = asyncio.Event()
    admits = [asyncio.create_task(guard.admit(_context())) for _ in range(25)]
    await asyncio.sleep(0)
    store.release.set()
    await asyncio.gather(*admits)
    assert store.reads == 2


async def test_an_unverified_answer_is_never_kept() -> None:
    store = CountingStore("unverified")
    guard = VerificationGuard(store, clock=Clock())
    for _ in range(3):
        with pytest.raises(CatalogueError) as refused:
            await guard.admit(_context())
        assert refused.value.code == "account_unverified"
        assert refused.value.field == "to"
    assert store.reads == 3
    store.verification = "verified"  # verified just now: sends at once
    await guard.admit(_context())


async def test_a_suspended_account_is_refused_and_read_again_each_time() -> None:
    store = CountingStore("verified", status="suspended")
    guard = VerificationGuard(store, clock=Clock())
    for _ in range(2):
        with pytest.raises(CatalogueError) as refused:
            await guard.admit(_context())
        assert refused.value.code == "account_suspended"
    assert store.reads == 2


async def test_an_unknown_account_is_left_to_the_accept_transaction() -> None:
    store = CountingStore("verified")
    guard = VerificationGuard(store, clock=Clock())
    await guard.admit(_context(account_id="acc_unknown"))
    assert await guard.sends_free("acc_unknown", _MAGIC) is False


async def test_magic_numbers_are_free_only_for_an_unverified_account() -> None:
    store = CountingStore("unverified")
    guard = VerificationGuard(store, clock=Clock())
    await guard.admit(_context(_MAGIC))  # the simulator's numbers are open to it
    assert await guard.sends_free(_ACCOUNT, _MAGIC) is True
    assert await guard.sends_free(_ACCOUNT, _PLAIN) is False

    store.verification = "verified"
    assert await guard.sends_free(_ACCOUNT, _MAGIC) is False
    reads = store.reads
    assert await guard.sends_free(_ACCOUNT, _MAGIC) is False
    assert store.reads == reads  # the verified answer is kept


async def test_forget_drops_the_kept_answer() -> None:
    store = CountingStore("verified")
    guard = VerificationGuard(store, clock=Clock())
    await guard.admit(_context())
    store.status = "suspended"
    guard.forget(_ACCOUNT)
    with pytest.raises(CatalogueError) as refused:
        await guard.admit(_context())
    assert refused.value.code == "account_suspended"
