"""Account, key, test-number and audit records as the API shows them."""

from __future__ import annotations

from typing import Any

from parcelsms.api import account_schemas as out
from parcelsms.domain.money import format_micros
from parcelsms.pipeline.account_security_ports import (
    AccountProfile,
    AuditEntry,
    KeyRecord,
    TestNumber,
)


def key_out(record: KeyRecord, *, with_account: bool = False) -> out.KeyOut:
    """A key without its secret; ``with_account`` adds its account id (operator views)."""
    return out.KeyOut(**_key_fields(record, with_account))


def key_created(record: KeyRecord, plaintext: str, *, with_account: bool = False) -> out.KeyCreated:
    """A new key with its plaintext (shown once)."""
    return out.KeyCreated(**_key_fields(record, with_account), key=plaintext)


def _key_fields(record: KeyRecord, with_account: bool) -> dict[str, Any]:
    rate = None
    if record.rate_per_second is not None and record.rate_burst is not None:
        rate = out.RateLimit(per_second=record.rate_per_second, burst=record.rate_burst)
    return {
        "id": record.id,
        "label": record.label,
        "scopes": list(record.scopes),
        "allowed_networks": None
        if record.allowed_networks is None
        else list(record.allowed_networks),
        "require_signature": record.require_signature,
        "rate_limit": rate,
        "can_sign": record.can_sign,
        "created_at": record.created_at,
        "revoked_at": record.revoked_at,
        "last_used_at": record.last_used_at,
        "account_id": record.account_id if with_account else None,
    }


def _account_fields(profile: AccountProfile) -> dict[str, Any]:
    company = profile.company
    return {
        "id": profile.account.id,
        "name": profile.account.name,
        "status": profile.state,
        "currency": profile.account.currency,
        "verification": out.VerificationOut(
            review=profile.review,
            reason=profile.review_reason,
            submitted_at=profile.submitted_at,
            reviewed_at=profile.reviewed_at,
            verified_at=profile.verified_at,
        ),
        "company": None
        if company is None
        else out.CompanyDetailsOut(
            legal_name=company.legal_name,
            registration_number=company.registration_number,
            country=company.country,
            contact_name=company.contact_name,
            contact_email=company.contact_email,
            contact_phone=company.contact_phone,
        ),
        "suspended_reason": profile.suspended_reason,
        "created_at": profile.account.created_at,
    }


def account_out(profile: AccountProfile) -> out.AccountOut:
    """The account as its sender sees it."""
    return out.AccountOut(**_account_fields(profile))


def admin_account_out(profile: AccountProfile) -> out.AdminAccountOut:
    """The account as the operator sees it, with its balance."""
    return out.AdminAccountOut(
        **_account_fields(profile),
        available=format_micros(profile.account.balance_micros),
        reserved=format_micros(profile.account.reserved_micros),
    )


def present_test_number(number: TestNumber) -> out.TestNumberOut:
    """A test number (the account's own, so shown in full)."""
    return out.TestNumberOut(
        id=number.id,
        number=number.e164,
        country=number.country,
        status=number.status,
        code_expires_at=number.code_expires_at if number.status == "pending" else None,
        created_at=number.created_at,
        verified_at=number.verified_at,
    )


def audit_out(entry: AuditEntry) -> out.AuditEntryOut:
    return out.AuditEntryOut(
        id=entry.id,
        at=entry.at,
        actor=entry.actor,
        actor_key_id=entry.actor_key_id,
        action=entry.action,
        target_type=entry.target_type,
        target_id=entry.target_id,
        account_id=entry.account_id,
        before=entry.before,
        after=entry.after,
        request_id=entry.request_id,
    )
