"""Accounts and API keys for tests, made through the operations production uses.

Storage has one way to create an account (``create_sender_account``) and one way to create
a key (``create_key``); these helpers give them the short signatures tests want.
"""

from __future__ import annotations

from typing import Any

from parcelsms.domain import api_keys
from parcelsms.pipeline.account_security_ports import Account, Actor, KeySpec

TEST_ACTOR = Actor(name="test-suite")


async def new_account(
    storage: Any,
    name: str,
    balance_micros: int = 0,
    currency: str = "EUR",
    *,
    verified: bool = False,
) -> Account:
    """An active sender account (unverified unless asked), its opening balance a top-up."""
    profile = await storage.accounts.create_sender_account(
        name, balance_micros, currency, verified=verified, actor=TEST_ACTOR
    )
    account: Account = profile.account
    return account


async def new_api_key(storage: Any, account_id: str, label: str = "") -> tuple[str, str]:
    """``(key_id, plaintext)`` of a new key holding every sender scope."""
    spec = KeySpec(scopes=api_keys.SENDER_SCOPES, label=label)
    created = await storage.accounts.create_key(account_id, spec, TEST_ACTOR)
    return created.record.id, created.plaintext


async def top_up(storage: Any, account_id: str, micros: int, note: str | None = None) -> Account:
    """Add ``micros`` to the account's available balance (an audited top-up)."""
    account: Account = await storage.accounts.top_up_account(account_id, micros, note, TEST_ACTOR)
    return account
