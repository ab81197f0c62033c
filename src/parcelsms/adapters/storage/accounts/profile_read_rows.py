"""Reading account profiles: an account joined with its optional profile row, one or a page.

An account without a profile row reads as an unverified sender that has submitted nothing.
:func:`profile_snapshot` is the audit log's JSON view of a profile.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.engine import Connection

from parcelsms.adapters.storage.accounts import account_rows as account_rows
from parcelsms.adapters.storage.engine.id_cursors import decode_id_cursor, encode_id_cursor
from parcelsms.adapters.storage.engine.schema.account_tables import account_profiles, accounts
from parcelsms.domain.company_details import CompanyDetails
from parcelsms.pipeline.account_security_ports import (
    Account,
    AccountFilter,
    AccountPage,
    AccountProfile,
)

MAX_PAGE_SIZE = 500

_PROFILE_COLUMNS = (
    account_profiles.c.kind,
    account_profiles.c.verification,
    account_profiles.c.verified_at,
    account_profiles.c.review,
    account_profiles.c.review_reason,
    account_profiles.c.submitted_at,
    account_profiles.c.reviewed_at,
    account_profiles.c.legal_name,
    account_profiles.c.registration_number,
    account_profiles.c.country,
    account_profiles.c.contact_name,
    account_profiles.c.contact_email,
    account_profiles.c.contact_phone,
    account_profiles.c.suspended_reason,
    account_profiles.c.suspended_at,
)


def _joined() -> Select[Any]:
    return select(accounts, *_PROFILE_COLUMNS).select_from(
        accounts.outerjoin(account_profiles, account_profiles.c.account_id == accounts.c.id)
    )


def _profile(row: Any) -> AccountProfile:
    company = None
    if row.legal_name is not None:
        company = CompanyDetails(
            legal_name=row.legal_name,
            registration_number=row.registration_number,
            country=row.country,
            contact_name=row.contact_name,
            contact_email=row.contact_email,
            contact_phone=row.contact_phone,
        )
    return AccountProfile(
        account=account_rows.account_from_row(row),
        kind=row.kind or "sender",
        verification=row.verification or "unverified",
        verified_at=row.verified_at,
        review=row.review or "none",
        review_reason=row.review_reason,
        submitted_at=row.submitted_at,
        reviewed_at=row.reviewed_at,
        company=company,
        suspended_reason=row.suspended_reason,
        suspended_at=row.suspended_at,
    )


def read_profile(connection: Connection, account_id: str) -> AccountProfile | None:
    row = connection.execute(_joined().where(accounts.c.id == account_id)).first()
    return None if row is None else _profile(row)


def read_operator_account(connection: Connection) -> Account | None:
    row = connection.execute(_joined().where(account_profiles.c.kind == "operator")).first()
    return None if row is None else account_rows.account_from_row(row)


def read_profile_page(
    connection: Connection, filters: AccountFilter, cursor: str | None, limit: int
) -> AccountPage:
    limit = max(1, min(limit, MAX_PAGE_SIZE))
    query = _joined().order_by(accounts.c.id.desc()).limit(limit + 1)
    if cursor is not None:
        query = query.where(accounts.c.id < decode_id_cursor(cursor, "acc"))
    if filters.kind == "operator":
        query = query.where(account_profiles.c.kind == "operator")
    else:
        query = query.where(
            (account_profiles.c.kind.is_(None)) | (account_profiles.c.kind == "sender")
        )
    if filters.state == "suspended":
        query = query.where(accounts.c.status == "suspended")
    elif filters.state is not None:
        query = query.where(accounts.c.status == "active")
        if filters.state == "verified":
            query = query.where(account_profiles.c.verification == "verified")
        else:
            query = query.where(
                (account_profiles.c.verification.is_(None))
                | (account_profiles.c.verification == "unverified")
            )
    if filters.review == "none":
        query = query.where(
            (account_profiles.c.review.is_(None)) | (account_profiles.c.review == "none")
        )
    elif filters.review is not None:
        query = query.where(account_profiles.c.review == filters.review)
    rows = connection.execute(query).all()
    items = tuple(_profile(row) for row in rows[:limit])
    next_cursor = encode_id_cursor(items[-1].account.id) if len(rows) > limit else None
    return AccountPage(items=items, next_cursor=next_cursor)


def profile_snapshot(profile: AccountProfile) -> dict[str, Any]:
    """The audit log's view of a profile (JSON values only)."""
    company = profile.company
    return {
        "name": profile.account.name,
        "state": profile.state,
        "verification": profile.verification,
        "review": profile.review,
        "review_reason": profile.review_reason,
        "suspended_reason": profile.suspended_reason,
        "company": None
        if company is None
        else {
            "legal_name": company.legal_name,
            "registration_number": company.registration_number,
            "country": company.country,
            "contact_name": company.contact_name,
            "contact_email": company.contact_email,
            "contact_phone": company.contact_phone,
        },
    }
