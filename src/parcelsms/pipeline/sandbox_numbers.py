"""Test numbers: an account proves it holds a phone by echoing a code sent to it by SMS.

The user-facing name is "test numbers" (``/v1/test_numbers``, ``[verification]
test_numbers_per_account``); this module is named ``sandbox_numbers`` so that no tool takes
it for a test module.

``add`` registers the number (or finds it) and sends a 6-digit code; ``confirm`` checks a
code. Once confirmed, an unverified account may send to the number
(:mod:`parcelsms.pipeline.verification_guard`).

The code travels as a **system message**: a fixed text (:data:`CODE_TEXT`), no template,
sent by the operator's own account (:meth:`AccountReviewStore.operator_account`) at price 0,
through the normal pipeline (queue, route, SMPP, receipt). It is stored under the operator's
account rather than the sender's, so the sender cannot read the code back through
``GET /v1/messages`` — which would defeat the proof — and it costs the sender nothing.

Abuse limits (each refusal is ``rate_limited`` with ``Retry-After``): one code per number per
``resend_interval``; at most ``daily_codes`` codes per account in 24 hours; at most
``max_numbers`` numbers per account (``resource_limit``). A code expires after ``code_ttl``
and is used up after ``max_attempts`` wrong tries.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Protocol

from parcelsms.domain.error_catalogue import error
from parcelsms.domain.numbers import parse_recipient
from parcelsms.domain.route_plans import route
from parcelsms.domain.routing import MessageFacts, RouteTable
from parcelsms.errors import CatalogueError
from parcelsms.pipeline.account_security_ports import (
    Account,
    Actor,
    CodeCheck,
    CodeIssue,
    TestNumber,
)
from parcelsms.pipeline.message_ports import Accepted, NewMessage
from parcelsms.pipeline.route_book import FixedRoutes, RouteSource
from parcelsms.protocol.text.segments import Encoding, count_segments

CODE_TEXT = "Your parcelsms verification code is {code}. It expires in {minutes} minutes."
CODE_DIGITS = 6


class SandboxNumberStorage(Protocol):
    """The parts of the storage port this use case needs."""

    async def add_test_number(
        self, account_id: str, e164: str, country: str, limit: int, actor: Actor
    ) -> TestNumber: ...

    async def issue_test_code(
        self,
        test_number_id: str,
        code: str,
        expires_at: datetime,
        *,
        resend_interval: float,
        daily_limit: int,
    ) -> CodeIssue: ...

    async def attach_code_message(self, test_number_id: str, message_id: str) -> None: ...

    async def check_test_code(
        self, account_id: str, test_number_id: str, code: str, max_attempts: int, actor: Actor
    ) -> CodeCheck | None: ...

    async def get_test_number(self, account_id: str, test_number_id: str) -> TestNumber | None: ...

    async def operator_account(self) -> Account: ...


class CodeMessages(Protocol):
    """Where the code messages are accepted (the message port's accept)."""

    async def accept_messages(
        self, items: Sequence[NewMessage]
    ) -> list[Accepted | CatalogueError]: ...


@dataclass(frozen=True, slots=True)
class SandboxNumberSettings:
    """Limits of the test-number flow (``[verification]`` in the configuration)."""

    __test__ = False  # not a pytest test class

    routes: RouteTable
    code_ttl: timedelta = timedelta(minutes=10)
    max_attempts: int = 5
    max_numbers: int = 5
    resend_interval: float = 60.0
    daily_codes: int = 10
    sender_id: str | None = None


class SandboxNumberVerification:
    """The use case behind ``POST /v1/test_numbers`` and ``.../{id}/confirm``."""

    __test__ = False  # not a pytest test class

    def __init__(
        self,
        storage: SandboxNumberStorage,
        messages: CodeMessages,
        settings: SandboxNumberSettings,
        *,
        on_accepted: Callable[[], None] | None = None,
        clock: Callable[[], datetime] | None = None,
        route_source: RouteSource | None = None,
    ) -> None:
        """``route_source``: the live routes (``None``: ``settings.routes``)."""
        self._storage = storage
        self._messages = messages
        self._settings = settings
        self._routes = route_source or FixedRoutes(settings.routes)
        self._on_accepted = on_accepted
        self._clock = clock or (lambda: datetime.now(UTC))

    async def add(self, account_id: str, raw_number: str, actor: Actor) -> TestNumber:
        """Register ``raw_number`` and send it a code (nothing is sent once it is confirmed).

        Raises the number's errors (``invalid_number``, ``not_mobile``,
        ``unsupported_country``, field ``number``), ``resource_limit`` and ``rate_limited``
        (extra ``retry_after`` seconds).
        """
        settings = self._settings
        recipient = parse_recipient(raw_number, field="number")
        table, conditions = await self._routes.current()
        facts = MessageFacts(
            recipient.country,
            recipient.e164,
            account_id,
            sender_id=settings.sender_id,
            key=recipient.e164,
        )
        plan = route(facts, table, conditions, field="number")
        number = await self._storage.add_test_number(
            account_id, recipient.e164, recipient.country, settings.max_numbers, actor
        )
        if number.status == "verified":
            return number
        code = f"{secrets.randbelow(10**CODE_DIGITS):0{CODE_DIGITS}d}"
        expires_at = self._clock() + settings.code_ttl
        issue = await self._storage.issue_test_code(
            number.id,
            code,
            expires_at,
            resend_interval=settings.resend_interval,
            daily_limit=settings.daily_codes,
        )
        if not issue.issued:
            raise _refusal(issue)
        operator = await self._storage.operator_account()
        body = CODE_TEXT.format(code=code, minutes=int(settings.code_ttl.total_seconds() // 60))
        info = count_segments(body)
        message = NewMessage(
            account_id=operator.id,
            to_e164=recipient.e164,
            country=recipient.country,
            template_id=None,
            language=None,
            body=body,
            encoding="GSM7" if info.encoding is Encoding.GSM7 else "UCS2",
            segments=info.segment_count,
            price_micros=0,
            currency=operator.currency,
            sender_id=settings.sender_id,
            client_ref=f"test_number:{number.id}",
            callback_url=None,
            route_plan=plan,
            valid_until=expires_at,
        )
        (result,) = await self._messages.accept_messages([message])
        if isinstance(result, CatalogueError):
            raise result
        await self._storage.attach_code_message(number.id, result.message_id)
        if self._on_accepted is not None:
            self._on_accepted()
        refreshed = await self._storage.get_test_number(account_id, number.id)
        return refreshed or number

    async def confirm(
        self, account_id: str, test_number_id: str, code: str, actor: Actor
    ) -> TestNumber:
        """Confirm a number with its code.

        Raises ``not_found`` (no such number in the account), ``invalid_request`` (not 6
        digits; no attempt is used), ``invalid_code`` (extra ``attempts_left``) and
        ``code_expired`` (expired, used up, or never sent).
        """
        code = code.strip()
        if len(code) != CODE_DIGITS or not (code.isascii() and code.isdigit()):
            raise error("invalid_request", f"The code is {CODE_DIGITS} digits.", field="code")
        check = await self._storage.check_test_code(
            account_id, test_number_id, code, self._settings.max_attempts, actor
        )
        if check is None:
            raise error("not_found", "No such test number in this account.")
        if check.outcome in ("confirmed", "already_verified"):
            return check.test_number
        if check.outcome == "invalid":
            left = check.attempts_left
            raise error(
                "invalid_code",
                f"The code is wrong; {left} attempt{'s' if left != 1 else ''} left."
                if left
                else "The code is wrong and no attempts are left; request a new code.",
                field="code",
                attempts_left=left,
            )
        raise error(
            "code_expired",
            "The code has expired or was used up; add the number again to get a new one.",
            field="code",
        )


def _refusal(issue: CodeIssue) -> CatalogueError:
    if issue.reason == "daily_limit":
        message = "The account has sent its daily number of verification codes; try later."
    else:
        message = "A code was sent to this number moments ago; wait before asking again."
    return error("rate_limited", message, field="number", retry_after=issue.retry_after)
