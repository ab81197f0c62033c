"""Replies: stored owned by the account whose message they answer; listed by account and
for the operator.

:class:`StoreRepliesOperation` runs in the writer's transaction. The owner is the latest
message sent to the reply's number within the match window (index ``(to_e164,
created_at)``), preferring one sent from the address the reply was sent to. The keyword's
suppression change and the ``message.inbound`` webhook are written in the same transaction.
Each reply gets ``seq``, its place in the events feed, as ``max(seq) + 1``: computed under
the database's write lock, so it is commit order (docs/inbound.md, "The events cursor").
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import msgspec
from sqlalchemy import delete, func, insert, select
from sqlalchemy.engine import Connection

from parcelsms.adapters.storage.engine.id_cursors import decode_id_cursor, encode_id_cursor
from parcelsms.adapters.storage.engine.schema.message_tables import inbound_messages, messages
from parcelsms.adapters.storage.engine.schema.recipient_block_tables import suppressions
from parcelsms.adapters.storage.webhooks.outbox_routing_rows import (
    OUTBOX_INSERT,
    outbox_rows,
    read_subscriptions,
)
from parcelsms.domain.ids import new_id
from parcelsms.domain.reply_keywords import ReplyKeyword
from parcelsms.domain.webhook_routing import MESSAGE_INBOUND, route_event
from parcelsms.pipeline.inbound_ports import (
    InboundFilter,
    InboundPage,
    InboundReply,
    ReplyToStore,
)

MAX_PAGE_SIZE = 500
# How many recent messages to the number are looked at for one sent from the reply's address.
_OWNER_CANDIDATES = 20
_encoder = msgspec.json.Encoder()


def _address_key(address: str | None) -> str:
    """An address as replies and messages are compared: no ``+``, spaces or case."""
    return "".join((address or "").split()).lstrip("+").casefold()


def _find_owner(connection: Connection, item: ReplyToStore) -> Any | None:
    message = item.message
    since = message.received_at - item.match_window
    candidates = connection.execute(
        select(messages.c.id, messages.c.account_id, messages.c.client_ref, messages.c.sender_id)
        .where(messages.c.to_e164 == message.source, messages.c.created_at >= since)
        .order_by(messages.c.created_at.desc())
        .limit(_OWNER_CANDIDATES)
    ).all()
    if not candidates:
        return None
    addressed = _address_key(message.destination)
    for candidate in candidates:
        if addressed and _address_key(candidate.sender_id) == addressed:
            return candidate
    return candidates[0]


def _apply_keyword(connection: Connection, reply: InboundReply) -> None:
    if reply.account_id is None or reply.keyword is None:
        return
    key = (suppressions.c.account_id == reply.account_id) & (
        suppressions.c.number == reply.from_number
    )
    if reply.keyword is ReplyKeyword.OPT_IN:
        connection.execute(delete(suppressions).where(key))
        return
    if connection.execute(select(suppressions.c.number).where(key)).first() is None:
        connection.execute(
            insert(suppressions).values(
                account_id=reply.account_id,
                number=reply.from_number,
                source="keyword",
                inbound_id=reply.id,
                created_at=reply.received_at,
            )
        )


def _queue_inbound_webhook(connection: Connection, reply: InboundReply) -> None:
    """The ``message.inbound`` webhook to each of the owner's endpoints subscribed to it
    (the one routing rule, :func:`~parcelsms.domain.webhook_routing.route_event`); nothing
    when none is."""
    if reply.account_id is None:
        return
    subscriptions = read_subscriptions(connection, (reply.account_id,))
    routes = route_event(frozenset({MESSAGE_INBOUND}), subscriptions.get(reply.account_id, ()))
    if not routes:
        return
    OUTBOX_INSERT.execute(
        connection,
        outbox_rows(
            routes,
            event_id=reply.id,
            account_id=reply.account_id,
            message_id=None,
            payload=_encoder.encode(reply.webhook_payload()).decode("utf-8"),
            at=reply.received_at,
        ),
    )


class StoreRepliesOperation:
    """Stores replies with their owner, keyword effect and webhook (see the module)."""

    def __call__(self, connection: Connection, items: list[ReplyToStore]) -> Sequence[InboundReply]:
        last = connection.execute(select(func.max(inbound_messages.c.seq))).scalar() or 0
        stored: list[InboundReply] = []
        for offset, item in enumerate(items, start=1):
            message = item.message
            owner = _find_owner(connection, item)
            reply = InboundReply(
                id=new_id("inb"),
                account_id=owner.account_id if owner is not None else None,
                channel=message.channel,
                from_number=message.source,
                to=message.destination,
                text=message.text,
                received_at=message.received_at,
                message_id=owner.id if owner is not None else None,
                client_ref=owner.client_ref if owner is not None else None,
                keyword=item.keyword if owner is not None else None,
                complete=message.complete,
                missing_parts=message.missing_parts,
            )
            connection.execute(
                insert(inbound_messages).values(
                    id=reply.id,
                    channel=reply.channel,
                    source=reply.from_number,
                    destination=reply.to,
                    text=reply.text,
                    received_at=reply.received_at,
                    account_id=reply.account_id,
                    message_id=reply.message_id,
                    client_ref=reply.client_ref,
                    keyword=reply.keyword.value if reply.keyword is not None else None,
                    complete=reply.complete,
                    missing_parts=list(reply.missing_parts) or None,
                    seq=last + offset,
                )
            )
            _apply_keyword(connection, reply)
            _queue_inbound_webhook(connection, reply)
            stored.append(reply)
        return stored


def reply_from_row(row: Any) -> InboundReply:
    """A stored reply from its ``inbound_messages`` row."""
    return InboundReply(
        id=row.id,
        account_id=row.account_id,
        channel=row.channel,
        from_number=row.source,
        to=row.destination,
        text=row.text,
        received_at=row.received_at,
        message_id=row.message_id,
        client_ref=row.client_ref,
        keyword=ReplyKeyword(row.keyword) if row.keyword else None,
        complete=bool(row.complete),
        missing_parts=tuple(row.missing_parts or ()),
    )


def _page(connection: Connection, query: Any, cursor: str | None, limit: int) -> InboundPage:
    limit = max(1, min(limit, MAX_PAGE_SIZE))
    if cursor is not None:
        query = query.where(inbound_messages.c.id < decode_id_cursor(cursor, "inb"))
    rows = connection.execute(query.order_by(inbound_messages.c.id.desc()).limit(limit + 1)).all()
    items = tuple(reply_from_row(row) for row in rows[:limit])
    next_cursor = encode_id_cursor(items[-1].id) if len(rows) > limit else None
    return InboundPage(items=items, next_cursor=next_cursor)


def read_reply_page(
    connection: Connection,
    account_id: str,
    filters: InboundFilter,
    cursor: str | None,
    limit: int,
) -> InboundPage:
    """The account's replies, newest first, keyset-paginated by id."""
    query = select(inbound_messages).where(inbound_messages.c.account_id == account_id)
    if filters.from_number is not None:
        query = query.where(inbound_messages.c.source == filters.from_number)
    if filters.message_id is not None:
        query = query.where(inbound_messages.c.message_id == filters.message_id)
    if filters.since is not None:
        query = query.where(inbound_messages.c.received_at >= filters.since)
    if filters.until is not None:
        query = query.where(inbound_messages.c.received_at < filters.until)
    return _page(connection, query, cursor, limit)


def read_unmatched_page(connection: Connection, cursor: str | None, limit: int) -> InboundPage:
    """Replies no account owns, newest first."""
    query = select(inbound_messages).where(inbound_messages.c.account_id.is_(None))
    return _page(connection, query, cursor, limit)


def read_replies_after(
    connection: Connection, account_id: str, after_seq: int, limit: int
) -> list[tuple[int, InboundReply]]:
    """The account's replies with ``seq`` above ``after_seq``, in ``seq`` order."""
    rows = connection.execute(
        select(inbound_messages)
        .where(inbound_messages.c.account_id == account_id, inbound_messages.c.seq > after_seq)
        .order_by(inbound_messages.c.seq)
        .limit(limit)
    ).all()
    return [(int(row.seq), reply_from_row(row)) for row in rows]
