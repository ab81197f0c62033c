"""The storage port for account verification, API keys, test numbers and the audit log.

Implemented by the storage's account room (``storage.accounts``, an
:class:`AccountsAndKeys`). Records are immutable msgspec Structs; times are UTC.

Accounts: the ``accounts`` row says whether an account is ``active`` or ``suspended`` (the
accept step checks it in the same transaction that reserves the price); the profile adds
its **verification** (``unverified`` until the operator verifies it) and its company details
and their review. The state a sender sees (:attr:`AccountProfile.state`) is ``suspended``
when suspended, else its verification — so reactivating an account returns it to whatever
verification it had.

Every write here is an action someone took; it takes an :class:`Actor` and writes an audit
row in the same transaction as the change (``before``/``after`` snapshots, never secrets).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal, Protocol

import msgspec

from parcelsms.domain.company_details import CompanyDetails

AccountState = Literal["unverified", "verified", "suspended"]
AccountKind = Literal["sender", "operator"]
Verification = Literal["unverified", "verified"]
ReviewState = Literal["none", "pending_review", "rejected", "approved"]
TestNumberStatus = Literal["pending", "verified"]
CodeOutcome = Literal["confirmed", "already_verified", "invalid", "expired"]


class Account(msgspec.Struct, frozen=True, kw_only=True):
    """A sender account. ``balance_micros`` is what is available to spend; ``time_zone``
    (IANA) is the zone its console shows times and days in."""

    id: str
    name: str
    status: Literal["active", "suspended"]
    currency: str
    balance_micros: int
    reserved_micros: int
    created_at: datetime
    time_zone: str = "UTC"


class Actor(msgspec.Struct, frozen=True, kw_only=True):
    """Who did something: ``name`` as the audit log shows it (``key_…``, ``cli:alice``,
    ``system``), the API key when there was one, and the request id when it came over HTTP."""

    name: str
    key_id: str | None = None
    request_id: str | None = None


SYSTEM_ACTOR = Actor(name="system")


class AccountProfile(msgspec.Struct, frozen=True, kw_only=True):
    """An account with its kind, verification, company details and their review."""

    account: Account
    kind: AccountKind
    verification: Verification
    verified_at: datetime | None
    review: ReviewState
    review_reason: str | None
    submitted_at: datetime | None
    reviewed_at: datetime | None
    company: CompanyDetails | None
    suspended_reason: str | None
    suspended_at: datetime | None

    @property
    def state(self) -> AccountState:
        """``suspended``, else ``verified`` or ``unverified``."""
        return "suspended" if self.account.status == "suspended" else self.verification


class AccountFilter(msgspec.Struct, frozen=True, kw_only=True):
    """Filters of the operator's account listing."""

    state: AccountState | None = None
    review: ReviewState | None = None
    kind: AccountKind = "sender"


class AccountPage(msgspec.Struct, frozen=True, kw_only=True):
    """Newest first; ``next_cursor`` is ``None`` on the last page."""

    items: tuple[AccountProfile, ...]
    next_cursor: str | None


class KeySpec(msgspec.Struct, frozen=True, kw_only=True):
    """What a new key may do. ``scopes`` are canonical (see ``domain.api_keys``);
    ``allowed_networks`` ``None`` = from anywhere; rate ``None`` = the configured default."""

    scopes: tuple[str, ...]
    label: str = ""
    allowed_networks: tuple[str, ...] | None = None
    require_signature: bool = False
    rate_per_second: float | None = None
    rate_burst: int | None = None
    # The operator allows the key in a query parameter (GET /v1/messages/send; HTTPS only).
    query_key_allowed: bool = False


class KeyGrant(msgspec.Struct, frozen=True, kw_only=True):
    """What an authenticated key may do (the answer of authentication)."""

    key_id: str
    account_id: str
    scopes: tuple[str, ...]
    allowed_networks: tuple[str, ...] | None
    require_signature: bool
    rate_per_second: float | None
    rate_burst: int | None
    query_key_allowed: bool = False


class KeyRecord(msgspec.Struct, frozen=True, kw_only=True):
    """A key as listed. ``can_sign``: it has a signing key (keys made before signing had none)."""

    id: str
    account_id: str
    label: str
    scopes: tuple[str, ...]
    allowed_networks: tuple[str, ...] | None
    require_signature: bool
    rate_per_second: float | None
    rate_burst: int | None
    can_sign: bool
    created_at: datetime
    revoked_at: datetime | None
    last_used_at: datetime | None
    query_key_allowed: bool = False


class CreatedKey(msgspec.Struct, frozen=True, kw_only=True):
    """A new key and its plaintext (shown once, never stored)."""

    record: KeyRecord
    plaintext: str


class TestNumber(msgspec.Struct, frozen=True, kw_only=True):
    """A number an account owns and may send to while unverified, once ``verified``."""

    __test__ = False  # a record, not a pytest test class

    id: str
    account_id: str
    e164: str
    country: str
    status: TestNumberStatus
    attempts: int
    code_expires_at: datetime | None
    code_message_id: str | None
    created_at: datetime
    verified_at: datetime | None


class CodeIssue(msgspec.Struct, frozen=True, kw_only=True):
    """The answer to "may a code be sent now?": ``retry_after`` seconds when not."""

    issued: bool
    retry_after: float = 0.0
    reason: Literal["issued", "cooldown", "daily_limit"] = "issued"


class CodeCheck(msgspec.Struct, frozen=True, kw_only=True):
    """The result of checking a code; ``attempts_left`` after this check."""

    outcome: CodeOutcome
    test_number: TestNumber
    attempts_left: int


class AuditEntry(msgspec.Struct, frozen=True, kw_only=True):
    """One recorded action."""

    id: str
    at: datetime
    actor: str
    actor_key_id: str | None
    action: str
    target_type: str
    target_id: str | None
    account_id: str | None
    before: dict[str, Any] | None
    after: dict[str, Any] | None
    request_id: str | None


class AuditFilter(msgspec.Struct, frozen=True, kw_only=True):
    account_id: str | None = None
    action: str | None = None
    actor_key_id: str | None = None


class AuditPage(msgspec.Struct, frozen=True, kw_only=True):
    """Newest first; ``next_cursor`` is ``None`` on the last page."""

    items: tuple[AuditEntry, ...]
    next_cursor: str | None


class AccountReviewStore(Protocol):
    """Account profiles: creation with a verification state, company details, review."""

    async def create_sender_account(
        self, name: str, balance_micros: int, currency: str, *, verified: bool, actor: Actor
    ) -> AccountProfile:
        """Create an account (``StorageError`` when the name is taken)."""
        ...

    async def get_account_profile(self, account_id: str) -> AccountProfile | None: ...

    async def list_account_profiles(
        self, filters: AccountFilter, cursor: str | None = None, limit: int = 50
    ) -> AccountPage:
        """An invalid ``cursor`` raises ``invalid_cursor``."""
        ...

    async def submit_company_details(
        self, account_id: str, details: CompanyDetails, actor: Actor
    ) -> AccountProfile:
        """Store details for review (``pending_review``); ``account_state_conflict`` when
        the account is verified already, ``not_found`` for an unknown account."""
        ...

    async def verify_account(
        self, account_id: str, actor: Actor, note: str | None = None
    ) -> AccountProfile | None:
        """Mark verified (approving submitted details, if any); ``None``: unknown account."""
        ...

    async def reject_account(
        self, account_id: str, reason: str, actor: Actor
    ) -> AccountProfile | None:
        """Reject the submitted details; ``account_state_conflict`` when verified."""
        ...

    async def suspend_account(
        self, account_id: str, reason: str, actor: Actor
    ) -> AccountProfile | None: ...

    async def reactivate_account(self, account_id: str, actor: Actor) -> AccountProfile | None: ...

    async def top_up_account(
        self, account_id: str, micros: int, note: str | None, actor: Actor
    ) -> Account:
        """An audited top-up (``not_found`` for an unknown account)."""
        ...

    async def set_account_time_zone(
        self, account_id: str, time_zone: str, actor: Actor
    ) -> AccountProfile:
        """An audited change of the account's time zone (an IANA name the caller checked;
        ``not_found`` for an unknown account)."""
        ...

    async def operator_account(self) -> Account:
        """The operator's own account (created on first use): it holds operator keys and
        sends system messages such as verification codes, at no charge."""
        ...


class KeyStore(Protocol):
    """API keys with scopes, allowlists, limits and signing keys; request nonces."""

    async def create_key(self, account_id: str, spec: KeySpec, actor: Actor) -> CreatedKey:
        """Create a key (``not_found`` for an unknown account, ``resource_limit`` past the
        per-account limit of active keys)."""
        ...

    async def authorize_key(self, plaintext: str) -> KeyGrant | None:
        """The grant of a valid, unrevoked key; ``None`` for anything else."""
        ...

    async def signing_grant(self, key_id: str) -> tuple[KeyGrant, bytes] | None:
        """The grant and signing key of an unrevoked key that has one."""
        ...

    async def get_key(self, key_id: str) -> KeyRecord | None: ...

    async def list_keys(self, account_id: str | None = None) -> list[KeyRecord]:
        """One account's keys, or every key (operator), oldest first."""
        ...

    async def revoke_key(
        self, key_id: str, actor: Actor, account_id: str | None = None
    ) -> KeyRecord | None:
        """Revoke at once; with ``account_id`` only that account's key. ``None``: no such key.

        Revoking a revoked key returns it unchanged.
        """
        ...

    async def remember_nonce(self, key_id: str, nonce: str, expires_at: datetime) -> bool:
        """Record a signed request's nonce; ``False`` when it was seen before (a replay)."""
        ...


class TestNumberStore(Protocol):
    """Numbers an unverified account may send to once it has confirmed a code."""

    async def add_test_number(
        self, account_id: str, e164: str, country: str, limit: int, actor: Actor
    ) -> TestNumber:
        """The account's entry for ``e164``, created ``pending`` when new
        (``resource_limit`` when the account already has ``limit`` numbers)."""
        ...

    async def issue_test_code(
        self,
        test_number_id: str,
        code: str,
        expires_at: datetime,
        *,
        resend_interval: float,
        daily_limit: int,
    ) -> CodeIssue:
        """Replace the number's code (attempts reset) unless one was sent less than
        ``resend_interval`` seconds ago or the account sent ``daily_limit`` codes in the
        last 24 hours."""
        ...

    async def attach_code_message(self, test_number_id: str, message_id: str) -> None: ...

    async def check_test_code(
        self, account_id: str, test_number_id: str, code: str, max_attempts: int, actor: Actor
    ) -> CodeCheck | None:
        """Check a code (constant time); ``None`` when the account has no such number."""
        ...

    async def get_test_number(self, account_id: str, test_number_id: str) -> TestNumber | None: ...

    async def list_test_numbers(self, account_id: str) -> list[TestNumber]: ...

    async def delete_test_number(
        self, account_id: str, test_number_id: str, actor: Actor
    ) -> bool: ...

    async def is_confirmed_test_number(self, account_id: str, e164: str) -> bool: ...


class AuditStore(Protocol):
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
        """Write one entry on its own (for actions whose change was written elsewhere)."""
        ...

    async def list_audit(
        self, filters: AuditFilter, cursor: str | None = None, limit: int = 50
    ) -> AuditPage:
        """Newest first; an invalid ``cursor`` raises ``invalid_cursor``."""
        ...


class AccountSecurityStore(AccountReviewStore, KeyStore, TestNumberStore, AuditStore, Protocol):
    """Every account-security protocol of this module."""


class AccountStore(Protocol):
    """Accounts as the hot path reads them, and key usage.

    Accounts and keys are created, topped up, suspended and revoked through
    :class:`~parcelsms.pipeline.account_security_ports.AccountSecurityStore`.
    """

    async def get_account(self, account_id: str) -> Account | None: ...

    async def find_account_by_name(self, name: str) -> Account | None: ...

    async def touch_key_usage(self, key_id: str, at: datetime) -> None:
        """Record that the key was used at ``at`` (callers decide how often to tell)."""
        ...


class AccountsAndKeys(AccountStore, AccountSecurityStore, Protocol):
    """Everything about accounts: reads, review, keys, sandbox numbers, audit."""
