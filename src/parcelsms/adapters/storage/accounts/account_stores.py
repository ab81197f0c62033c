"""The account ports on SQL: accounts and their review, API keys, sandbox numbers, audit.

:class:`SqlAccountStore` implements the ports of
:mod:`parcelsms.pipeline.account_security_ports` (``AccountsAndKeys``) by running the row
operations of this package (``*_rows`` modules) through the storage's :class:`SqlRunner`.

Key rows are read each time they are asked for: the one key cache is the API's
(:mod:`parcelsms.api.authentication`), so a revocation is seen by the next read.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import msgspec
from sqlalchemy.engine import Connection

from parcelsms.adapters.storage.accounts import (
    account_rows,
    key_rate_rows,
    key_rows,
    profile_read_rows,
    profile_rows,
)
from parcelsms.adapters.storage.accounts import audit_rows as audit_rows
from parcelsms.adapters.storage.accounts import sandbox_number_rows as number_rows
from parcelsms.adapters.storage.accounts.key_encryption import SigningKeyCipher
from parcelsms.adapters.storage.engine.runner import SqlRunner, raised
from parcelsms.domain import api_keys
from parcelsms.domain.company_details import CompanyDetails
from parcelsms.domain.error_catalogue import error
from parcelsms.domain.ids import new_id
from parcelsms.domain.request_rate import TokenGrant
from parcelsms.errors import CatalogueError
from parcelsms.pipeline.account_security_ports import (
    Account,
    AccountFilter,
    AccountPage,
    AccountProfile,
    Actor,
    AuditFilter,
    AuditPage,
    CodeCheck,
    CodeIssue,
    CreatedKey,
    KeyGrant,
    KeyRecord,
    KeySpec,
    TestNumber,
)

_CACHE_LIMIT = 10_000
_NONCE_PURGE_INTERVAL = 60.0
# Compared against when a key id is unknown, so that answer takes as long as a wrong secret.
_UNKNOWN_KEY_HASH = "0" * 64


@dataclass(frozen=True, slots=True)
class _KeyRow:
    grant: KeyGrant
    secret_hash: str
    signing_key: bytes | None


class SqlAccountStore:
    """Implements ``AccountStore`` and ``AccountSecurityStore``: accounts and their review,
    API keys, sandbox numbers and the audit log."""

    def __init__(self, runner: SqlRunner) -> None:
        self._runner = runner
        self._writer = runner.writer
        self._context = runner.context
        self._profiles = profile_rows.ProfileOperations(runner.context)
        self._accounts = account_rows.AccountOperations(runner.context)
        self._key_rows = key_rows.KeyOperations(runner.context)
        self._numbers = number_rows.SandboxNumberOperations(runner.context)
        self._key_rates = key_rate_rows.KeyRateOperations(runner.context)
        self._cipher = SigningKeyCipher(runner.context.pepper)
        self._nonces_purged = 0.0

    async def get_account(self, account_id: str) -> Account | None:
        return await self._runner.read(account_rows.read_account, account_id)

    async def find_account_by_name(self, name: str) -> Account | None:
        return await self._runner.read(account_rows.read_account_by_name, name)

    async def create_sender_account(
        self, name: str, balance_micros: int, currency: str, *, verified: bool, actor: Actor
    ) -> AccountProfile:
        if balance_micros < 0:
            raise ValueError("an opening balance cannot be negative")
        item = profile_rows.NewSenderAccount(name, balance_micros, currency, verified, actor)
        return _present(await self._writer.run(self._profiles.create, item))

    async def get_account_profile(self, account_id: str) -> AccountProfile | None:
        return await self._runner.read(profile_read_rows.read_profile, account_id)

    async def list_account_profiles(
        self, filters: AccountFilter, cursor: str | None = None, limit: int = 50
    ) -> AccountPage:
        return await self._runner.read(profile_read_rows.read_profile_page, filters, cursor, limit)

    async def submit_company_details(
        self, account_id: str, details: CompanyDetails, actor: Actor
    ) -> AccountProfile:
        item = profile_rows.DetailsSubmission(account_id, details, actor)
        return _present(await self._writer.run(self._profiles.submit, item))

    async def verify_account(
        self, account_id: str, actor: Actor, note: str | None = None
    ) -> AccountProfile | None:
        return await self._review(account_id, "verify", note, actor)

    async def reject_account(
        self, account_id: str, reason: str, actor: Actor
    ) -> AccountProfile | None:
        return await self._review(account_id, "reject", reason, actor)

    async def suspend_account(
        self, account_id: str, reason: str, actor: Actor
    ) -> AccountProfile | None:
        return await self._review(account_id, "suspend", reason, actor)

    async def reactivate_account(self, account_id: str, actor: Actor) -> AccountProfile | None:
        return await self._review(account_id, "reactivate", None, actor)

    async def _review(
        self,
        account_id: str,
        action: profile_rows.ReviewAction,
        reason: str | None,
        actor: Actor,
    ) -> AccountProfile | None:
        item = profile_rows.AccountReview(account_id, action, reason, actor)
        return raised(await self._writer.run(self._profiles.review, item))

    async def top_up_account(
        self, account_id: str, micros: int, note: str | None, actor: Actor
    ) -> Account:
        if micros <= 0:
            raise ValueError("a top-up must be a positive amount")
        item = profile_rows.AuditedTopUp(account_id, micros, note, actor)
        result: Account | CatalogueError = await self._writer.run(self._profiles.top_up, item)
        return raised(result)

    async def set_account_time_zone(
        self, account_id: str, time_zone: str, actor: Actor
    ) -> AccountProfile:
        item = profile_rows.TimeZoneChange(account_id, time_zone, actor)
        return _present(await self._writer.run(self._profiles.set_time_zone, item))

    async def operator_account(self) -> Account:
        return await self._writer.run(self._profiles.operator_account, None)

    # --- keys ----------------------------------------------------------------------

    async def create_key(self, account_id: str, spec: KeySpec, actor: Actor) -> CreatedKey:
        # Canonical order and no duplicates; an unknown scope is a ValueError (a bug).
        spec = msgspec.structs.replace(spec, scopes=api_keys.canonical_scopes(spec.scopes))
        key_id = new_id(api_keys.KEY_ID_PREFIX)
        secret = api_keys.new_secret()
        plaintext = api_keys.format_api_key(key_id, secret)
        item = key_rows.NewKey(
            key_id=key_id,
            account_id=account_id,
            spec=spec,
            secret_hash=api_keys.hash_secret(self._context.pepper, secret),
            sealed_signing_key=self._cipher.seal(key_id, api_keys.derive_signing_key(plaintext)),
            actor=actor,
        )
        record = raised(await self._writer.run(self._key_rows.create, item))
        return CreatedKey(record=record, plaintext=plaintext)

    async def authorize_key(self, plaintext: str) -> KeyGrant | None:
        parsed = api_keys.parse_api_key(plaintext)
        if parsed is None:
            return None
        cached = await self._key_row(parsed.key_id)
        if cached is None:
            api_keys.secret_matches(self._context.pepper, parsed.secret, _UNKNOWN_KEY_HASH)
            return None
        if not api_keys.secret_matches(self._context.pepper, parsed.secret, cached.secret_hash):
            return None
        return cached.grant

    async def signing_grant(self, key_id: str) -> tuple[KeyGrant, bytes] | None:
        if len(key_id) > 64:
            return None
        cached = await self._key_row(key_id)
        if cached is None or cached.signing_key is None:
            return None
        return cached.grant, cached.signing_key

    async def _key_row(self, key_id: str) -> _KeyRow | None:
        row = await self._runner.read(key_rows.read_key_row, key_id)
        if row is None or row.revoked:
            return None
        signing_key = None
        if row.sealed_signing_key is not None:
            signing_key = self._cipher.open(key_id, row.sealed_signing_key)
        return _KeyRow(row.grant, row.secret_hash, signing_key)

    async def get_key(self, key_id: str) -> KeyRecord | None:
        return await self._runner.read(key_rows.read_key_record, key_id)

    async def list_keys(self, account_id: str | None = None) -> list[KeyRecord]:
        return await self._runner.read(key_rows.read_key_records, account_id)

    async def revoke_key(
        self, key_id: str, actor: Actor, account_id: str | None = None
    ) -> KeyRecord | None:
        item = key_rows.Revocation(key_id, account_id, actor)
        return await self._writer.run(self._key_rows.revoke, item)

    async def remember_nonce(self, key_id: str, nonce: str, expires_at: datetime) -> bool:
        now = time.monotonic()
        if now - self._nonces_purged > _NONCE_PURGE_INTERVAL:
            self._nonces_purged = now
            await self._writer.run(self._key_rows.purge_nonces, self._context.clock())
        item = key_rows.Nonce(key_id, nonce, expires_at)
        return await self._writer.run(self._key_rows.remember_nonces, item)

    async def touch_key_usage(self, key_id: str, at: datetime) -> None:
        await self._writer.run(self._accounts.touch_keys, account_rows.KeyUse(key_id, at))

    async def take_key_tokens(self, key_id: str, want: int, rate: float, burst: int) -> TokenGrant:
        item = key_rate_rows.TokenRequest(key_id, want, rate, burst)
        grant: TokenGrant = await self._writer.run(self._key_rates.take_key_tokens, item)
        return grant

    # --- sandbox numbers -----------------------------------------------------------

    async def add_test_number(
        self, account_id: str, e164: str, country: str, limit: int, actor: Actor
    ) -> TestNumber:
        item = number_rows.NewSandboxNumber(account_id, e164, country, limit, actor)
        return raised(await self._writer.run(self._numbers.add, item))

    async def issue_test_code(
        self,
        test_number_id: str,
        code: str,
        expires_at: datetime,
        *,
        resend_interval: float,
        daily_limit: int,
    ) -> CodeIssue:
        item = number_rows.CodeRequest(
            test_number_id, code, expires_at, resend_interval, daily_limit
        )
        return await self._writer.run(self._numbers.issue, item)

    async def attach_code_message(self, test_number_id: str, message_id: str) -> None:
        item = number_rows.CodeMessage(test_number_id, message_id)
        await self._writer.run(self._numbers.attach_message, item)

    async def check_test_code(
        self, account_id: str, test_number_id: str, code: str, max_attempts: int, actor: Actor
    ) -> CodeCheck | None:
        item = number_rows.CodeAttempt(account_id, test_number_id, code, max_attempts, actor)
        return await self._writer.run(self._numbers.check, item)

    async def get_test_number(self, account_id: str, test_number_id: str) -> TestNumber | None:
        return await self._runner.read(number_rows.read_test_number, account_id, test_number_id)

    async def list_test_numbers(self, account_id: str) -> list[TestNumber]:
        return await self._runner.read(number_rows.read_test_numbers, account_id)

    async def delete_test_number(self, account_id: str, test_number_id: str, actor: Actor) -> bool:
        item = number_rows.Removal(account_id, test_number_id, actor)
        return await self._writer.run(self._numbers.remove, item)

    async def is_confirmed_test_number(self, account_id: str, e164: str) -> bool:
        return await self._runner.read(number_rows.is_confirmed, account_id, e164)

    # --- audit ---------------------------------------------------------------------

    async def record_audit(
        self,
        actor: Actor,
        action: str,
        *,
        target_type: str,
        target_id: str | None,
        account_id: str | None,
        before: dict[str, Any] | None,
        after: dict[str, Any] | None,
    ) -> None:
        item = audit_rows.AuditRecord(
            actor, action, target_type, target_id, account_id, before, after
        )
        await self._writer.run(self._write_audit, item)

    def _write_audit(
        self, connection: Connection, items: list[audit_rows.AuditRecord]
    ) -> Sequence[None]:
        return audit_rows.write_audit_records(connection, items, self._context.clock())

    async def list_audit(
        self, filters: AuditFilter, cursor: str | None = None, limit: int = 50
    ) -> AuditPage:
        return await self._runner.read(audit_rows.read_audit_page, filters, cursor, limit)


def _present(result: AccountProfile | CatalogueError | None) -> AccountProfile:
    profile = raised(result)
    if profile is None:
        raise error("not_found", "No such account.")
    return profile
