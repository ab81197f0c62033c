"""Account profiles: kind, verification, company details and their review; suspension.

A profile row is optional: an account without one is an unverified sender that has submitted
nothing (accounts made before profiles existed start so). Each
operation writes its change and its audit row in one transaction and answers a
:class:`CatalogueError` result (not an exception) for input problems.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from sqlalchemy import select
from sqlalchemy.engine import Connection

from parcelsms.adapters.storage.accounts import account_rows as account_rows
from parcelsms.adapters.storage.accounts.audit_rows import write_audit
from parcelsms.adapters.storage.accounts.profile_read_rows import (
    profile_snapshot,
    read_operator_account,
    read_profile,
)
from parcelsms.adapters.storage.context import StorageContext
from parcelsms.adapters.storage.engine.schema.account_tables import account_profiles, accounts
from parcelsms.domain.company_details import CompanyDetails
from parcelsms.domain.error_catalogue import error
from parcelsms.domain.ids import new_id
from parcelsms.domain.money import balance_overflow, balance_room, format_micros
from parcelsms.errors import CatalogueError
from parcelsms.pipeline.account_security_ports import (
    Account,
    AccountProfile,
    Actor,
)

OPERATOR_ACCOUNT_NAME = "parcelsms-operator"
ReviewAction = Literal["verify", "reject", "suspend", "reactivate"]


def _write_profile(
    connection: Connection, account_id: str, now: datetime, values: dict[str, Any]
) -> None:
    exists = connection.execute(
        select(account_profiles.c.account_id).where(account_profiles.c.account_id == account_id)
    ).first()
    if exists is None:
        defaults: dict[str, Any] = {
            "kind": "sender",
            "verification": "unverified",
            "review": "none",
        }
        connection.execute(
            account_profiles.insert().values(
                account_id=account_id, updated_at=now, **{**defaults, **values}
            )
        )
    else:
        connection.execute(
            account_profiles.update()
            .where(account_profiles.c.account_id == account_id)
            .values(updated_at=now, **values)
        )


@dataclass(frozen=True, slots=True)
class NewSenderAccount:
    name: str
    balance_micros: int
    currency: str
    verified: bool
    actor: Actor


@dataclass(frozen=True, slots=True)
class DetailsSubmission:
    account_id: str
    details: CompanyDetails
    actor: Actor


@dataclass(frozen=True, slots=True)
class AccountReview:
    account_id: str
    action: ReviewAction
    reason: str | None
    actor: Actor


@dataclass(frozen=True, slots=True)
class AuditedTopUp:
    account_id: str
    micros: int
    note: str | None
    actor: Actor


@dataclass(frozen=True, slots=True)
class TimeZoneChange:
    account_id: str
    time_zone: str
    actor: Actor


ProfileResult = AccountProfile | CatalogueError | None


class ProfileOperations:
    """Bulk functions for profile writes (one item at a time inside the writer's group)."""

    def __init__(self, context: StorageContext) -> None:
        self._context = context
        self._accounts = account_rows.AccountOperations(context)

    def create(
        self, connection: Connection, items: list[NewSenderAccount]
    ) -> Sequence[ProfileResult]:
        results: list[ProfileResult] = []
        for item in items:
            (account,) = self._accounts.create(
                connection,
                [account_rows.NewAccount(item.name, item.balance_micros, item.currency)],
            )
            now = self._context.clock()
            verification = "verified" if item.verified else "unverified"
            _write_profile(
                connection,
                account.id,
                now,
                {"verification": verification, "verified_at": now if item.verified else None},
            )
            profile = read_profile(connection, account.id)
            if profile is None:  # pragma: no cover - written just above
                raise RuntimeError("the new profile row vanished")
            after = profile_snapshot(profile) | {
                "currency": account.currency,
                "balance": format_micros(account.balance_micros),
            }
            self._audit(connection, item.actor, "account.create", profile, None, after)
            results.append(profile)
        return results

    def submit(
        self, connection: Connection, items: list[DetailsSubmission]
    ) -> Sequence[ProfileResult]:
        results: list[ProfileResult] = []
        for item in items:
            before = read_profile(connection, item.account_id)
            if before is None:
                results.append(error("not_found", "No such account."))
                continue
            if before.verification == "verified":
                results.append(
                    error(
                        "account_state_conflict",
                        "The account is verified already; its company details are on file. "
                        "Ask the operator to change them.",
                    )
                )
                continue
            details = item.details
            _write_profile(
                connection,
                item.account_id,
                self._context.clock(),
                {
                    "review": "pending_review",
                    "review_reason": None,
                    "submitted_at": self._context.clock(),
                    "reviewed_at": None,
                    "legal_name": details.legal_name,
                    "registration_number": details.registration_number,
                    "country": details.country,
                    "contact_name": details.contact_name,
                    "contact_email": details.contact_email,
                    "contact_phone": details.contact_phone,
                },
            )
            results.append(self._finish(connection, item.actor, "account.submit_details", before))
        return results

    def review(self, connection: Connection, items: list[AccountReview]) -> Sequence[ProfileResult]:
        results: list[ProfileResult] = []
        for item in items:
            before = read_profile(connection, item.account_id)
            if before is None:
                results.append(None)
                continue
            if before.kind == "operator":
                results.append(
                    error("account_state_conflict", "The operator account cannot be reviewed.")
                )
                continue
            problem = self._apply(connection, item, before)
            if problem is not None:
                results.append(problem)
                continue
            results.append(self._finish(connection, item.actor, f"account.{item.action}", before))
        return results

    def _apply(
        self, connection: Connection, item: AccountReview, before: AccountProfile
    ) -> CatalogueError | None:
        now = self._context.clock()
        account_id = item.account_id
        if item.action == "verify":
            values: dict[str, Any] = {"verification": "verified", "verified_at": now}
            if before.review in ("pending_review", "rejected"):
                values |= {"review": "approved", "reviewed_at": now, "review_reason": item.reason}
            _write_profile(connection, account_id, now, values)
        elif item.action == "reject":
            if before.verification == "verified":
                return error(
                    "account_state_conflict",
                    "The account is verified; suspend it instead of rejecting it.",
                )
            _write_profile(
                connection,
                account_id,
                now,
                {"review": "rejected", "review_reason": item.reason, "reviewed_at": now},
            )
        elif item.action == "suspend":
            self._accounts.set_status(
                connection, [account_rows.AccountStatusChange(account_id, "suspended")]
            )
            _write_profile(
                connection, account_id, now, {"suspended_reason": item.reason, "suspended_at": now}
            )
        else:
            self._accounts.set_status(
                connection, [account_rows.AccountStatusChange(account_id, "active")]
            )
            _write_profile(
                connection, account_id, now, {"suspended_reason": None, "suspended_at": None}
            )
        return None

    def top_up(self, connection: Connection, items: list[AuditedTopUp]) -> Sequence[Any]:
        results: list[Account | CatalogueError] = []
        for item in items:
            before = account_rows.read_account(connection, item.account_id)
            if before is None:
                results.append(error("not_found", "No such account.", field="account_id"))
                continue
            if item.micros > balance_room(before.balance_micros, before.reserved_micros):
                results.append(
                    balance_overflow("amount", before.balance_micros, before.reserved_micros)
                )
                continue
            (after,) = self._accounts.top_up(
                connection, [account_rows.TopUp(item.account_id, item.micros, item.note)]
            )
            write_audit(
                connection,
                item.actor,
                "account.top_up",
                at=self._context.clock(),
                target_type="account",
                target_id=item.account_id,
                account_id=item.account_id,
                before={"balance": format_micros(before.balance_micros)},
                after={
                    "balance": format_micros(after.balance_micros),
                    "amount": format_micros(item.micros),
                    "note": item.note,
                },
            )
            results.append(after)
        return results

    def set_time_zone(
        self, connection: Connection, items: list[TimeZoneChange]
    ) -> Sequence[ProfileResult]:
        results: list[ProfileResult] = []
        for item in items:
            before = read_profile(connection, item.account_id)
            if before is None:
                results.append(error("not_found", "No such account.", field="account_id"))
                continue
            connection.execute(
                accounts.update()
                .where(accounts.c.id == item.account_id)
                .values(time_zone=item.time_zone)
            )
            after = read_profile(connection, item.account_id)
            assert after is not None  # read in this transaction
            self._audit(
                connection,
                item.actor,
                "account.time_zone",
                after,
                {"time_zone": before.account.time_zone},
                {"time_zone": item.time_zone},
            )
            results.append(after)
        return results

    def operator_account(self, connection: Connection, items: list[None]) -> Sequence[Account]:
        existing = read_operator_account(connection)
        if existing is None:
            name = OPERATOR_ACCOUNT_NAME
            if account_rows.read_account_by_name(connection, name) is not None:
                name = f"{OPERATOR_ACCOUNT_NAME}-{new_id('x')[-6:].lower()}"
            (existing,) = self._accounts.create(
                connection, [account_rows.NewAccount(name, 0, "EUR")]
            )
            now = self._context.clock()
            _write_profile(
                connection,
                existing.id,
                now,
                {"kind": "operator", "verification": "verified", "verified_at": now},
            )
        return [existing] * len(items)

    def _finish(
        self, connection: Connection, actor: Actor, action: str, before: AccountProfile
    ) -> AccountProfile:
        after = read_profile(connection, before.account.id)
        if after is None:  # pragma: no cover - read in this transaction
            raise RuntimeError("the profile row vanished")
        self._audit(
            connection, actor, action, after, profile_snapshot(before), profile_snapshot(after)
        )
        return after

    def _audit(
        self,
        connection: Connection,
        actor: Actor,
        action: str,
        profile: AccountProfile,
        before: dict[str, Any] | None,
        after: dict[str, Any],
    ) -> None:
        write_audit(
            connection,
            actor,
            action,
            at=self._context.clock(),
            target_type="account",
            target_id=profile.account.id,
            account_id=profile.account.id,
            before=before,
            after=after,
        )
