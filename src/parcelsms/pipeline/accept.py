"""Accepting messages: validate, render, encode, price, then store as ``queued``.

The use case behind ``POST /v1/messages`` and ``POST /v1/messages/batch``. Everything a
sender can get wrong is checked here, before anything is stored, and reported as a
catalogued error naming the field. What passes becomes a :class:`NewMessage` and is
stored — balance reserved, message queued and ledger written in one transaction — by
the storage port; the caller gets its answer only after that commit.

In a batch each item is validated and stored on its own: one bad recipient, or one item
the balance no longer covers, never affects another item.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import msgspec

from parcelsms.domain.error_catalogue import error
from parcelsms.domain.numbers import parse_recipient
from parcelsms.domain.pricing import PriceList
from parcelsms.domain.routing import RouteTable
from parcelsms.domain.templates import ParsedTemplate, parse_template, render
from parcelsms.errors import CatalogueError
from parcelsms.pipeline.ports import (
    Accepted,
    MessageStore,
    NewMessage,
    TemplateLookup,
    TemplateStore,
)
from parcelsms.pipeline.send_guards import GuardContext, SendGuard
from parcelsms.protocol.text.segments import Encoding, count_segments

MAX_BATCH = 1000
MAX_CLIENT_REF = 128
# Sender IDs: alphanumeric (1-11 of A-Z a-z 0-9 and space, not all digits) or numeric (up to
# 15 digits, optionally with a leading +) — what GSM 03.40 TP-OA can carry.
_ALNUM_SENDER = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789 ")


@dataclass(frozen=True, slots=True)
class SendRequest:
    """One message as a sender asked for it (already JSON-decoded, not yet validated)."""

    to: str
    template: str
    params: Mapping[str, object] = field(default_factory=dict)
    language: str | None = None
    sender_id: str | None = None
    client_ref: str | None = None
    callback_url: str | None = None


@dataclass(frozen=True, slots=True)
class AcceptSettings:
    """Operator settings the accept step needs."""

    prices: PriceList
    routes: RouteTable
    validity: timedelta = timedelta(hours=48)
    max_segments: int = 10
    default_sender_id: str | None = None
    template_cache_seconds: float = 5.0


def validate_sender_id(sender_id: str, field_name: str = "sender_id") -> str:
    """Return ``sender_id`` if it can be a GSM originator; raise ``invalid_sender_id``."""
    value = sender_id.strip()
    digits = value[1:] if value.startswith("+") else value
    if digits.isdigit() and digits.isascii():
        if len(digits) > 15:
            raise error(
                "invalid_sender_id",
                "A numeric sender ID has at most 15 digits.",
                field=field_name,
            )
        return digits
    if not value or len(value) > 11 or not set(value) <= _ALNUM_SENDER:
        raise error(
            "invalid_sender_id",
            "An alphanumeric sender ID has 1 to 11 characters of A-Z, a-z, 0-9 and space.",
            field=field_name,
        )
    return value


def _validate_client_ref(value: str, field_name: str) -> str:
    if len(value) > MAX_CLIENT_REF or not value.isprintable():
        raise error(
            "invalid_request",
            f"client_ref is at most {MAX_CLIENT_REF} printable characters.",
            field=field_name,
        )
    return value


class AcceptMessages:
    """The accept use case. One instance per process; safe for concurrent use."""

    def __init__(
        self,
        settings: AcceptSettings,
        messages: MessageStore,
        templates: TemplateStore,
        *,
        check_callback_url: Callable[[str], None] | None = None,
        on_accepted: Callable[[], None] | None = None,
        clock: Callable[[], datetime] | None = None,
        guards: Sequence[SendGuard] = (),
    ) -> None:
        self._settings = settings
        self._guards = tuple(guards)
        self._messages = messages
        self._templates = templates
        self._check_callback_url = check_callback_url
        self._on_accepted = on_accepted
        self._clock = clock or (lambda: datetime.now(UTC))
        # (account, template id or name, language) -> (lookup, parsed body, expires at).
        # Approved templates are immutable, so a short cache only delays a NEW approval.
        self._template_cache: dict[
            tuple[str, str, str | None], tuple[TemplateLookup, ParsedTemplate | None, float]
        ] = {}

    async def send(
        self,
        account_id: str,
        currency: str,
        request: SendRequest,
        *,
        idempotency_key: str | None = None,
        request_hash: str | None = None,
    ) -> Accepted:
        """Validate and store one message; raises :class:`CatalogueError` on bad input."""
        new, context = await self._prepare(account_id, currency, request, field_prefix="")
        if idempotency_key is not None:
            new = _with_idempotency(new, idempotency_key, request_hash)
        (result,) = await self._store([new], [context])
        if isinstance(result, CatalogueError):
            raise result
        return result

    async def send_batch(
        self,
        account_id: str,
        currency: str,
        requests: Sequence[SendRequest],
        *,
        indexes: Sequence[int] | None = None,
    ) -> list[Accepted | CatalogueError]:
        """Validate and store each item on its own; one result per item, in order.

        ``indexes`` are the items' positions in the caller's request (errors name fields as
        ``messages[<index>].to``); by default their positions in ``requests``.
        """
        if len(requests) > MAX_BATCH:
            raise error(
                "batch_too_large",
                f"A batch holds at most {MAX_BATCH} messages; split it.",
                field="messages",
            )
        results: list[Accepted | CatalogueError | None] = [None] * len(requests)
        ready: list[NewMessage] = []
        contexts: list[GuardContext] = []
        positions: list[int] = []
        labels = range(len(requests)) if indexes is None else indexes
        for index, (request, label) in enumerate(zip(requests, labels, strict=True)):
            try:
                new, context = await self._prepare(
                    account_id, currency, request, field_prefix=f"messages[{label}]."
                )
            except CatalogueError as problem:
                results[index] = problem
            else:
                ready.append(new)
                contexts.append(context)
                positions.append(index)
        if ready:
            stored = await self._store(ready, contexts)
            for index, result in zip(positions, stored, strict=True):
                results[index] = result
        return [result for result in results if result is not None]

    async def _store(
        self, items: list[NewMessage], contexts: list[GuardContext]
    ) -> list[Accepted | CatalogueError]:
        """Store admitted items; tell the guards which were stored and which were not."""
        try:
            stored = await self._messages.accept_messages(items)
        except BaseException:
            for context in contexts:
                for guard in self._guards:
                    guard.released(context)
            raise
        for context, result in zip(contexts, stored, strict=True):
            stored_ok = not isinstance(result, CatalogueError)
            for guard in self._guards:
                if stored_ok:
                    guard.accepted(context)
                else:
                    guard.released(context)
        if self._on_accepted is not None:
            self._on_accepted()
        return stored

    async def _prepare(
        self, account_id: str, currency: str, request: SendRequest, *, field_prefix: str
    ) -> tuple[NewMessage, GuardContext]:
        settings = self._settings
        recipient = parse_recipient(request.to, field=f"{field_prefix}to")
        plan = settings.routes.plan_for(recipient.country, field=f"{field_prefix}to")
        lookup, parsed = await self._template(account_id, request.template, request.language)
        if lookup.template is None or parsed is None:
            raise _template_problem(lookup, request, field_prefix)
        body = render(parsed, request.params, field_prefix=f"{field_prefix}params")
        info = count_segments(body)
        if info.segment_count > settings.max_segments:
            raise error(
                "message_too_long",
                f"The rendered text needs {info.segment_count} segments "
                f"({info.encoding.value}); the limit is {settings.max_segments}.",
                field=f"{field_prefix}params",
            )
        sender_id = request.sender_id or settings.default_sender_id
        if sender_id is not None:
            sender_id = validate_sender_id(sender_id, f"{field_prefix}sender_id")
        client_ref = request.client_ref
        if client_ref is not None:
            client_ref = _validate_client_ref(client_ref, f"{field_prefix}client_ref")
        callback_url = request.callback_url
        if callback_url is not None and self._check_callback_url is not None:
            try:
                self._check_callback_url(callback_url)
            except CatalogueError as problem:
                raise error(
                    "invalid_callback_url", problem.message, field=f"{field_prefix}callback_url"
                ) from None
        price = settings.prices.price(recipient.country, info.segment_count)
        context = GuardContext(
            account_id=account_id,
            recipient=recipient,
            body=body,
            segments=info.segment_count,
            price_micros=price,
            field_prefix=field_prefix,
        )
        admitted: list[SendGuard] = []
        try:
            for guard in self._guards:
                await guard.admit(context)
                admitted.append(guard)
        except BaseException:
            for guard in admitted:
                guard.released(context)
            raise
        now = self._clock()
        message = NewMessage(
            account_id=account_id,
            to_e164=recipient.e164,
            country=recipient.country,
            template_id=lookup.template.id,
            language=lookup.template.language,
            body=body,
            encoding="GSM7" if info.encoding is Encoding.GSM7 else "UCS2",
            segments=info.segment_count,
            price_micros=price,
            currency=currency,
            sender_id=sender_id,
            client_ref=client_ref,
            callback_url=callback_url,
            route_plan=plan,
            valid_until=now + settings.validity,
        )
        return message, context

    async def _template(
        self, account_id: str, id_or_name: str, language: str | None
    ) -> tuple[TemplateLookup, ParsedTemplate | None]:
        key = (account_id, id_or_name, language)
        cached = self._template_cache.get(key)
        now = time.monotonic()
        if cached is not None and cached[2] > now:
            return cached[0], cached[1]
        lookup = await self._templates.find_sendable_template(account_id, id_or_name, language)
        parsed = parse_template(lookup.template.body) if lookup.template is not None else None
        if len(self._template_cache) > 10_000:
            self._template_cache.clear()
        self._template_cache[key] = (lookup, parsed, now + self._settings.template_cache_seconds)
        return lookup, parsed


def _template_problem(
    lookup: TemplateLookup, request: SendRequest, field_prefix: str
) -> CatalogueError:
    problem = lookup.problem or "unknown_template"
    if problem == "template_language_unavailable":
        available = ", ".join(lookup.languages) or "none"
        return error(
            problem,
            f"Template {request.template!r} has no approved {request.language!r} version "
            f"(approved languages: {available}).",
            field=f"{field_prefix}language",
        )
    if problem == "template_not_approved":
        return error(
            problem,
            f"Template {request.template!r} is not approved yet; only approved templates send.",
            field=f"{field_prefix}template",
        )
    return error(
        "unknown_template",
        f"No template {request.template!r} in this account.",
        field=f"{field_prefix}template",
    )


def _with_idempotency(new: NewMessage, key: str, request_hash: str | None) -> NewMessage:
    return msgspec.structs.replace(new, idempotency_key=key, request_hash=request_hash)
