"""Accounts, balances and API keys, through the operations production uses."""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
from database_peek import peek
from sender_accounts import TEST_ACTOR, new_account, new_api_key, top_up

from parcelsms.adapters.storage.sql_storage import SqlStorage
from parcelsms.errors import CatalogueError, StorageError

PEPPER = b"test-pepper"


async def test_opening_balance_is_booked_as_a_top_up(storage: SqlStorage) -> None:
    account = await new_account(storage, "shop", balance_micros=5_000_000)
    assert account.balance_micros == 5_000_000
    assert account.reserved_micros == 0
    totals = await storage.message_queries.account_ledger_totals(account.id)
    assert totals is not None
    assert totals.entries_by_kind == {"topup": 1}
    assert totals.ledger_amount_micros == 5_000_000


async def test_account_names_are_unique(storage: SqlStorage) -> None:
    await new_account(storage, "shop")
    with pytest.raises(StorageError, match="already exists"):
        await new_account(storage, "shop")


async def test_top_up_adds_to_the_available_balance(storage: SqlStorage) -> None:
    account = await new_account(storage, "shop", balance_micros=1_000)
    topped = await top_up(storage, account.id, 2_500, "bank transfer")
    assert topped.balance_micros == 3_500
    assert (await storage.accounts.get_account(account.id)) == topped
    totals = await storage.message_queries.account_ledger_totals(account.id)
    assert totals is not None
    assert totals.entries_by_kind == {"topup": 2}


async def test_top_up_of_an_unknown_account_is_not_found(storage: SqlStorage) -> None:
    with pytest.raises(CatalogueError) as caught:
        await top_up(storage, "acc_01HZZZZZZZZZZZZZZZZZZZZZZZ", 100)
    assert caught.value.code == "not_found"


async def test_top_up_must_be_positive(storage: SqlStorage) -> None:
    account = await new_account(storage, "shop")
    with pytest.raises(ValueError, match="positive"):
        await top_up(storage, account.id, 0)


async def test_accounts_can_be_found_by_name_and_suspended(storage: SqlStorage) -> None:
    account = await new_account(storage, "shop")
    assert await storage.accounts.find_account_by_name("shop") == account
    assert await storage.accounts.find_account_by_name("other") is None
    suspended = await storage.accounts.suspend_account(account.id, "chargeback", TEST_ACTOR)
    assert suspended is not None
    assert suspended.account.status == "suspended"


async def test_a_new_key_authenticates_as_its_account(storage: SqlStorage) -> None:
    account = await new_account(storage, "shop")
    key_id, plaintext = await new_api_key(storage, account.id, "ci")
    grant = await storage.accounts.authorize_key(plaintext)
    assert grant is not None
    assert (grant.key_id, grant.account_id) == (key_id, account.id)


@pytest.mark.parametrize(
    "mangle",
    [
        lambda key: key[:-1] + ("A" if key[-1] != "A" else "B"),
        lambda key: key.replace("psk_", "psk-"),
        lambda key: key.split(".")[0],
        lambda key: key + "x" * 200,
        lambda key: "",
        lambda key: key.replace(".", ". "),
    ],
)
async def test_wrong_or_malformed_keys_are_refused(
    storage: SqlStorage, mangle: Callable[[str], str]
) -> None:
    account = await new_account(storage, "shop")
    _, plaintext = await new_api_key(storage, account.id)
    assert await storage.accounts.authorize_key(mangle(plaintext)) is None


async def test_a_key_of_unknown_id_is_refused(storage: SqlStorage) -> None:
    assert await storage.accounts.authorize_key("psk_01HZZZZZZZZZZZZZZZZZZZZZZZ.secret") is None


async def test_a_revoked_key_is_refused_even_when_cached(storage: SqlStorage) -> None:
    account = await new_account(storage, "shop")
    key_id, plaintext = await new_api_key(storage, account.id)
    assert await storage.accounts.authorize_key(plaintext) is not None
    revoked = await storage.accounts.revoke_key(key_id, TEST_ACTOR, account.id)
    assert revoked is not None
    assert revoked.revoked_at is not None
    assert await storage.accounts.authorize_key(plaintext) is None
    assert await storage.accounts.revoke_key(key_id, TEST_ACTOR, account.id) == revoked


async def test_another_account_cannot_revoke_a_key(storage: SqlStorage) -> None:
    owner = await new_account(storage, "owner")
    other = await new_account(storage, "other")
    key_id, plaintext = await new_api_key(storage, owner.id)
    assert await storage.accounts.revoke_key(key_id, TEST_ACTOR, other.id) is None
    assert await storage.accounts.authorize_key(plaintext) is not None


async def test_a_key_revoked_by_another_process_is_refused_once_the_cache_expires(
    open_test_storage: Callable[..., Awaitable[SqlStorage]],
) -> None:
    api = await open_test_storage()
    operator = await open_test_storage()
    account = await new_account(operator, "shop")
    key_id, plaintext = await new_api_key(operator, account.id)
    assert await api.accounts.authorize_key(plaintext) is not None
    await operator.accounts.revoke_key(key_id, TEST_ACTOR, account.id)
    assert await api.accounts.authorize_key(plaintext) is None


def sqlite_file_text(database_url: str) -> str:
    """The bytes of a SQLite database file, as text to search ("" on PostgreSQL)."""
    if not database_url.startswith("sqlite:///"):
        return ""
    return Path(database_url.removeprefix("sqlite:///")).read_bytes().decode("latin-1")


async def test_only_the_peppered_hash_of_the_secret_is_stored(
    storage: SqlStorage, database_url: str
) -> None:
    account = await new_account(storage, "shop")
    key_id, plaintext = await new_api_key(storage, account.id)
    secret = plaintext.split(".", 1)[1]
    with peek(database_url) as connection:
        (stored,) = connection.execute(
            "SELECT secret_hash FROM api_keys WHERE id = ?", (key_id,)
        ).fetchone()
    assert stored == hmac.new(PEPPER, secret.encode(), hashlib.sha256).hexdigest()
    assert secret not in sqlite_file_text(database_url)


async def test_key_usage_records_each_time_it_is_told(storage: SqlStorage, clock: Any) -> None:
    """Storage writes every use it is given; the API decides how often to tell it."""
    account = await new_account(storage, "shop")
    key_id, _ = await new_api_key(storage, account.id)
    first = clock()
    await storage.accounts.touch_key_usage(key_id, first)
    (key,) = await storage.accounts.list_keys(account.id)
    assert key.last_used_at == first
    later = clock.advance(5)
    await storage.accounts.touch_key_usage(key_id, later)
    (key,) = await storage.accounts.list_keys(account.id)
    assert key.last_used_at == later
    assert key.revoked_at is None
