"""The storage port: what the use cases need from a database, and the records it speaks in.

Operations are shaped after use cases and take LISTS: an adapter turns one call into a few
set-based statements inside one transaction, because a round trip per row is far too slow for
thousands of messages a second. Each item of a list gets its own result; one item's input
error (a :class:`~parcelsms.errors.CatalogueError` returned in its place) never affects the
others. A backend failure raises :class:`~parcelsms.errors.StorageError` for the items it hit.

Times are timezone-aware UTC ``datetime`` values. Money is integer micro-units of the account's
currency. Status values are the strings ``scheduled, queued, submitted, delivered,
undelivered, expired, rejected, failed, canceled``. Records are immutable msgspec Structs
with keyword-only fields.

Billing is exactly once per message and every movement is a ledger row:

* accept: ``reserve`` (available −price, reserved +price);
* ``settle`` (reserved −price) when the message reached a carrier: at submission, or — when
  the adapter is built with ``refund_on_reject=True`` — only at its final state;
* ``refund`` (available +price, reserved −price) when it never reached a carrier (``failed``)
  or, with ``refund_on_reject=True``, when the carrier rejected it.

A message has exactly one ``reserve`` and at most one of ``settle``/``refund``. A message a
package pays has price 0 and also one ``package_use`` (and a ``package_refund`` when it is
refunded): see :mod:`parcelsms.pipeline.billing_ports`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from typing import Literal, Protocol

import msgspec

from parcelsms.domain.error_catalogue import error
from parcelsms.domain.receipt_correlation import Reading
from parcelsms.domain.status import MessageStatus
from parcelsms.errors import CatalogueError
from parcelsms.pipeline.account_security_ports import Account, AccountSecurityStore
from parcelsms.pipeline.billing_ports import BillingStore
from parcelsms.pipeline.content_ports import (
    MessageSettings,
    MessageSettingsStore,
    NewTemplateVersion,
    SenderIdRecord,
    SenderIdStore,
    Template,
    TemplateFinding,
    TemplateLookup,
    TemplateStatus,
    TemplateStore,
    TemplateVariable,
    TemplateVariants,
)

RecoveryPolicy = Literal["resend", "assume_submitted"]

FLAG_RESENT_AFTER_CRASH = "resent_after_crash"
FLAG_SUBMIT_OUTCOME_UNKNOWN = "submit_outcome_unknown"
FLAG_NO_RECEIPT = "no_receipt"


# --- webhook endpoints -------------------------------------------


class WebhookEndpoint(msgspec.Struct, frozen=True, kw_only=True):
    """An account's webhook target and its Standard Webhooks signing secret."""

    account_id: str
    url: str
    secret: str
    created_at: datetime


# --- accepting messages ---------------------------------------------------------------------


class NewMessage(msgspec.Struct, frozen=True, kw_only=True):
    """A validated, rendered and priced message ready to be stored as ``queued``.

    ``request_hash`` identifies the request body for idempotency: the same ``account_id`` and
    ``idempotency_key`` with the same hash replays the stored message, with a different hash
    is an ``idempotency_conflict``.
    """

    account_id: str
    to_e164: str
    country: str
    template_id: str | None
    language: str | None
    body: str
    encoding: Literal["GSM7", "UCS2"]
    segments: int
    price_micros: int
    currency: str
    sender_id: str | None
    client_ref: str | None
    callback_url: str | None
    route_plan: tuple[str, ...]
    valid_until: datetime
    idempotency_key: str | None = None
    request_hash: str | None = None


class Accepted(msgspec.Struct, frozen=True, kw_only=True):
    """A stored message; ``replayed`` when an earlier request with its idempotency key made it."""

    message_id: str
    account_id: str
    status: MessageStatus
    to_e164: str
    country: str
    encoding: str
    segments: int
    price_micros: int
    currency: str
    client_ref: str | None
    created_at: datetime
    replayed: bool = False


class IdempotentRequest(msgspec.Struct, frozen=True, kw_only=True):
    """The message an ``Idempotency-Key`` created, and the hash of the request that made it."""

    request_hash: str | None
    accepted: Accepted

    def answer(self, request_hash: str | None) -> Accepted | CatalogueError:
        """What a request with this key and ``request_hash`` gets: the message again
        (``replayed``) when the hashes match, else ``idempotency_conflict``."""
        if request_hash != self.request_hash:
            return error(
                "idempotency_conflict",
                field="Idempotency-Key",
                message_id=self.accepted.message_id,
            )
        return msgspec.structs.replace(self.accepted, replayed=True)


# --- dispatching ----------------------------------------------------------------------------


class DispatchItem(msgspec.Struct, frozen=True, kw_only=True):
    """A claimed message: everything the dispatcher needs to submit it."""

    message_id: str
    account_id: str
    to_e164: str
    country: str
    body: str
    encoding: Literal["GSM7", "UCS2"]
    segments: int
    sender_id: str | None
    route_plan: tuple[str, ...]
    route_index: int
    valid_until: datetime
    flags: tuple[str, ...]
    created_at: datetime


class ErrorDetail(msgspec.Struct, frozen=True, kw_only=True):
    """Why an attempt failed: the carrier's ``stat``/``err`` (raw), a readable detail, and a
    stable ``reason`` code where the platform decided (``no_receipt``)."""

    detail: str
    stat: str | None = None
    err: str | None = None
    reason: str | None = None


class SubmittedPart(msgspec.Struct, frozen=True, kw_only=True):
    """One segment accepted by a carrier: its id as written in the submit_sm_resp and the
    wire time of that response (``None``: the time it is recorded)."""

    part_no: int
    carrier_id_raw: str
    responded_at_us: int | None = None


class Submitted(msgspec.Struct, frozen=True, kw_only=True):
    """Every segment of the message was accepted by ``channel``."""

    message_id: str
    channel: str
    parts: tuple[SubmittedPart, ...]
    flags: tuple[str, ...] = ()


class Retry(msgspec.Struct, frozen=True, kw_only=True):
    """The attempt failed but the message may still go out: back to ``queued``."""

    message_id: str
    next_route_index: int
    next_attempt_at: datetime
    error: ErrorDetail


class Failed(msgspec.Struct, frozen=True, kw_only=True):
    """The message will never reach a carrier: ``failed`` and refunded."""

    message_id: str
    error: ErrorDetail


SubmissionOutcome = Submitted | Retry | Failed


# --- receipts -------------------------------------------------------------------------------


class ReceiptRecord(msgspec.Struct, frozen=True, kw_only=True):
    """A delivery receipt as received on ``channel``, and what is known of its part.

    ``carrier_id`` is the id as the carrier wrote it in the receipt. ``match`` is the exact
    key of the response id it names under the channel's id format (``None`` while the
    format is not known: the receipt waits). ``responded_at_us`` names the submission it
    belongs to by the wire time of its submit_sm_resp when the channel still remembers it;
    ``None`` leaves
    the choice to :func:`parcelsms.domain.receipt_correlation.choose_part`. ``state`` is the
    final status the receipt means, or ``None`` for an intermediate state (ENROUTE, ACCEPTD)
    that changes nothing but the part's raw ``stat``. ``received_at_us`` is the wire time
    of the receipt, on the same clock as ``responded_at_us``.
    """

    channel: str
    carrier_id: str
    state: MessageStatus | None
    stat: str | None
    err: str | None
    raw: str
    received_at: datetime
    received_at_us: int
    match: str | None = None
    responded_at_us: int | None = None


class ReceiptCounts(msgspec.Struct, frozen=True, kw_only=True):
    """What became of a list of receipts.

    ``matched`` found their part (including intermediate states), ``duplicates`` found a
    part that was already final (nothing changed), ``pending`` were stored until their
    submission is recorded.
    """

    matched: int
    duplicates: int
    pending: int


# --- webhooks -------------------------------------------------------------------------------


class WebhookEvent(msgspec.Struct, frozen=True, kw_only=True):
    """A status change to tell the sender about; input of :meth:`WebhookPolicy.payload`."""

    event_id: str
    account_id: str
    message_id: str
    status: MessageStatus
    previous_status: MessageStatus | None
    at: datetime
    to_e164: str
    country: str
    client_ref: str | None
    segments: int
    price_micros: int
    currency: str
    flags: tuple[str, ...]
    channel: str | None
    route: str | None
    attempt: int
    error: ErrorDetail | None


WebhookPayloadBuilder = Callable[[WebhookEvent], str]
"""Builds the JSON text POSTed for an event; stored verbatim so retries send the same bytes."""


class WebhookPolicy(Protocol):
    """Which status changes make a webhook, to which URL, with which body.

    Given to storage by the composition root; storage writes an outbox row for a change to
    a status in ``statuses`` whose ``url_for`` is not ``None``, in the transaction of the
    change. Implemented by :class:`parcelsms.pipeline.webhook_policy.StatusWebhookPolicy`.
    """

    @property
    def statuses(self) -> frozenset[MessageStatus]:
        """The statuses whose changes make a webhook."""
        ...

    def url_for(self, callback_url: str | None, endpoint_url: str | None) -> str | None:
        """Where the webhook of a message goes: from its ``callback_url`` and its account's
        endpoint URL (``None`` when the account has none); ``None`` sends nothing."""
        ...

    def payload(self, event: WebhookEvent) -> str:
        """The JSON text POSTed for ``event``."""
        ...


class WebhookDelivery(msgspec.Struct, frozen=True, kw_only=True):
    """A claimed outbox row. ``secret`` is the account endpoint's, ``None`` when it has none;
    ``message_id`` is ``None`` for an account event (``balance.low``, ...)."""

    id: str
    account_id: str
    message_id: str | None
    url: str
    secret: str | None
    payload: str
    attempts: int
    created_at: datetime


class WebhookResult(msgspec.Struct, frozen=True, kw_only=True):
    """The outcome of one delivery attempt.

    ``ok`` marks the row delivered. Otherwise ``next_attempt_at`` schedules a retry, or
    ``None`` gives up (the row becomes ``failed``).
    """

    id: str
    ok: bool
    status: int | None = None
    error: str | None = None
    next_attempt_at: datetime | None = None


# --- queries --------------------------------------------------------------------------------


class MessageEvent(msgspec.Struct, frozen=True, kw_only=True):
    """One status change in a message's history."""

    status: MessageStatus
    at: datetime
    detail: dict[str, object] | None


class MessagePart(msgspec.Struct, frozen=True, kw_only=True):
    """One segment as submitted, with the raw receipt values once known.

    ``carrier_id`` is the id as the carrier wrote it; ``route`` the sender's opaque label of
    ``channel`` (:mod:`parcelsms.domain.route_labels`)."""

    part_no: int
    channel: str
    route: str
    carrier_id: str
    status: str
    stat: str | None
    err: str | None
    submitted_at: datetime
    done_at: datetime | None


class Message(msgspec.Struct, frozen=True, kw_only=True):
    """A stored message as its account may see it."""

    id: str
    account_id: str
    status: MessageStatus
    to_e164: str
    country: str
    template_id: str | None
    language: str | None
    body: str
    encoding: str
    segments: int
    price_micros: int
    currency: str
    sender_id: str | None
    client_ref: str | None
    callback_url: str | None
    flags: tuple[str, ...]
    last_error: ErrorDetail | None
    created_at: datetime
    updated_at: datetime
    submitted_at: datetime | None
    final_at: datetime | None
    valid_until: datetime


class MessageDetail(msgspec.Struct, frozen=True, kw_only=True):
    """A message with its history (oldest first) and its parts."""

    message: Message
    events: tuple[MessageEvent, ...]
    parts: tuple[MessagePart, ...]


class MessageFilter(msgspec.Struct, frozen=True, kw_only=True):
    """Filters of a message listing; ``since`` inclusive, ``until`` exclusive (created_at)."""

    status: MessageStatus | None = None
    to_e164: str | None = None
    client_ref: str | None = None
    since: datetime | None = None
    until: datetime | None = None


class MessagePage(msgspec.Struct, frozen=True, kw_only=True):
    """A page of messages, newest first; ``next_cursor`` is ``None`` on the last page."""

    items: tuple[Message, ...]
    next_cursor: str | None


class LedgerTotals(msgspec.Struct, frozen=True, kw_only=True):
    """An account's balances next to the sums of its ledger (they must agree)."""

    balance_micros: int
    reserved_micros: int
    ledger_amount_micros: int
    ledger_reserved_micros: int
    entries_by_kind: dict[str, int]


class InboundMessage(msgspec.Struct, frozen=True, kw_only=True):
    """A mobile-originated message (a reply) received on ``channel``."""

    channel: str
    source: str
    destination: str
    text: str
    received_at: datetime
    account_id: str | None = None


# --- the port -------------------------------------------------------------------------------


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


class BillingAndBalances(BillingStore, Protocol):
    """Billing, and the account whose balance it reports."""

    async def get_account(self, account_id: str) -> Account | None: ...


class ContentStore(TemplateStore, SenderIdStore, MessageSettingsStore, Protocol):
    """Templates, sender IDs and message settings."""


class WebhookEndpointStore(Protocol):
    """The account-wide webhook endpoint."""

    async def set_webhook_endpoint(
        self, account_id: str, url: str, secret: str
    ) -> WebhookEndpoint: ...

    async def get_webhook_endpoint(self, account_id: str) -> WebhookEndpoint | None: ...


class MessageStore(Protocol):
    """The message rows are the queue: accept, claim, record outcomes and receipts."""

    async def accept_messages(self, items: Sequence[NewMessage]) -> list[Accepted | CatalogueError]:
        """Store each item as ``queued`` with its ``reserve``, or say why not.

        Per item, atomically: idempotency replay or ``idempotency_conflict``; ``not_found``
        or ``account_suspended`` for the account; who pays: a package covering the
        destination (``Accepted.price_micros`` is then 0), else the balance;
        ``no_package_for_region`` (extra: ``missing_segments``) for a package-only account
        no package covers; ``insufficient_balance`` (extra: ``missing_micros``) when the
        available balance is below the price. A price-0 item uses neither. An accepted item
        that takes the balance below the account's alert threshold records a ``balance.low``
        event in the same transaction. Items of several accounts may be mixed; all accepted
        items share one commit. An item the database failed to store answers
        ``service_unavailable`` (it was not stored).
        """
        ...

    async def find_idempotent_request(
        self, account_id: str, idempotency_key: str
    ) -> IdempotentRequest | None:
        """The committed message this account created with ``idempotency_key``, if any."""
        ...

    async def claim_for_dispatch(
        self, claim_token: str, limit: int, now: datetime
    ) -> list[DispatchItem]:
        """Claim up to ``limit`` queued, due, unclaimed messages, oldest due first."""
        ...

    async def record_submissions(self, outcomes: Sequence[SubmissionOutcome]) -> list[bool]:
        """Apply each outcome to its (queued) message; ``False`` when it was not queued.

        ``Submitted`` → ``submitted`` with its parts, settle (per policy), event, webhook;
        receipts stored earlier for the new parts are applied in the same transaction.
        ``Retry`` → ``queued`` again, unclaimed, due at ``next_attempt_at``. ``Failed`` →
        ``failed``, refund, event, webhook.
        """
        ...

    async def recover_claims(self, new_claim_token: str, policy: RecoveryPolicy) -> int:
        """Resolve messages left claimed by another (dead) claim token.

        ``resend``: unclaim, flag ``resent_after_crash`` (the carrier may see it twice).
        ``assume_submitted``: ``submitted`` with flag ``submit_outcome_unknown`` (no parts,
        so it ends ``expired`` by :meth:`expire_overdue` unless told otherwise).
        """
        ...

    async def expire_overdue(self, now: datetime, grace: timedelta) -> int:
        """Submitted messages past ``valid_until + grace`` → ``expired``, flag ``no_receipt``."""
        ...

    async def store_inbound(self, messages: Sequence[InboundMessage]) -> list[str]:
        """Store mobile-originated messages; returns their ids."""
        ...


class WebhookOutbox(Protocol):
    """Outbox rows are written with the status change; a sender claims and reports them."""

    async def claim_due_webhooks(
        self, limit: int, now: datetime, lease_seconds: float
    ) -> list[WebhookDelivery]:
        """Claim due pending rows; a claimed row is due again after the lease if not reported."""
        ...

    async def record_webhook_results(self, results: Sequence[WebhookResult]) -> None: ...


class MessageQueries(Protocol):
    """Reads, scoped to an account: another account's id answers ``None``."""

    async def get_message(self, account_id: str, message_id: str) -> MessageDetail | None: ...

    async def list_messages(
        self,
        account_id: str,
        filters: MessageFilter,
        cursor: str | None = None,
        limit: int = 50,
    ) -> MessagePage:
        """Newest first. An invalid ``cursor`` raises ``CatalogueError`` ``invalid_cursor``."""
        ...

    async def account_ledger_totals(self, account_id: str) -> LedgerTotals | None: ...


class UnmatchedReceipt(msgspec.Struct, frozen=True, kw_only=True):
    """A receipt that matched no submission within the pending time-to-live."""

    id: str
    channel: str
    carrier_id: str
    stat: str | None
    err: str | None
    raw: str
    received_at: datetime
    moved_at: datetime


class ReceiptStore(Protocol):
    """Receipts: applied to their parts, kept while they wait, set aside when they never match.

    The rules are :mod:`parcelsms.domain.receipt_correlation`'s; see
    :mod:`parcelsms.pipeline.receipts` for who decides what.
    """

    async def apply_receipts(self, receipts: Sequence[ReceiptRecord]) -> ReceiptCounts:
        """Apply receipts to their parts; a message is final once all its parts are
        (:func:`parcelsms.domain.status.combine_part_statuses`). Duplicates change nothing.
        A receipt that cannot be placed yet is stored (never lost) and looked at again when
        a part with its key is recorded, when its early window closes, or when its
        channel's id reading is learned."""
        ...

    async def sweep_pending_receipts(self, now: datetime, pending_ttl: timedelta) -> int:
        """Decide pending receipts whose early window closed; set aside (as unmatched) those
        older than ``pending_ttl``. Returns how many were set aside."""
        ...

    async def record_channel_reading(self, channel: str, reading: Reading, at: datetime) -> None:
        """Remember ``channel``'s id reading and key the receipts that waited for it."""
        ...

    async def channel_readings(self) -> dict[str, Reading]:
        """The id reading learned for each channel."""
        ...

    async def list_unmatched_receipts(
        self, *, channel: str | None, limit: int, before: str | None
    ) -> list[UnmatchedReceipt]:
        """Receipts set aside, newest first; ``before`` is the id of the last one seen."""
        ...


class Storage(Protocol):
    """Storage, one port per room; the composition root hands each consumer its ports."""

    @property
    def messages(self) -> MessageStore: ...

    @property
    def receipts(self) -> ReceiptStore: ...

    @property
    def message_queries(self) -> MessageQueries: ...

    @property
    def accounts(self) -> AccountsAndKeys: ...

    @property
    def billing(self) -> BillingAndBalances: ...

    @property
    def content(self) -> ContentStore: ...

    @property
    def webhook_endpoints(self) -> WebhookEndpointStore: ...

    @property
    def webhook_outbox(self) -> WebhookOutbox: ...

    async def close(self) -> None:
        """Drain pending writes and release connections."""
        ...


__all__ = [  # records of the content and account ports, re-exported for callers
    "Account",
    "MessageSettings",
    "MessageSettingsStore",
    "NewTemplateVersion",
    "SenderIdRecord",
    "SenderIdStore",
    "Template",
    "TemplateFinding",
    "TemplateLookup",
    "TemplateStatus",
    "TemplateStore",
    "TemplateVariable",
    "TemplateVariants",
]
