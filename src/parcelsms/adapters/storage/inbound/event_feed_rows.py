"""The events feed (``GET /v1/events``): an account's status changes and replies in commit
order, by a cursor that never skips nor repeats one.

Two streams, each ordered by a key that is **commit order** on SQLite: ``message_events.id``
(an integer primary key, i.e. the rowid: SQLite gives a new row ``max(rowid) + 1``) and
``inbound_messages.seq`` (``max(seq) + 1``, see ``reply_rows``). Both are assigned while the
transaction holds SQLite's single write lock — one lock for the whole database file, shared by
every process writing it — and that lock is held until the commit. So a transaction that got
key ``k`` committed before any transaction that got a key above ``k`` began writing; a rolled
back key is given again to the next writer. A reader's snapshot therefore always holds a
*prefix* of each stream, and "everything up to the largest key I can see" is final: no row can
later appear below it. (An autoincrement sequence on PostgreSQL does not have this property —
keys are taken before commit, in any order — and would need a "stable up to" horizon such as
``pg_snapshot_xmin``; parcelsms stores on SQLite today.)

The cursor is the pair of last keys given out (opaque, URL-safe base64 of ``v1.<event>.<seq>``).
A page merges the two streams by time; what a page leaves out stays after the cursor. Finding
one account's status changes scans ``message_events`` from the cursor on; the scan is bounded
(``_SCAN``) and the cursor moves past scanned rows of other accounts, so a page costs at most
that much however far behind the poller is; ``has_more`` tells the poller to ask again at once.
"""

from __future__ import annotations

import base64
import binascii
from typing import NamedTuple

from sqlalchemy import func, select
from sqlalchemy.engine import Connection

from parcelsms.adapters.storage.engine.schema.message_tables import message_events, messages
from parcelsms.adapters.storage.inbound.reply_rows import read_replies_after
from parcelsms.domain.error_catalogue import error
from parcelsms.pipeline.inbound_ports import FeedEvent, FeedPage

MAX_PAGE_SIZE = 500
_SCAN = 20_000
_VERSION = "v1"


class FeedCursor(NamedTuple):
    """The last status-change key and the last reply key given out."""

    event_id: int
    reply_seq: int


def encode_feed_cursor(cursor: FeedCursor) -> str:
    """The opaque form of ``cursor``."""
    text = f"{_VERSION}.{cursor.event_id}.{cursor.reply_seq}"
    return base64.urlsafe_b64encode(text.encode("ascii")).decode("ascii").rstrip("=")


def decode_feed_cursor(cursor: str | None) -> FeedCursor:
    """The cursor inside ``cursor`` (``None``: the beginning); else ``invalid_cursor``."""
    if cursor is None:
        return FeedCursor(0, 0)
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        text = base64.urlsafe_b64decode(padded.encode("ascii")).decode("ascii")
    except (ValueError, binascii.Error, UnicodeError):
        raise error("invalid_cursor", field="after") from None
    version, _, rest = text.partition(".")
    event_text, _, seq_text = rest.partition(".")
    if version != _VERSION or not (event_text.isdigit() and seq_text.isdigit()):
        raise error("invalid_cursor", field="after")
    if len(event_text) > 18 or len(seq_text) > 18:
        raise error("invalid_cursor", field="after")
    return FeedCursor(int(event_text), int(seq_text))


def read_feed_page(
    connection: Connection, account_id: str, after: str | None, limit: int
) -> FeedPage:
    """Up to ``limit`` events after ``after`` (see the module docstring).

    The horizon is read first: whether or not the later reads share its snapshot, every row
    at or below it is committed and visible to them."""
    limit = max(1, min(limit, MAX_PAGE_SIZE))
    cursor = decode_feed_cursor(after)
    horizon = connection.execute(select(func.max(message_events.c.id))).scalar() or 0
    upper = min(cursor.event_id + _SCAN, horizon)
    status_rows = connection.execute(
        select(
            message_events.c.id,
            message_events.c.message_id,
            message_events.c.status,
            message_events.c.at,
            messages.c.client_ref,
        )
        .join(messages, messages.c.id == message_events.c.message_id)
        .where(
            message_events.c.id > cursor.event_id,
            message_events.c.id <= upper,
            messages.c.account_id == account_id,
        )
        .order_by(message_events.c.id)
        .limit(limit)
    ).all()
    replies = read_replies_after(connection, account_id, cursor.reply_seq, limit)
    statuses = [
        (
            int(row.id),
            FeedEvent(
                type="message.status",
                at=row.at,
                message_id=row.message_id,
                status=row.status,
                client_ref=row.client_ref,
            ),
        )
        for row in status_rows
    ]
    inbound = [
        (seq, FeedEvent(type="message.inbound", at=reply.received_at, reply=reply))
        for seq, reply in replies
    ]
    # A merge, not a sort: each stream keeps its commit order, so what a page takes of a
    # stream is a prefix of it and its cursor can move to the last key taken.
    events: list[FeedEvent] = []
    taken_statuses = taken_replies = 0
    while len(events) < limit and (taken_statuses < len(statuses) or taken_replies < len(inbound)):
        next_status = statuses[taken_statuses] if taken_statuses < len(statuses) else None
        next_reply = inbound[taken_replies] if taken_replies < len(inbound) else None
        if next_reply is None or (
            next_status is not None and next_status[1].at <= next_reply[1].at
        ):
            assert next_status is not None
            events.append(next_status[1])
            taken_statuses += 1
        else:
            events.append(next_reply[1])
            taken_replies += 1
    if taken_statuses == len(statuses) and len(statuses) < limit:
        # Every matching row up to ``upper`` was given out; rows of other accounts up to
        # there need not be scanned again.
        event_id = max(upper, cursor.event_id)
    else:
        event_id = statuses[taken_statuses - 1][0] if taken_statuses else cursor.event_id
    reply_seq = inbound[taken_replies - 1][0] if taken_replies else cursor.reply_seq
    more_replies = taken_replies < len(inbound) or len(inbound) == limit
    return FeedPage(
        events=tuple(events),
        next_cursor=encode_feed_cursor(FeedCursor(event_id, reply_seq)),
        has_more=event_id < horizon or more_replies,
    )
