"""Ports and records of replies (mobile-originated messages), recipient blocks and the
events feed.

A reply is stored owned by the account whose message it answers (see
:meth:`InboundStore.store_replies`); the accept step asks :class:`RecipientBlockStore` which
recipients of a batch may not be texted; a sender polls :class:`EventFeed` instead of (or as
well as) receiving webhooks.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from typing import Literal, Protocol

import msgspec

from parcelsms.domain.events import format_timestamp
from parcelsms.domain.reply_keywords import ReplyKeyword
from parcelsms.pipeline.message_ports import InboundMessage

INBOUND_EVENT_TYPE = "message.inbound"
BlockReason = Literal["recipient_opted_out", "recipient_blacklisted"]
SuppressionSource = Literal["keyword", "api", "import"]


class ReplyToStore(msgspec.Struct, frozen=True, kw_only=True):
    """A received reply, its keyword, and how far back its owner may be looked for."""

    message: InboundMessage
    keyword: ReplyKeyword | None
    match_window: timedelta


class InboundReply(msgspec.Struct, frozen=True, kw_only=True):
    """A stored reply. ``account_id`` is ``None`` for a reply that matched no message.

    ``message_id`` / ``client_ref``: the outbound message it answers. ``complete`` is false
    for a concatenated reply whose ``missing_parts`` never arrived (its text is what did).
    """

    id: str
    account_id: str | None
    channel: str
    from_number: str
    to: str
    text: str
    received_at: datetime
    message_id: str | None
    client_ref: str | None
    keyword: ReplyKeyword | None
    complete: bool
    missing_parts: tuple[int, ...] = ()

    def webhook_payload(self) -> dict[str, object]:
        """The ``message.inbound`` webhook body (docs/inbound.md)."""
        return {
            "type": INBOUND_EVENT_TYPE,
            "id": self.id,
            "created_at": format_timestamp(self.received_at),
            "data": reply_data(self),
        }


def reply_data(reply: InboundReply) -> dict[str, object]:
    """A reply as the sender sees it (webhook ``data``, events feed); no channel name."""
    return {
        "id": reply.id,
        "from": reply.from_number,
        "to": reply.to,
        "text": reply.text,
        "received_at": format_timestamp(reply.received_at),
        "message_id": reply.message_id,
        "client_ref": reply.client_ref,
        "keyword": reply.keyword.value if reply.keyword is not None else None,
        "complete": reply.complete,
        "missing_parts": list(reply.missing_parts),
    }


class InboundFilter(msgspec.Struct, frozen=True, kw_only=True):
    """Filters of ``GET /v1/inbound``; ``None`` means any."""

    from_number: str | None = None
    since: datetime | None = None
    until: datetime | None = None
    message_id: str | None = None


class InboundPage(msgspec.Struct, frozen=True, kw_only=True):
    """Newest first; ``next_cursor`` fetches the next (older) page."""

    items: tuple[InboundReply, ...]
    next_cursor: str | None


class InboundStore(Protocol):
    """Stored replies."""

    async def store_replies(self, replies: Sequence[ReplyToStore]) -> list[InboundReply]:
        """Store each reply in its own transaction and return it as stored.

        Its owner is the account of the latest message sent to the reply's number within
        ``match_window`` — among those, the latest one sent from the number or sender ID the
        reply was addressed to, when there is one. In the same transaction: an ``opt_out``
        keyword puts the number on the owner's suppression list and an ``opt_in`` takes it
        off (so both hold even if no webhook is ever delivered), and a ``message.inbound``
        webhook is queued for the owner's endpoint. A reply with no owner is kept for the
        operator.
        """
        ...

    async def list_replies(
        self, account_id: str, filters: InboundFilter, cursor: str | None, limit: int
    ) -> InboundPage:
        """The account's replies; an invalid ``cursor`` raises ``invalid_cursor``."""
        ...

    async def list_unmatched_replies(self, cursor: str | None, limit: int) -> InboundPage:
        """Replies no account owns, newest first (for the operator)."""
        ...


class Suppression(msgspec.Struct, frozen=True, kw_only=True):
    """A number an account may not text (its recipient opted out, or the sender said so)."""

    number: str
    source: SuppressionSource
    created_at: datetime


class BlacklistEntry(msgspec.Struct, frozen=True, kw_only=True):
    """A number no account may text (the operator's global blacklist)."""

    number: str
    note: str | None
    created_at: datetime


class RecipientBlockStore(Protocol):
    """Suppression lists, the blacklist and the count of refusals they caused."""

    async def blocked_recipients(
        self, account_id: str, numbers: Sequence[str]
    ) -> dict[str, BlockReason]:
        """Which of ``numbers`` (E.164) the account may not text, and why: one indexed
        lookup for the whole list. The blacklist wins over a suppression."""
        ...

    async def count_refusals(self, account_id: str, day: str, counts: Mapping[str, int]) -> None:
        """Add ``counts`` (reason code → refused sends) to the account's ``day`` (UTC)."""
        ...

    async def refusal_counts(self, account_id: str, since_day: str) -> dict[str, int]:
        """Refused sends per reason from ``since_day`` (UTC, inclusive) on."""
        ...

    async def list_suppressions(
        self, account_id: str, cursor: str | None, limit: int
    ) -> tuple[list[Suppression], str | None]:
        """The account's suppression list by number, and the next page's cursor."""
        ...

    async def add_suppressions(
        self, account_id: str, numbers: Sequence[str], source: SuppressionSource, at: datetime
    ) -> list[bool]:
        """Add each number; ``False`` for one already on the list (left as it was)."""
        ...

    async def remove_suppression(self, account_id: str, number: str) -> bool:
        """Take ``number`` off the list; ``False`` when it was not on it."""
        ...

    async def list_blacklist(
        self, cursor: str | None, limit: int
    ) -> tuple[list[BlacklistEntry], str | None]:
        """The global blacklist by number, and the next page's cursor."""
        ...

    async def add_to_blacklist(self, number: str, note: str | None, at: datetime) -> bool:
        """Blacklist ``number``; ``False`` when it already was (its note is replaced)."""
        ...

    async def remove_from_blacklist(self, number: str) -> bool:
        """Take ``number`` off the blacklist; ``False`` when it was not on it."""
        ...


class FeedEvent(msgspec.Struct, frozen=True, kw_only=True):
    """One entry of the events feed: a status change or a reply.

    ``type`` is ``message.status`` (``message_id``, ``status``, ``client_ref`` set) or
    ``message.inbound`` (``reply`` set).
    """

    type: Literal["message.status", "message.inbound"]
    at: datetime
    message_id: str | None = None
    status: str | None = None
    client_ref: str | None = None
    reply: InboundReply | None = None


class FeedPage(msgspec.Struct, frozen=True, kw_only=True):
    """Events in order after a cursor; ``next_cursor`` continues after the last one (it is
    returned even when ``events`` is empty: poll with it again later). ``has_more``: more
    is already stored after ``next_cursor`` (ask again at once rather than at the next
    poll); a page may be short, even empty, and still have more."""

    events: tuple[FeedEvent, ...]
    next_cursor: str
    has_more: bool


class EventFeed(Protocol):
    """Status changes and replies of one account, in commit order, by cursor."""

    async def read_events(self, account_id: str, after: str | None, limit: int) -> FeedPage:
        """Up to ``limit`` events after ``after`` (``None``: from the beginning).

        MUST never skip an event nor return one twice across pages, whatever is written
        concurrently; an invalid cursor raises ``invalid_cursor``.
        """
        ...
