"""Account-scoped reads of messages: one message with its history, and listings.

Every query filters by ``account_id`` first, so another account's id reads as absent.
Listings are newest first and paginated by keyset: the cursor is the last id of a page
(opaque to clients: URL-safe base64), and the next page is ``id < cursor``.
"""

from __future__ import annotations

import base64
import binascii
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.engine import Connection

from parcelsms.adapters.storage.engine.query_results import run_query
from parcelsms.adapters.storage.engine.schema.message_tables import (
    message_events,
    message_parts,
    messages,
)
from parcelsms.adapters.storage.messages.message_state_rows import error_from_document
from parcelsms.domain.error_catalogue import error
from parcelsms.domain.ids import first_id_at, is_valid_id
from parcelsms.domain.route_labels import route_label
from parcelsms.pipeline.message_ports import (
    Message,
    MessageDetail,
    MessageEvent,
    MessageFilter,
    MessagePage,
    MessagePart,
)

MAX_PAGE_SIZE = 1000
# A message's id is made within the transaction that stamps its created_at, so the time in
# the id is that moment give or take a little. A date range also bounds the ids by it,
# widened by this margin: the range is then a stretch of an (account_id, …, id) index
# instead of a walk from the newest message back to the range (seconds on 1M messages).
ID_CLOCK_MARGIN = timedelta(hours=1)

_MESSAGE_COLUMNS = (
    messages.c.id,
    messages.c.account_id,
    messages.c.status,
    messages.c.to_e164,
    messages.c.country,
    messages.c.template_id,
    messages.c.language,
    messages.c.body,
    messages.c.encoding,
    messages.c.segments,
    messages.c.price_micros,
    messages.c.currency,
    messages.c.sender_id,
    messages.c.client_ref,
    messages.c.callback_url,
    messages.c.flags,
    messages.c.last_error,
    messages.c.created_at,
    messages.c.updated_at,
    messages.c.submitted_at,
    messages.c.final_at,
    messages.c.valid_until,
)


def _id_made_at(moment: datetime) -> str:
    return first_id_at("msg", int(moment.timestamp() * 1000))


def encode_cursor(message_id: str) -> str:
    return base64.urlsafe_b64encode(message_id.encode("ascii")).decode("ascii").rstrip("=")


def decode_cursor(cursor: str) -> str:
    """The message id inside ``cursor``; ``invalid_cursor`` for anything we did not make."""
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        message_id = base64.urlsafe_b64decode(padded.encode("ascii")).decode("ascii")
    except (ValueError, binascii.Error, UnicodeError):
        raise error("invalid_cursor", field="cursor") from None
    if not is_valid_id(message_id, "msg"):
        raise error("invalid_cursor", field="cursor")
    return message_id


def _message(row: Any) -> Message:
    return Message(
        id=row.id,
        account_id=row.account_id,
        status=row.status,
        to_e164=row.to_e164,
        country=row.country,
        template_id=row.template_id,
        language=row.language,
        body=row.body,
        encoding=row.encoding,
        segments=row.segments,
        price_micros=row.price_micros,
        currency=row.currency,
        sender_id=row.sender_id,
        client_ref=row.client_ref,
        callback_url=row.callback_url,
        flags=tuple(row.flags),
        last_error=error_from_document(row.last_error),
        created_at=row.created_at,
        updated_at=row.updated_at,
        submitted_at=row.submitted_at,
        final_at=row.final_at,
        valid_until=row.valid_until,
    )


def _sender_detail(detail: dict[str, Any] | None, label_key: bytes) -> dict[str, Any] | None:
    """An event's detail as its sender may see it: the channel as its route label."""
    if not detail or "channel" not in detail:
        return detail
    shown = dict(detail)
    channel = shown.pop("channel")
    shown["route"] = None if channel is None else route_label(str(channel), label_key)
    return shown


def read_message(
    connection: Connection, account_id: str | None, message_id: str, label_key: bytes
) -> MessageDetail | None:
    """A message with its history and parts. With an ``account_id``: as that account sees
    it (only its own messages; channels shown as route labels). With ``None``: as the
    operator sees it (any account; history names the channel)."""
    query = select(*_MESSAGE_COLUMNS).where(messages.c.id == message_id)
    if account_id is not None:
        query = query.where(messages.c.account_id == account_id)
    row = run_query(connection, query).first()
    if row is None:
        return None
    events = run_query(
        connection,
        select(message_events.c.status, message_events.c.at, message_events.c.detail)
        .where(message_events.c.message_id == message_id)
        .order_by(message_events.c.id),
    )
    parts = run_query(
        connection,
        select(message_parts)
        .where(message_parts.c.message_id == message_id)
        .order_by(message_parts.c.part_no),
    )
    return MessageDetail(
        message=_message(row),
        events=tuple(
            MessageEvent(
                status=event.status,
                at=event.at,
                detail=event.detail
                if account_id is None
                else _sender_detail(event.detail, label_key),
            )
            for event in events
        ),
        parts=tuple(
            MessagePart(
                part_no=part.part_no,
                channel=part.channel,
                route=route_label(part.channel, label_key),
                carrier_id=part.carrier_id_raw,
                status=part.status,
                stat=part.stat,
                err=part.err,
                submitted_at=part.submitted_at,
                done_at=part.done_at,
            )
            for part in parts
        ),
    )


def read_message_page(
    connection: Connection,
    account_id: str,
    filters: MessageFilter,
    cursor: str | None,
    limit: int,
) -> MessagePage:
    if not 1 <= limit <= MAX_PAGE_SIZE:
        raise ValueError(f"limit must be between 1 and {MAX_PAGE_SIZE}")
    query = message_page_query(account_id, filters, cursor, limit)
    rows = run_query(connection, query).all()
    items = tuple(_message(row) for row in rows[:limit])
    next_cursor = encode_cursor(items[-1].id) if len(rows) > limit else None
    return MessagePage(items=items, next_cursor=next_cursor)


def message_page_query(
    account_id: str, filters: MessageFilter, cursor: str | None, limit: int
) -> Select[Any]:
    """The query of one page (``limit`` + 1 rows, newest first). Each filter has an index
    ending in ``id`` (tests/integration/storage/test_message_search_plans.py)."""
    query = select(*_MESSAGE_COLUMNS).where(messages.c.account_id == account_id)
    if cursor is not None:
        query = query.where(messages.c.id < decode_cursor(cursor))
    if filters.status is not None:
        query = query.where(messages.c.status == filters.status)
    if filters.to_e164 is not None:
        query = query.where(messages.c.to_e164 == filters.to_e164)
    if filters.client_ref is not None:
        query = query.where(messages.c.client_ref == filters.client_ref)
    if filters.country is not None:
        query = query.where(messages.c.country == filters.country)
    if filters.template_id is not None:
        query = query.where(messages.c.template_id == filters.template_id)
    if filters.since is not None:
        query = query.where(
            messages.c.created_at >= filters.since,
            messages.c.id >= _id_made_at(filters.since - ID_CLOCK_MARGIN),
        )
    if filters.until is not None:
        query = query.where(
            messages.c.created_at < filters.until,
            messages.c.id < _id_made_at(filters.until + ID_CLOCK_MARGIN),
        )
    return query.order_by(messages.c.id.desc()).limit(limit + 1)
