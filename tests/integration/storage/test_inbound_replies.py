"""Replies on a real SQLite file: who owns them, what a keyword changes, which webhook is
queued; the suppression lookup of the accept step; and the events feed under concurrent
writers (no event skipped, none given twice)."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from database_peek import json_value, peek, stored_time
from sender_accounts import new_account

from parcelsms.adapters.storage.inbound import event_feed_rows
from parcelsms.adapters.storage.sql_storage import SqlStorage
from parcelsms.domain.reply_keywords import ReplyKeyword
from parcelsms.pipeline.inbound_ports import InboundFilter, ReplyToStore
from parcelsms.pipeline.message_ports import InboundMessage

NUMBER = "+447911123456"
WEEK = timedelta(days=7)


def _reply(
    clock: Any,
    text: str = "Where is my parcel?",
    *,
    source: str = NUMBER,
    destination: str = "ParcelCo",
    keyword: ReplyKeyword | None = None,
) -> ReplyToStore:
    message = InboundMessage(
        channel="sim", source=source, destination=destination, text=text, received_at=clock()
    )
    return ReplyToStore(message=message, keyword=keyword, match_window=WEEK)


async def test_a_reply_belongs_to_the_latest_message_sent_to_its_number(
    storage: SqlStorage, enqueue: Any, clock: Any
) -> None:
    alpha = await new_account(storage, "alpha", 10_000_000)
    beta = await new_account(storage, "beta", 10_000_000)
    await enqueue(storage, alpha.id, client_ref="A-1")
    clock.advance(60)
    [latest] = await enqueue(storage, beta.id, client_ref="B-1")
    clock.advance(60)

    [reply] = await storage.inbound.store_replies([_reply(clock)])

    assert (reply.account_id, reply.message_id, reply.client_ref) == (beta.id, latest, "B-1")
    page = await storage.inbound.list_replies(beta.id, InboundFilter(), None, 10)
    assert [item.id for item in page.items] == [reply.id]
    assert (await storage.inbound.list_replies(alpha.id, InboundFilter(), None, 10)).items == ()


async def test_a_reply_to_a_sender_id_belongs_to_the_message_sent_from_it(
    storage: SqlStorage, enqueue: Any, clock: Any
) -> None:
    alpha = await new_account(storage, "alpha", 10_000_000)
    beta = await new_account(storage, "beta", 10_000_000)
    [from_alpha] = await enqueue(storage, alpha.id, sender_id="ALPHASHOP")
    clock.advance(60)
    await enqueue(storage, beta.id, sender_id="BETASHOP")
    clock.advance(60)

    [reply] = await storage.inbound.store_replies([_reply(clock, destination="alphashop")])

    assert (reply.account_id, reply.message_id) == (alpha.id, from_alpha)


async def test_a_reply_after_the_window_is_kept_for_the_operator(
    storage: SqlStorage, enqueue: Any, clock: Any
) -> None:
    alpha = await new_account(storage, "alpha", 10_000_000)
    await enqueue(storage, alpha.id)
    clock.advance(WEEK.total_seconds() + 1)

    [reply] = await storage.inbound.store_replies(
        [_reply(clock, "STOP", keyword=ReplyKeyword.OPT_OUT)]
    )

    assert reply.account_id is None
    assert reply.keyword is None  # an unowned STOP suppresses nothing
    unmatched = await storage.inbound.list_unmatched_replies(None, 10)
    assert [item.id for item in unmatched.items] == [reply.id]
    assert await storage.recipient_blocks.blocked_recipients(alpha.id, [NUMBER]) == {}


async def test_stop_suppresses_the_number_for_its_owner_only_and_start_lifts_it(
    storage: SqlStorage, enqueue: Any, clock: Any
) -> None:
    alpha = await new_account(storage, "alpha", 10_000_000)
    beta = await new_account(storage, "beta", 10_000_000)
    await enqueue(storage, alpha.id)
    blocks = storage.recipient_blocks

    await storage.inbound.store_replies([_reply(clock, "stop", keyword=ReplyKeyword.OPT_OUT)])
    after_stop = await blocks.blocked_recipients(alpha.id, [NUMBER, "+447911000000"])
    other_account = await blocks.blocked_recipients(beta.id, [NUMBER])
    await storage.inbound.store_replies([_reply(clock, "START", keyword=ReplyKeyword.OPT_IN)])
    after_start = await blocks.blocked_recipients(alpha.id, [NUMBER])

    assert after_stop == {NUMBER: "recipient_opted_out"}
    assert other_account == {}
    assert after_start == {}


async def test_the_blacklist_wins_over_a_suppression(storage: SqlStorage) -> None:
    alpha = await new_account(storage, "alpha", 10_000_000)
    now = datetime.now(UTC)
    await storage.recipient_blocks.add_suppressions(alpha.id, [NUMBER, "+447911000001"], "api", now)
    await storage.recipient_blocks.add_to_blacklist(NUMBER, "abuse report", now)

    found = await storage.recipient_blocks.blocked_recipients(
        alpha.id, [NUMBER, "+447911000001", "+447911000002"]
    )

    assert found == {NUMBER: "recipient_blacklisted", "+447911000001": "recipient_opted_out"}


async def test_a_reply_queues_a_message_inbound_webhook_for_its_owners_endpoint(
    storage: SqlStorage, enqueue: Any, clock: Any, database_url: str
) -> None:
    alpha = await new_account(storage, "alpha", 10_000_000)
    await storage.webhook_endpoints.set_webhook_endpoint(
        alpha.id, "https://hooks.example/in", "whsec_x"
    )
    [message_id] = await enqueue(storage, alpha.id, client_ref="ORDER-9")

    [reply] = await storage.inbound.store_replies([_reply(clock, "你好，我的包裹在哪里？")])

    with peek(database_url) as db:
        rows = db.execute(
            "SELECT url, payload FROM webhook_outbox WHERE id = ?", (reply.id,)
        ).fetchall()
    [(url, payload)] = rows
    body = json_value(payload)
    assert url == "https://hooks.example/in"
    assert body["type"] == "message.inbound"
    assert body["data"]["message_id"] == message_id
    assert body["data"]["client_ref"] == "ORDER-9"
    assert body["data"]["text"] == "你好，我的包裹在哪里？"


async def test_a_poller_far_behind_other_accounts_rows_is_told_there_is_more(
    storage: SqlStorage, enqueue: Any, clock: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A page scans at most three rows of the shared table: beta's twelve events come first.
    monkeypatch.setattr(event_feed_rows, "_SCAN", 3)
    alpha = await new_account(storage, "alpha", 10_000_000)
    beta = await new_account(storage, "beta", 10_000_000)
    await enqueue(storage, beta.id, count=12, to_e164="+447911000009")
    mine = await enqueue(storage, alpha.id, count=2)

    pages = []
    cursor = None
    while True:
        page = await storage.events.read_events(alpha.id, cursor, 10)
        pages.append(page)
        cursor = page.next_cursor
        if not page.has_more:
            break

    assert [len(page.events) for page in pages[:4]] == [0, 0, 0, 0]
    assert [event.message_id for page in pages for event in page.events] == mine
    later = await storage.events.read_events(alpha.id, cursor, 10)
    assert (later.events, later.has_more, later.next_cursor) == ((), False, cursor)


async def _drain_feed(
    storage: SqlStorage, account_id: str, cursor: str | None
) -> tuple[list[str], str | None]:
    keys: list[str] = []
    while True:
        page = await storage.events.read_events(account_id, cursor, 7)
        for event in page.events:
            if event.reply is not None:
                keys.append(f"reply {event.reply.id}")
            else:
                keys.append(f"{event.message_id} {event.status} {event.at.isoformat()}")
        cursor = page.next_cursor
        if not page.events:
            return keys, cursor


async def test_the_events_feed_neither_skips_nor_repeats_under_concurrent_writers(
    open_test_storage: Any, enqueue: Any, clock: Any, database_url: str
) -> None:
    # Two storages on one file: two writer connections, as two processes would have.
    first: SqlStorage = await open_test_storage()
    second: SqlStorage = await open_test_storage()
    alpha = await new_account(first, "alpha", 1_000_000_000)
    beta = await new_account(first, "beta", 1_000_000_000)
    await enqueue(first, alpha.id)  # gives replies to NUMBER an owner
    writing = True

    async def accept_messages(storage: SqlStorage, account_id: str, to: str = NUMBER) -> None:
        for _ in range(40):
            await enqueue(storage, account_id, count=3, to_e164=to)

    async def store_replies(storage: SqlStorage) -> None:
        for index in range(40):
            await storage.inbound.store_replies([_reply(clock, f"reply {index}")])

    async def poll() -> list[str]:
        seen: list[str] = []
        cursor: str | None = None
        while writing:
            keys, cursor = await _drain_feed(first, alpha.id, cursor)
            seen += keys
            await asyncio.sleep(0)
        keys, cursor = await _drain_feed(first, alpha.id, cursor)
        return seen + keys

    poller = asyncio.create_task(poll())
    await asyncio.gather(
        accept_messages(first, alpha.id),
        accept_messages(second, alpha.id),
        accept_messages(second, beta.id, "+447911000009"),
        store_replies(second),
        store_replies(first),
    )
    writing = False
    seen = await poller

    with peek(database_url) as db:
        statuses = db.execute(
            "SELECT e.message_id, e.status, e.at FROM message_events e "
            "JOIN messages m ON m.id = e.message_id WHERE m.account_id = ?",
            (alpha.id,),
        ).fetchall()
        replies = db.execute(
            "SELECT id FROM inbound_messages WHERE account_id = ?", (alpha.id,)
        ).fetchall()
    expected = {f"reply {row[0]}" for row in replies} | {
        f"{message_id} {status} {stored_time(at).isoformat()}"
        for message_id, status, at in statuses
    }
    assert len(seen) == len(set(seen)), "an event was given twice"
    assert set(seen) == expected
    assert len(replies) == 80
    assert len(statuses) >= 1 + 2 * 40 * 3
