"""The authenticator's cache, refusals and background usage writes (storage faked).

Scopes, allowlists, rates and signatures have their own tests
(``test_key_access.py`` and the security integration suite)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Literal

import pytest
from starlette.requests import Request

from parcelsms.api.authentication import Authenticator
from parcelsms.errors import CatalogueError
from parcelsms.pipeline.account_security_ports import Account, KeyGrant

KEY = "psk_valid"


class FakeAccounts:
    """Just the account-store methods the authenticator uses, counting calls."""

    def __init__(self) -> None:
        self.valid_keys = {
            KEY: KeyGrant(
                key_id="key_1",
                account_id="acc_1",
                scopes=("messages:send",),
                allowed_networks=None,
                require_signature=False,
                rate_per_second=None,
                rate_burst=None,
            )
        }
        self.status: Literal["active", "suspended"] = "active"
        self.key_lookups = 0
        self.account_lookups = 0
        self.touched: list[str] = []

    async def authorize_key(self, plaintext: str) -> KeyGrant | None:
        self.key_lookups += 1
        return self.valid_keys.get(plaintext)

    async def get_account(self, account_id: str) -> Account | None:
        self.account_lookups += 1
        return Account(
            id=account_id,
            name="shop",
            status=self.status,
            currency="EUR",
            balance_micros=0,
            reserved_micros=0,
            created_at=datetime(2024, 1, 1, tzinfo=UTC),
        )

    async def touch_key_usage(self, key_id: str, at: datetime) -> None:
        self.touched.append(key_id)


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def request_with(authorization: str | None) -> Request:
    headers = [] if authorization is None else [(b"authorization", authorization.encode())]
    return Request({"type": "http", "method": "GET", "path": "/", "headers": headers})


@pytest.fixture
def accounts() -> FakeAccounts:
    return FakeAccounts()


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def authenticator(accounts: FakeAccounts, clock: Clock) -> Authenticator:
    return Authenticator(accounts, cache_seconds=2.0, clock=clock)  # type: ignore[arg-type]


async def test_a_valid_key_names_its_account_and_currency(authenticator: Authenticator) -> None:
    caller = await authenticator.authenticate(request_with(f"Bearer {KEY}"))

    assert (caller.key_id, caller.account_id, caller.currency) == ("key_1", "acc_1", "EUR")


async def test_within_the_cache_time_storage_is_not_asked_again(
    authenticator: Authenticator, accounts: FakeAccounts, clock: Clock
) -> None:
    for _ in range(5):
        await authenticator.authenticate(request_with(f"Bearer {KEY}"))
        clock.now += 0.3

    assert accounts.key_lookups == 1
    assert accounts.account_lookups == 1


async def test_a_revoked_key_is_refused_once_the_cache_time_has_passed(
    authenticator: Authenticator, accounts: FakeAccounts, clock: Clock
) -> None:
    await authenticator.authenticate(request_with(f"Bearer {KEY}"))
    accounts.valid_keys.clear()

    clock.now += 2.01
    with pytest.raises(CatalogueError) as caught:
        await authenticator.authenticate(request_with(f"Bearer {KEY}"))

    assert caught.value.code == "unauthorized"


async def test_a_suspension_is_seen_once_the_cache_time_has_passed(
    authenticator: Authenticator, accounts: FakeAccounts, clock: Clock
) -> None:
    await authenticator.authenticate(request_with(f"Bearer {KEY}"))
    accounts.status = "suspended"

    clock.now += 2.01
    with pytest.raises(CatalogueError) as caught:
        await authenticator.authenticate(request_with(f"Bearer {KEY}"))

    assert caught.value.code == "account_suspended"
    assert caught.value.status == 403


@pytest.mark.parametrize(
    "authorization",
    [None, "", "Bearer", "Token psk_valid", "Bearer psk_other", "Bearer " + "x" * 300],
)
async def test_anything_but_a_valid_bearer_key_is_unauthorized(
    authenticator: Authenticator, authorization: str | None
) -> None:
    with pytest.raises(CatalogueError) as caught:
        await authenticator.authenticate(request_with(authorization))

    assert caught.value.code == "unauthorized"
    assert caught.value.status == 401


async def test_an_overlong_key_is_refused_without_asking_storage(
    authenticator: Authenticator, accounts: FakeAccounts
) -> None:
    with pytest.raises(CatalogueError):
        await authenticator.authenticate(request_with("Bearer " + "x" * 300))

    assert accounts.key_lookups == 0


async def test_key_usage_is_written_at_most_once_a_minute(
    authenticator: Authenticator, accounts: FakeAccounts, clock: Clock
) -> None:
    for _ in range(3):
        await authenticator.authenticate(request_with(f"Bearer {KEY}"))
    clock.now += 61
    await authenticator.authenticate(request_with(f"Bearer {KEY}"))
    await authenticator.drain()

    assert accounts.touched == ["key_1", "key_1"]


async def test_a_failing_usage_write_does_not_fail_the_request(
    accounts: FakeAccounts, clock: Clock, caplog: pytest.LogCaptureFixture
) -> None:
    async def broken(key_id: str, at: datetime) -> None:
        raise RuntimeError("disk full")

    accounts.touch_key_usage = broken  # type: ignore[method-assign]
    authenticator = Authenticator(accounts, clock=clock)  # type: ignore[arg-type]

    caller = await authenticator.authenticate(request_with(f"Bearer {KEY}"))
    await authenticator.drain()

    assert caller.account_id == "acc_1"
    assert "could not record API key usage" in caplog.text


async def test_without_a_cache_every_request_asks_storage(
    accounts: FakeAccounts, clock: Clock
) -> None:
    authenticator = Authenticator(accounts, cache_seconds=0, clock=clock)  # type: ignore[arg-type]

    for _ in range(3):
        await authenticator.authenticate(request_with(f"Bearer {KEY}"))

    assert accounts.key_lookups == 3
    assert accounts.account_lookups == 3
