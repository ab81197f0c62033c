"""Reads: one message with its history, listings with filters and cursors, tenant scoping."""

from __future__ import annotations

import base64
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from database_peek import peek
from sender_accounts import new_account

from parcelsms.adapters.storage.sql_storage import SqlStorage
from parcelsms.domain.receipt_correlation import Reading, micros, receipt_key
from parcelsms.domain.status import MessageStatus
from parcelsms.errors import CatalogueError
from parcelsms.pipeline.message_ports import MessageFilter, Submitted, SubmittedPart
from parcelsms.pipeline.receipt_ports import ReceiptRecord


async def test_a_message_shows_its_history_and_parts(
    storage: SqlStorage, enqueue: Any, clock: Any
) -> None:
    account = await new_account(storage, "shop", balance_micros=1_000_000)
    (message_id,) = await enqueue(storage, account.id, segments=2)
    await storage.messages.claim_for_dispatch("worker", 10, clock())
    clock.advance(1)
    await storage.messages.record_submissions(
        [
            Submitted(
                message_id=message_id,
                channel="alpha",
                parts=(
                    SubmittedPart(part_no=1, carrier_id_raw="0A"),
                    SubmittedPart(part_no=2, carrier_id_raw="0B"),
                ),
            )
        ]
    )
    clock.advance(1)
    await storage.receipts.apply_receipts(
        [
            ReceiptRecord(
                channel="alpha",
                carrier_id=carrier_id,
                state=MessageStatus.DELIVERED,
                stat="DELIVRD",
                err="000",
                raw="",
                received_at=clock(),
                received_at_us=micros(clock()),
                match=receipt_key(carrier_id, Reading.SAME),
            )
            for carrier_id in ("0a", "0B")  # the hex ids in another case and padding
        ]
    )
    detail = await storage.message_queries.get_message(account.id, message_id)
    assert detail is not None
    assert [(e.status, e.at) for e in detail.events] == [
        ("queued", clock() - timedelta(seconds=2)),
        ("submitted", clock() - timedelta(seconds=1)),
        ("delivered", clock()),
    ]
    assert [(p.part_no, p.carrier_id, p.status) for p in detail.parts] == [
        (1, "0A", "delivered"),
        (2, "0B", "delivered"),
    ]
    assert detail.message.submitted_at == clock() - timedelta(seconds=1)
    assert detail.message.final_at == clock()


async def test_another_accounts_message_reads_as_absent(storage: SqlStorage, enqueue: Any) -> None:
    owner = await new_account(storage, "owner", balance_micros=1_000_000)
    other = await new_account(storage, "other", balance_micros=1_000_000)
    (message_id,) = await enqueue(storage, owner.id, client_ref="secret-order")
    assert await storage.message_queries.get_message(other.id, message_id) is None
    assert await storage.message_queries.get_message(owner.id, message_id) is not None
    page = await storage.message_queries.list_messages(
        other.id, MessageFilter(client_ref="secret-order")
    )
    assert page.items == ()
    assert (
        await storage.message_queries.account_ledger_totals("acc_01HZZZZZZZZZZZZZZZZZZZZZZZ")
        is None
    )


async def test_pages_walk_every_message_once_newest_first(
    storage: SqlStorage, enqueue: Any
) -> None:
    account = await new_account(storage, "shop", balance_micros=10_000_000)
    ids = await enqueue(storage, account.id, count=25)
    seen: list[str] = []
    cursor = None
    pages = 0
    while True:
        page = await storage.message_queries.list_messages(
            account.id, MessageFilter(), cursor=cursor, limit=10
        )
        seen.extend(message.id for message in page.items)
        pages += 1
        if page.next_cursor is None:
            break
        cursor = page.next_cursor
    assert seen == list(reversed(ids))
    assert pages == 3


async def test_an_exactly_full_last_page_has_no_next_cursor(
    storage: SqlStorage, enqueue: Any
) -> None:
    account = await new_account(storage, "shop", balance_micros=10_000_000)
    await enqueue(storage, account.id, count=10)
    page = await storage.message_queries.list_messages(account.id, MessageFilter(), limit=10)
    assert len(page.items) == 10
    assert page.next_cursor is None


async def test_listings_filter_by_status_number_reference_and_time(
    storage: SqlStorage, enqueue: Any, clock: Any
) -> None:
    account = await new_account(storage, "shop", balance_micros=10_000_000)
    (early,) = await enqueue(storage, account.id, to_e164="+34600000001", client_ref="a")
    start = clock.advance(60)
    (late,) = await enqueue(storage, account.id, to_e164="+34600000002", client_ref="b")
    await storage.messages.claim_for_dispatch("worker", 1, clock())
    await storage.messages.record_submissions(
        [
            Submitted(
                message_id=early,
                channel="alpha",
                parts=(SubmittedPart(part_no=1, carrier_id_raw="x"),),
            )
        ]
    )

    async def ids(**filters: Any) -> list[str]:
        page = await storage.message_queries.list_messages(account.id, MessageFilter(**filters))
        return [message.id for message in page.items]

    assert await ids(status=MessageStatus.SUBMITTED) == [early]
    assert await ids(status=MessageStatus.QUEUED) == [late]
    assert await ids(to_e164="+34600000002") == [late]
    assert await ids(client_ref="a") == [early]
    assert await ids(since=start) == [late]
    assert await ids(until=start) == [early]
    assert await ids(since=start, until=start) == []


@pytest.mark.parametrize(
    "cursor",
    [
        "not base64 at all!",
        base64.urlsafe_b64encode(b"msg_short").decode(),
        base64.urlsafe_b64encode(b"acc_01HZZZZZZZZZZZZZZZZZZZZZZZ").decode(),
        base64.urlsafe_b64encode("msg_01HZZZZZZZZZZZZZZZZZZZZZZé".encode()).decode(),
        "",
    ],
)
async def test_an_invalid_cursor_is_a_catalogued_error(storage: SqlStorage, cursor: str) -> None:
    account = await new_account(storage, "shop")
    with pytest.raises(CatalogueError) as caught:
        await storage.message_queries.list_messages(account.id, MessageFilter(), cursor=cursor)
    assert (caught.value.code, caught.value.field) == ("invalid_cursor", "cursor")


async def test_times_are_stored_in_utc_as_sortable_text_or_timestamptz(
    storage: SqlStorage, enqueue: Any, clock: Any, database_url: str
) -> None:
    account = await new_account(storage, "shop", balance_micros=1_000_000)
    clock.now = datetime(2030, 6, 1, 14, 30, 5, 120, tzinfo=timezone(timedelta(hours=2)))
    (message_id,) = await enqueue(storage, account.id)
    with peek(database_url) as connection:
        (created,) = connection.execute(
            "SELECT created_at FROM messages WHERE id = ?", (message_id,)
        ).fetchone()
    if isinstance(created, str):  # SQLite: text that sorts as the time does
        assert created == "2030-06-01 12:30:05.000120"
    else:  # PostgreSQL: timestamptz, read back in the connection's zone (UTC)
        assert created == datetime(2030, 6, 1, 12, 30, 5, 120, tzinfo=UTC)
        assert created.utcoffset() == timedelta(0)
    detail = await storage.message_queries.get_message(account.id, message_id)
    assert detail is not None
    assert detail.message.created_at == clock.now
    assert detail.message.created_at.utcoffset() == timedelta(0)
