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

from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import msgspec

from parcelsms.domain.country_rules import CountryRules
from parcelsms.domain.daily_rule import DailyRule
from parcelsms.domain.error_catalogue import error
from parcelsms.domain.languages import CountryLanguages, packaged_country_languages
from parcelsms.domain.pricing import PriceList
from parcelsms.domain.recipient_rule import RecipientRule
from parcelsms.domain.routing import RouteTable
from parcelsms.domain.sender_selection import canonical_sender_id
from parcelsms.errors import CatalogueError
from parcelsms.pipeline.compose import (
    ComposeMemo,
    ComposeSettings,
    MessageComposer,
    PriceSource,
    packaged_country_rules,
)
from parcelsms.pipeline.content_ports import ContentStore
from parcelsms.pipeline.message_ports import Accepted, MessageStore, NewMessage
from parcelsms.pipeline.preview import MessagePreview, build_preview
from parcelsms.pipeline.route_book import RouteSource
from parcelsms.pipeline.send_guards import GuardContext, SendGuard
from parcelsms.protocol.text.segments import Encoding

MAX_BATCH = 1000
MAX_CLIENT_REF = 128


class SendRequest(msgspec.Struct, frozen=True):
    """One message as a sender asked for it (already JSON-decoded, not yet validated)."""

    to: str
    template: str
    params: Mapping[str, object] = msgspec.field(default_factory=dict)
    language: str | None = None
    sender_id: str | None = None
    client_ref: str | None = None
    callback_url: str | None = None
    # None: the account's setting (see pipeline.compose).
    smart_encoding: bool | None = None


@dataclass(frozen=True, slots=True)
class AcceptSettings:
    """Operator settings the accept step needs."""

    prices: PriceList
    routes: RouteTable
    validity: timedelta = timedelta(hours=48)
    max_segments: int = 10
    default_sender_id: str | None = None
    template_cache_seconds: float = 5.0
    # The country rules registry and country languages; the packaged files by default.
    country_rules: CountryRules | None = None
    country_languages: CountryLanguages | None = None

    def compose_settings(self) -> ComposeSettings:
        """The composing part of these settings."""
        return ComposeSettings(
            prices=self.prices,
            routes=self.routes,
            max_segments=self.max_segments,
            default_sender_id=self.default_sender_id,
            cache_seconds=self.template_cache_seconds,
            country_rules=self.country_rules or packaged_country_rules(),
            country_languages=self.country_languages or packaged_country_languages(),
        )


def validate_sender_id(sender_id: str, field_name: str = "sender_id") -> str:
    """``sender_id`` in canonical form if it can be a GSM originator; else ``invalid_sender_id``.

    Alphanumeric: 1 to 11 of A-Z, a-z, 0-9 and space, with a letter and no outer spaces;
    numeric: up to 15 digits, a leading ``+`` dropped (see ``domain.sender_selection``).
    """
    return canonical_sender_id(sender_id, field=field_name)


def _validate_client_ref(value: str, field_name: str) -> str:
    if len(value) > MAX_CLIENT_REF or not value.isprintable():
        raise error(
            "invalid_request",
            f"client_ref is at most {MAX_CLIENT_REF} printable characters.",
            field=field_name,
        )
    return value


class AcceptMessages:
    """The accept use case. One instance per process; safe for concurrent use.

    ``price_source``: the operator's live price list (``None``: ``settings.prices``).
    ``route_source``: the live routes and channel conditions (``None``: ``settings.routes``).
    ``sends_free(account_id, e164)``: whether this account's message to this number costs
    nothing (magic numbers for unverified accounts); ``None``: nothing is free.
    ``recipient_rules(account_id)``: the per-recipient rule the storage checks again when it
    stores the message (see :mod:`parcelsms.domain.recipient_rule`); ``None``: no such check.
    ``daily_rules(account_id)``: the daily thresholds the storage counts and decides in the
    accept transaction (:mod:`parcelsms.domain.daily_rule`); ``None``: messages not counted.
    ``refuse_blocked_recipients``: the storage refuses numbers that opted out of the account
    or are blacklisted, in the accept transaction (one indexed lookup per group of accepts,
    exact against a STOP that committed a moment before); the refusal is free and counted.
    The limits are decided before the blocks, so a number that is both opted out and over
    a rate limit is refused for the limit.
    """

    def __init__(
        self,
        settings: AcceptSettings,
        messages: MessageStore,
        templates: ContentStore,
        *,
        check_callback_url: Callable[[str], None] | None = None,
        on_accepted: Callable[[], None] | None = None,
        clock: Callable[[], datetime] | None = None,
        guards: Sequence[SendGuard] = (),
        price_source: PriceSource | None = None,
        route_source: RouteSource | None = None,
        sends_free: Callable[[str, str], Awaitable[bool]] | None = None,
        has_signing_secret: Callable[[str], Awaitable[bool]] | None = None,
        recipient_rules: Callable[[str], Awaitable[RecipientRule | None]] | None = None,
        refuse_blocked_recipients: bool = False,
        daily_rules: Callable[[str], Awaitable[DailyRule | None]] | None = None,
    ) -> None:
        self._settings = settings
        self._recipient_rules = recipient_rules
        self._daily_rules = daily_rules
        self._check_blocks = refuse_blocked_recipients
        self._guards = tuple(guards)
        self._messages = messages
        self._sends_free = sends_free
        self._has_signing_secret = has_signing_secret
        self._composer = MessageComposer(
            settings.compose_settings(), templates, price_source, route_source
        )
        self._check_callback_url = check_callback_url
        self._on_accepted = on_accepted
        self._clock = clock or (lambda: datetime.now(UTC))

    @property
    def compose_settings(self) -> ComposeSettings:
        """The settings messages are composed with (country rules, segment limit, ...)."""
        return self._composer.settings

    def forget_account(self, account_id: str) -> None:
        """Reread the account's templates, sender IDs and settings on its next message."""
        self._composer.forget_account(account_id)

    async def preview(self, account_id: str, request: SendRequest) -> MessagePreview:
        """What :meth:`send` would store for ``request``; nothing is stored or charged.

        Raises the same ``CatalogueError`` a send would for the message itself (guards,
        balance and idempotency are not consulted).
        """
        draft = await self._composer.compose(
            account_id,
            to=request.to,
            template=request.template,
            params=request.params,
            language=request.language,
            sender_id=request.sender_id,
            smart_encoding=request.smart_encoding,
        )
        return build_preview(draft)

    async def send(
        self,
        account_id: str,
        currency: str,
        request: SendRequest,
        *,
        idempotency_key: str | None = None,
        request_hash: str | None = None,
    ) -> Accepted:
        """Validate and store one message; raises :class:`CatalogueError` on bad input.

        A request whose ``idempotency_key`` this account already used is answered first,
        before the message is composed or any guard runs: the stored message again
        (``replayed``) when ``request_hash`` matches, else ``idempotency_conflict``. A retry
        after a timeout must learn its message id, not meet the duplicate-text or daily
        limits its own first attempt set off. (Two concurrent first attempts are still
        decided atomically by the store.)
        """
        if idempotency_key is not None:
            earlier = await self._messages.find_idempotent_request(account_id, idempotency_key)
            if earlier is not None:
                answer = earlier.answer(request_hash)
                if isinstance(answer, CatalogueError):
                    raise answer
                return answer
        new, context = await self._prepare(account_id, currency, request, field_prefix="")
        await self._admit(context)
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
        composed: list[tuple[int, NewMessage, GuardContext]] = []
        labels = range(len(requests)) if indexes is None else indexes
        memo = ComposeMemo()
        for index, (request, label) in enumerate(zip(requests, labels, strict=True)):
            try:
                new, context = await self._prepare(
                    account_id, currency, request, field_prefix=f"messages[{label}].", memo=memo
                )
            except CatalogueError as problem:
                results[index] = problem
            else:
                composed.append((index, new, context))
        ready: list[NewMessage] = []
        contexts: list[GuardContext] = []
        positions: list[int] = []
        for index, new, context in composed:
            try:
                await self._admit(context)
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
        self._settle_guards(contexts, stored)
        if self._on_accepted is not None:
            self._on_accepted()
        return [
            _with_field_prefix(result, context)
            for result, context in zip(stored, contexts, strict=True)
        ]

    def _settle_guards(
        self, contexts: list[GuardContext], stored: list[Accepted | CatalogueError]
    ) -> None:
        """Tell the guards which items were stored (counted) and which not (released)."""
        for context, result in zip(contexts, stored, strict=True):
            # A replay stored nothing new; an accepted message counts at the price charged
            # (0 when a package paid it).
            if isinstance(result, CatalogueError) or result.replayed:
                for guard in self._guards:
                    guard.released(context)
                continue
            charged = msgspec.structs.replace(context, charged_micros=result.price_micros)
            for guard in self._guards:
                guard.accepted(charged)

    async def _admit(self, context: GuardContext) -> None:
        """Run the guards; a refusal releases the guards that had admitted the message."""
        admitted: list[SendGuard] = []
        try:
            for guard in self._guards:
                await guard.admit(context)
                admitted.append(guard)
        except BaseException:
            for guard in admitted:
                guard.released(context)
            raise

    async def _prepare(
        self,
        account_id: str,
        currency: str,
        request: SendRequest,
        *,
        field_prefix: str,
        memo: ComposeMemo | None = None,
    ) -> tuple[NewMessage, GuardContext]:
        """The message to store and what the guards are told (guards not yet run); ``memo``
        is shared by the messages of one batch."""
        settings = self._settings
        draft = await self._composer.compose(
            account_id,
            to=request.to,
            template=request.template,
            params=request.params,
            language=request.language,
            sender_id=request.sender_id,
            smart_encoding=request.smart_encoding,
            field_prefix=field_prefix,
            memo=memo,
        )
        recipient, info, body = draft.recipient, draft.info, draft.body
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
        # Webhooks are signed with the account's endpoint secret; without one a callback
        # could never be signed, so refuse now rather than fail every delivery later.
        has_secret = self._has_signing_secret
        if callback_url is not None and has_secret is not None and not await has_secret(account_id):
            raise error(
                "invalid_callback_url",
                "Register a webhook endpoint first (POST /v1/webhooks): its secret signs "
                "every webhook, callbacks included.",
                field=f"{field_prefix}callback_url",
            )
        price = draft.price_micros
        sends_free = self._sends_free
        if price and sends_free is not None and await sends_free(account_id, recipient.e164):
            price = 0
        context = GuardContext(
            account_id=account_id,
            recipient=recipient,
            body=body,
            segments=info.segment_count,
            price_micros=price,
            field_prefix=field_prefix,
            currency=currency,
        )
        now = self._clock()
        message = NewMessage(
            account_id=account_id,
            to_e164=recipient.e164,
            country=recipient.country,
            template_id=draft.template.id,
            language=draft.template.language,
            body=body,
            encoding="GSM7" if info.encoding is Encoding.GSM7 else "UCS2",
            segments=info.segment_count,
            price_micros=price,
            currency=currency,
            sender_id=draft.sender_id,
            client_ref=client_ref,
            callback_url=callback_url,
            route_plan=draft.route_plan,
            valid_until=now + settings.validity,
            recipient_rule=None
            if self._recipient_rules is None
            else await self._recipient_rules(account_id),
            check_blocks=self._check_blocks,
            daily_rule=None if self._daily_rules is None else await self._daily_rules(account_id),
        )
        return message, context


def _with_field_prefix(
    result: Accepted | CatalogueError, context: GuardContext
) -> Accepted | CatalogueError:
    """A storage refusal naming a field of the item (``to``: the per-recipient rule, the
    suppression list and the blacklist, checked in the accept transaction) named as the
    caller sent it: ``messages[3].to`` in a batch."""
    if isinstance(result, CatalogueError) and result.field == "to" and context.field_prefix:
        result.field = f"{context.field_prefix}to"
    return result


def _with_idempotency(new: NewMessage, key: str, request_hash: str | None) -> NewMessage:
    return msgspec.structs.replace(new, idempotency_key=key, request_hash=request_hash)
