"""The account-security part of the storage adapter on a real SQLite file: code expiry by the
clock, nonces, key caches, the audit cursor, the operator account, and the upgrade path."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic import command

from parcelsms.adapters.storage import SqlStorage, open_storage
from parcelsms.adapters.storage.engine.migrate import alembic_config
from parcelsms.adapters.storage.engine.sqlite_engine import create_sqlite_engine
from parcelsms.domain import api_keys
from parcelsms.errors import CatalogueError
from parcelsms.pipeline.account_security_ports import Actor, AuditFilter, KeySpec
from parcelsms.pipeline.webhook_payload import build_webhook_payload
from parcelsms.pipeline.webhook_policy import StatusWebhookPolicy

PEPPER = b"storage-suite-pepper"
ACTOR = Actor(name="cli:tester")


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2026, 1, 5, 12, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
async def storage(tmp_path: Path, clock: Clock) -> AsyncIterator[SqlStorage]:
    opened = await open_storage(
        f"sqlite:///{tmp_path / 'accounts.db'}",
        webhook_policy=StatusWebhookPolicy(build_webhook_payload),
        pepper=PEPPER,
        clock=clock,
    )
    yield opened
    await opened.close()


async def test_a_code_stops_working_when_it_expires(storage: SqlStorage, clock: Clock) -> None:
    profile = await storage.accounts.create_sender_account(
        "shop", 0, "EUR", verified=False, actor=ACTOR
    )
    number = await storage.accounts.add_test_number(
        profile.account.id, "+447700100123", "GB", 5, ACTOR
    )
    await storage.accounts.issue_test_code(
        number.id, "123456", clock.now + timedelta(minutes=10), resend_interval=60, daily_limit=10
    )

    clock.now += timedelta(minutes=10, seconds=1)
    check = await storage.accounts.check_test_code(
        profile.account.id, number.id, "123456", 5, ACTOR
    )

    assert check is not None
    assert check.outcome == "expired"
    assert not await storage.accounts.is_confirmed_test_number(profile.account.id, "+447700100123")


async def test_the_daily_code_limit_survives_deleting_the_number(
    storage: SqlStorage, clock: Clock
) -> None:
    account_id = (
        await storage.accounts.create_sender_account("shop", 0, "EUR", verified=False, actor=ACTOR)
    ).account.id
    issued = []
    for _ in range(3):
        number = await storage.accounts.add_test_number(account_id, "+447700100123", "GB", 5, ACTOR)
        issued.append(
            await storage.accounts.issue_test_code(
                number.id, "000001", clock.now, resend_interval=0, daily_limit=2
            )
        )
        await storage.accounts.delete_test_number(account_id, number.id, ACTOR)
        clock.now += timedelta(minutes=1)

    assert [issue.issued for issue in issued] == [True, True, False]
    assert issued[2].reason == "daily_limit"
    assert 86_000 < issued[2].retry_after <= 86_400
    clock.now += timedelta(days=1)
    number = await storage.accounts.add_test_number(account_id, "+447700100123", "GB", 5, ACTOR)
    later = await storage.accounts.issue_test_code(
        number.id, "000001", clock.now, resend_interval=0, daily_limit=2
    )
    assert later.issued


async def test_a_nonce_is_a_replay_until_it_expires(storage: SqlStorage, clock: Clock) -> None:
    expires = clock.now + timedelta(minutes=5)

    first = await storage.accounts.remember_nonce("key_1", "n" * 16, expires)
    replay = await storage.accounts.remember_nonce("key_1", "n" * 16, expires)
    other_key = await storage.accounts.remember_nonce("key_2", "n" * 16, expires)
    clock.now = expires + timedelta(seconds=1)
    after_expiry = await storage.accounts.remember_nonce(
        "key_1", "n" * 16, clock.now + timedelta(minutes=5)
    )

    assert (first, replay, other_key, after_expiry) == (True, False, True, True)


async def test_a_key_revoked_through_storage_is_refused_at_once_despite_its_cache(
    storage: SqlStorage,
) -> None:
    account_id = (
        await storage.accounts.create_sender_account("shop", 0, "EUR", verified=True, actor=ACTOR)
    ).account.id
    created = await storage.accounts.create_key(
        account_id, KeySpec(scopes=("messages:send",)), ACTOR
    )
    assert await storage.accounts.authorize_key(created.plaintext) is not None
    assert await storage.accounts.signing_grant(created.record.id) is not None

    await storage.accounts.revoke_key(created.record.id, ACTOR, account_id)

    assert await storage.accounts.authorize_key(created.plaintext) is None
    assert await storage.accounts.signing_grant(created.record.id) is None


async def test_a_revocation_names_the_account_it_is_scoped_to(storage: SqlStorage) -> None:
    alpha = (
        await storage.accounts.create_sender_account("a", 0, "EUR", verified=True, actor=ACTOR)
    ).account
    beta = (
        await storage.accounts.create_sender_account("b", 0, "EUR", verified=True, actor=ACTOR)
    ).account
    created = await storage.accounts.create_key(alpha.id, KeySpec(scopes=("keys",)), ACTOR)

    by_other = await storage.accounts.revoke_key(created.record.id, ACTOR, beta.id)

    assert by_other is None
    assert await storage.accounts.authorize_key(created.plaintext) is not None


async def test_signing_keys_are_stored_sealed(storage: SqlStorage, tmp_path: Path) -> None:
    account_id = (
        await storage.accounts.create_sender_account("shop", 0, "EUR", verified=True, actor=ACTOR)
    ).account.id
    created = await storage.accounts.create_key(account_id, KeySpec(scopes=("keys",)), ACTOR)
    signing_key = api_keys.derive_signing_key(created.plaintext)

    engine = create_sqlite_engine(f"sqlite:///{tmp_path / 'accounts.db'}")
    with engine.connect() as connection:
        row = connection.execute(sa.text("SELECT * FROM api_keys")).mappings().one()
    engine.dispose()

    stored = " ".join(str(value) for value in row.values())
    assert created.plaintext.split(".")[1] not in stored
    assert signing_key.hex() not in stored
    assert row["signing_key"].startswith("v1:")
    grant = await storage.accounts.signing_grant(created.record.id)
    assert grant is not None
    assert grant[1] == signing_key


async def test_admin_scope_is_only_for_operator_keys(storage: SqlStorage) -> None:
    account_id = (
        await storage.accounts.create_sender_account("shop", 0, "EUR", verified=True, actor=ACTOR)
    ).account.id
    operator = await storage.accounts.operator_account()

    with pytest.raises(CatalogueError, match="only for operator keys") as sender:
        await storage.accounts.create_key(account_id, KeySpec(scopes=("admin",)), ACTOR)
    with pytest.raises(CatalogueError, match="only the admin scope") as operator_key:
        await storage.accounts.create_key(operator.id, KeySpec(scopes=("messages:send",)), ACTOR)

    assert sender.value.field == operator_key.value.field == "scopes"
    assert (await storage.accounts.operator_account()).id == operator.id


async def test_the_audit_log_pages_newest_first_and_filters(storage: SqlStorage) -> None:
    accounts = [
        (
            await storage.accounts.create_sender_account(
                f"s{i}", 0, "EUR", verified=False, actor=ACTOR
            )
        )
        for i in range(3)
    ]
    for profile in accounts:
        await storage.accounts.verify_account(profile.account.id, ACTOR)

    first = await storage.accounts.list_audit(AuditFilter(action="account.verify"), None, 2)
    second = await storage.accounts.list_audit(
        AuditFilter(action="account.verify"), first.next_cursor, 2
    )
    one_account = await storage.accounts.list_audit(AuditFilter(account_id=accounts[0].account.id))

    seen = [entry.target_id for entry in (*first.items, *second.items)]
    assert seen == [profile.account.id for profile in reversed(accounts)]
    assert second.next_cursor is None
    assert [entry.action for entry in one_account.items] == ["account.verify", "account.create"]
    assert all(entry.actor == "cli:tester" for entry in one_account.items)


def _migrate_to(url: str, revision: str) -> None:
    config = alembic_config(url)
    engine = create_sqlite_engine(url, begin="IMMEDIATE")
    with engine.connect() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, revision)
        connection.commit()
    engine.dispose()


async def test_accounts_and_keys_of_an_older_database_keep_working(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'old.db'}"
    _migrate_to(url, "0002")
    secret = api_keys.new_secret()
    key_id = "key_01J00000000000000000000000"
    engine = create_sqlite_engine(url)
    with engine.begin() as connection:
        connection.execute(
            sa.text(
                "INSERT INTO accounts (id, name, status, currency, balance_micros, "
                "reserved_micros, created_at) VALUES ('acc_01J00000000000000000000000', 'old', "
                "'active', 'EUR', 0, 0, '2025-01-01 00:00:00.000000')"
            )
        )
        connection.execute(
            sa.text(
                "INSERT INTO api_keys (id, account_id, secret_hash, label, created_at) VALUES "
                "(:id, 'acc_01J00000000000000000000000', :hash, '', "
                "'2025-01-01 00:00:00.000000')"
            ),
            {"id": key_id, "hash": api_keys.hash_secret(PEPPER, secret)},
        )
    engine.dispose()

    storage = await open_storage(
        url, webhook_policy=StatusWebhookPolicy(build_webhook_payload), pepper=PEPPER
    )
    try:
        profile = await storage.accounts.get_account_profile("acc_01J00000000000000000000000")
        grant = await storage.accounts.authorize_key(api_keys.format_api_key(key_id, secret))
        signing = await storage.accounts.signing_grant(key_id)
    finally:
        await storage.close()

    assert profile is not None
    assert profile.state == "verified"
    assert grant is not None
    # Every sender scope of its time: the later opt-in legacy_get is not among them.
    assert grant.scopes == api_keys.DEFAULT_SENDER_SCOPES
    assert signing is None
