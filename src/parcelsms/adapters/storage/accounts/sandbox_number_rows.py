"""Sandbox (test) numbers and their verification codes: the numbers an unverified account
may send to once it has confirmed a code.

A code is stored only as ``HMAC-SHA256(pepper, "<test number id>:<code>")`` and compared in
constant time. Every code sent is also a row of ``test_number_codes``, kept when the number
is deleted, so that deleting and re-adding a number does not reset the daily limit.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.engine import Connection

from parcelsms.adapters.storage.accounts.audit_rows import write_audit
from parcelsms.adapters.storage.context import StorageContext
from parcelsms.adapters.storage.engine.schema.account_tables import test_number_codes, test_numbers
from parcelsms.domain.error_catalogue import error
from parcelsms.domain.ids import new_id
from parcelsms.domain.numbers import mask_number
from parcelsms.errors import CatalogueError
from parcelsms.pipeline.account_security_ports import Actor, CodeCheck, CodeIssue, TestNumber

_DAY = timedelta(days=1)


def code_hash(pepper: bytes, test_number_id: str, code: str) -> str:
    """The stored form of a verification code."""
    return hmac.new(pepper, f"{test_number_id}:{code}".encode(), hashlib.sha256).hexdigest()


def _number(row: Any) -> TestNumber:
    return TestNumber(
        id=row.id,
        account_id=row.account_id,
        e164=row.e164,
        country=row.country,
        status=row.status,
        attempts=row.attempts,
        code_expires_at=row.code_expires_at,
        code_message_id=row.code_message_id,
        created_at=row.created_at,
        verified_at=row.verified_at,
    )


def _snapshot(number: TestNumber) -> dict[str, Any]:
    return {"number": mask_number(number.e164), "status": number.status}


def read_test_number(
    connection: Connection, account_id: str, test_number_id: str
) -> TestNumber | None:
    row = connection.execute(
        select(test_numbers).where(
            test_numbers.c.id == test_number_id, test_numbers.c.account_id == account_id
        )
    ).first()
    return None if row is None else _number(row)


def read_test_numbers(connection: Connection, account_id: str) -> list[TestNumber]:
    rows = connection.execute(
        select(test_numbers)
        .where(test_numbers.c.account_id == account_id)
        .order_by(test_numbers.c.id)
    )
    return [_number(row) for row in rows]


def is_confirmed(connection: Connection, account_id: str, e164: str) -> bool:
    row = connection.execute(
        select(test_numbers.c.id).where(
            test_numbers.c.account_id == account_id,
            test_numbers.c.e164 == e164,
            test_numbers.c.status == "verified",
        )
    ).first()
    return row is not None


@dataclass(frozen=True, slots=True)
class NewSandboxNumber:
    account_id: str
    e164: str
    country: str
    limit: int
    actor: Actor


@dataclass(frozen=True, slots=True)
class CodeRequest:
    test_number_id: str
    code: str
    expires_at: datetime
    resend_interval: float
    daily_limit: int


@dataclass(frozen=True, slots=True)
class CodeMessage:
    test_number_id: str
    message_id: str


@dataclass(frozen=True, slots=True)
class CodeAttempt:
    account_id: str
    test_number_id: str
    code: str
    max_attempts: int
    actor: Actor


@dataclass(frozen=True, slots=True)
class Removal:
    account_id: str
    test_number_id: str
    actor: Actor


class SandboxNumberOperations:
    """Bulk functions for test-number writes (one item at a time inside the writer's group)."""

    __test__ = False  # not a pytest test class

    def __init__(self, context: StorageContext) -> None:
        self._context = context

    def add(
        self, connection: Connection, items: list[NewSandboxNumber]
    ) -> Sequence[TestNumber | CatalogueError]:
        results: list[TestNumber | CatalogueError] = []
        for item in items:
            row = connection.execute(
                select(test_numbers).where(
                    test_numbers.c.account_id == item.account_id, test_numbers.c.e164 == item.e164
                )
            ).first()
            if row is not None:
                results.append(_number(row))
                continue
            count = connection.execute(
                select(func.count())
                .select_from(test_numbers)
                .where(test_numbers.c.account_id == item.account_id)
            ).scalar_one()
            if count >= item.limit:
                results.append(
                    error(
                        "resource_limit",
                        f"The account has {item.limit} test numbers, the limit; delete one first.",
                    )
                )
                continue
            now = self._context.clock()
            number_id = new_id("tn")
            connection.execute(
                test_numbers.insert().values(
                    id=number_id,
                    account_id=item.account_id,
                    e164=item.e164,
                    country=item.country,
                    status="pending",
                    code_hash=None,
                    code_expires_at=None,
                    attempts=0,
                    code_message_id=None,
                    created_at=now,
                    verified_at=None,
                )
            )
            created = read_test_number(connection, item.account_id, number_id)
            if created is None:  # pragma: no cover - inserted just above
                raise RuntimeError("the new test number row vanished")
            self._audit(
                connection, item.actor, "test_number.add", created, None, _snapshot(created)
            )
            results.append(created)
        return results

    def issue(self, connection: Connection, items: list[CodeRequest]) -> Sequence[CodeIssue]:
        results: list[CodeIssue] = []
        for item in items:
            now = self._context.clock()
            row = connection.execute(
                select(test_numbers.c.account_id).where(test_numbers.c.id == item.test_number_id)
            ).first()
            if row is None:
                results.append(CodeIssue(issued=False, reason="cooldown"))
                continue
            last = connection.execute(
                select(func.max(test_number_codes.c.sent_at)).where(
                    test_number_codes.c.test_number_id == item.test_number_id
                )
            ).scalar_one()
            if last is not None:
                wait = item.resend_interval - (now - last).total_seconds()
                if wait > 0:
                    results.append(CodeIssue(issued=False, retry_after=wait, reason="cooldown"))
                    continue
            window = connection.execute(
                select(func.count(), func.min(test_number_codes.c.sent_at)).where(
                    test_number_codes.c.account_id == row.account_id,
                    test_number_codes.c.sent_at > now - _DAY,
                )
            ).one()
            if window[0] >= item.daily_limit:
                wait = (window[1] + _DAY - now).total_seconds()
                results.append(
                    CodeIssue(issued=False, retry_after=max(wait, 1.0), reason="daily_limit")
                )
                continue
            connection.execute(
                test_numbers.update()
                .where(test_numbers.c.id == item.test_number_id)
                .values(
                    code_hash=code_hash(self._context.pepper, item.test_number_id, item.code),
                    code_expires_at=item.expires_at,
                    attempts=0,
                    code_message_id=None,
                )
            )
            connection.execute(
                test_number_codes.insert().values(
                    account_id=row.account_id, test_number_id=item.test_number_id, sent_at=now
                )
            )
            results.append(CodeIssue(issued=True))
        return results

    def attach_message(self, connection: Connection, items: list[CodeMessage]) -> Sequence[None]:
        for item in items:
            connection.execute(
                test_numbers.update()
                .where(test_numbers.c.id == item.test_number_id)
                .values(code_message_id=item.message_id)
            )
        return [None] * len(items)

    def check(self, connection: Connection, items: list[CodeAttempt]) -> Sequence[CodeCheck | None]:
        results: list[CodeCheck | None] = []
        for item in items:
            number = read_test_number(connection, item.account_id, item.test_number_id)
            if number is None:
                results.append(None)
                continue
            results.append(self._check(connection, item, number))
        return results

    def _check(self, connection: Connection, item: CodeAttempt, number: TestNumber) -> CodeCheck:
        now = self._context.clock()
        if number.status == "verified":
            return CodeCheck(outcome="already_verified", test_number=number, attempts_left=0)
        stored = connection.execute(
            select(test_numbers.c.code_hash).where(test_numbers.c.id == number.id)
        ).scalar_one()
        expires = number.code_expires_at
        if (
            stored is None
            or expires is None
            or expires <= now
            or number.attempts >= item.max_attempts
        ):
            return CodeCheck(outcome="expired", test_number=number, attempts_left=0)
        presented = code_hash(self._context.pepper, number.id, item.code)
        if hmac.compare_digest(presented, stored):
            connection.execute(
                test_numbers.update()
                .where(test_numbers.c.id == number.id)
                .values(status="verified", verified_at=now, code_hash=None, code_expires_at=None)
            )
            confirmed = read_test_number(connection, item.account_id, number.id) or number
            self._audit(
                connection,
                item.actor,
                "test_number.confirm",
                confirmed,
                _snapshot(number),
                _snapshot(confirmed),
            )
            return CodeCheck(outcome="confirmed", test_number=confirmed, attempts_left=0)
        attempts = number.attempts + 1
        values: dict[str, Any] = {"attempts": attempts}
        if attempts >= item.max_attempts:
            values["code_hash"] = None  # used up: only a new code can confirm the number
        connection.execute(
            test_numbers.update().where(test_numbers.c.id == number.id).values(**values)
        )
        updated = read_test_number(connection, item.account_id, number.id) or number
        return CodeCheck(
            outcome="invalid",
            test_number=updated,
            attempts_left=max(0, item.max_attempts - attempts),
        )

    def remove(self, connection: Connection, items: list[Removal]) -> Sequence[bool]:
        results: list[bool] = []
        for item in items:
            number = read_test_number(connection, item.account_id, item.test_number_id)
            if number is None:
                results.append(False)
                continue
            connection.execute(delete(test_numbers).where(test_numbers.c.id == number.id))
            self._audit(
                connection, item.actor, "test_number.delete", number, _snapshot(number), None
            )
            results.append(True)
        return results

    def _audit(
        self,
        connection: Connection,
        actor: Actor,
        action: str,
        number: TestNumber,
        before: dict[str, Any] | None,
        after: dict[str, Any] | None,
    ) -> None:
        write_audit(
            connection,
            actor,
            action,
            at=self._context.clock(),
            target_type="test_number",
            target_id=number.id,
            account_id=number.account_id,
            before=before,
            after=after,
        )
