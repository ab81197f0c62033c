"""The message ports: accepting, dispatching and reading messages, and the records they use.

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

The other storage ports live beside the use cases that own them: receipts in
:mod:`~parcelsms.pipeline.receipt_ports`, webhooks in :mod:`~parcelsms.pipeline.webhook_ports`,
accounts and keys in :mod:`~parcelsms.pipeline.account_security_ports`, billing in
:mod:`~parcelsms.pipeline.billing_ports`, content in :mod:`~parcelsms.pipeline.content_ports`.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Literal, Protocol

import msgspec

from parcelsms.domain.daily_rule import DailyRule
from parcelsms.domain.error_catalogue import error
from parcelsms.domain.recipient_rule import RecipientRule
from parcelsms.domain.status import MessageStatus
from parcelsms.errors import CatalogueError

RecoveryPolicy = Literal["resend", "assume_submitted"]

FLAG_RESENT_AFTER_CRASH = "resent_after_crash"

FLAG_SUBMIT_OUTCOME_UNKNOWN = "submit_outcome_unknown"

FLAG_NO_RECEIPT = "no_receipt"

# A submit went unanswered (or a crash left one in doubt): the carrier may have the
# message, so a later submission may deliver it twice.
FLAG_DUPLICATE_POSSIBLE = "duplicate_possible"

# The channel's policy for unanswered submits is "review": an operator decides.
FLAG_NEEDS_REVIEW = "needs_review"

# A failed receipt (or none in time) sent the message again through another channel of its
# plan (domain.receipt_failover): it has reached a carrier already, so if no channel takes
# it again it ends ``undelivered``, not ``failed``.
FLAG_RECEIPT_FAILOVER = "receipt_failover"


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
    recipient_rule: RecipientRule | None = None
    """Checked again by the storage against every process's committed messages."""
    daily_rule: DailyRule | None = None
    """Counted against the account's daily thresholds and decided in the accept
    transaction (``daily_limit_reached``), with the day's warnings; ``None``: not counted
    (the platform's own texts)."""
    check_blocks: bool = False
    """Refuse (``recipient_opted_out`` / ``recipient_blacklisted``, field ``to``) when the
    number is on the account's suppression list or the global blacklist, decided in the
    accept transaction. Senders' messages set it; the platform's own confirmation texts
    (the reply to STOP, a test number's code) do not."""


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
    flags: tuple[str, ...] = ()


class Deferred(msgspec.Struct, frozen=True, kw_only=True):
    """Not sent: the plan's channel already has more waiting in front of it than it sends in
    a moment. Back to ``queued`` unclaimed, due at ``next_attempt_at``; not an attempt (no
    event, no error, the route index stays)."""

    message_id: str
    next_attempt_at: datetime


class HandedOver(msgspec.Struct, frozen=True, kw_only=True):
    """Not sent here: the plan's next channel that can take it is held by another pipeline
    node. Back to ``queued`` unclaimed at ``route_index`` (that channel), due now, so that
    its owner claims it; an event notes the handover, not an attempt."""

    message_id: str
    route_index: int
    channel: str


class Failed(msgspec.Struct, frozen=True, kw_only=True):
    """The message will never reach a carrier: ``failed`` and refunded — or, with
    ``carrier_rejected`` (the carrier refused the submit for good: a permanent
    ``command_status``), ``rejected`` with the carrier's status in ``error.err``, refunded
    too when it never reached a carrier before."""

    message_id: str
    error: ErrorDetail
    flags: tuple[str, ...] = ()
    carrier_rejected: bool = False


SubmissionOutcome = Submitted | Retry | Deferred | HandedOver | Failed


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
    country: str | None = None
    template_id: str | None = None
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
    # False: a concatenated reply whose other parts never came (``missing_parts``); its
    # ``text`` is the parts that did, in order. Stored all the same, never dropped.
    complete: bool = True
    missing_parts: tuple[int, ...] = ()


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
        self,
        claim_token: str,
        limit: int,
        now: datetime,
        *,
        skip_channels: frozenset[str] = frozenset(),
    ) -> list[DispatchItem]:
        """Claim up to ``limit`` queued, due, unclaimed messages, oldest due first; none
        whose current channel (``route_plan[route_index % len]``) is in ``skip_channels``
        (the channels other pipeline nodes hold)."""
        ...

    async def record_submissions(self, outcomes: Sequence[SubmissionOutcome]) -> list[bool]:
        """Apply each outcome to its (queued) message; ``False`` when it was not queued.

        ``Submitted`` → ``submitted`` with its parts, settle (per policy), event, webhook;
        receipts stored earlier for the new parts are applied in the same transaction.
        ``Retry`` → ``queued`` again, unclaimed, due at ``next_attempt_at``. ``Failed`` →
        ``failed``, refund, event, webhook.
        """
        ...

    async def recover_claims(
        self,
        new_claim_token: str,
        policy: RecoveryPolicy,
        *,
        live_within: timedelta | None = None,
    ) -> int:
        """Resolve messages left claimed by another (dead) claim token.

        With ``live_within``, a token is dead only when no pipeline node of that id has
        sent a heartbeat within it (database clock); the claims of live nodes stay.

        ``resend``: unclaim, flag ``resent_after_crash`` (the carrier may see it twice).
        ``assume_submitted``: ``submitted`` with flag ``submit_outcome_unknown`` (no parts,
        so it ends ``expired`` by :meth:`expire_overdue` unless told otherwise).
        """
        ...

    async def expire_overdue(self, now: datetime, grace: timedelta) -> int:
        """Submitted messages past ``valid_until + grace`` → ``expired``, flag ``no_receipt``."""
        ...


class MessageQueries(Protocol):
    """Reads, scoped to an account: another account's id answers ``None``."""

    async def get_message(self, account_id: str, message_id: str) -> MessageDetail | None: ...

    async def get_message_for_operator(self, message_id: str) -> MessageDetail | None:
        """Any account's message, as the operator sees it: parts and history name the
        carrier channel (senders see only route labels)."""
        ...

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
