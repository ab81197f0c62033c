"""Delivery receipts: correlation, early arrival, duplicates, multi-part messages."""

from __future__ import annotations

import asyncio
import json
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from database_peek import json_value, peek
from receipt_records import receipt_record
from sender_accounts import new_account

from parcelsms.adapters.storage.sql_storage import SqlStorage
from parcelsms.domain.receipt_correlation import Reading, micros
from parcelsms.pipeline.message_ports import Submitted, SubmittedPart
from parcelsms.pipeline.receipt_ports import ReceiptCounts, ReceiptRecord
from parcelsms.pipeline.webhook_payload import build_webhook_payload
from parcelsms.pipeline.webhook_policy import StatusWebhookPolicy


def receipt(
    carrier_id: str, state: Any, at: Any, channel: str = "alpha", **options: Any
) -> ReceiptRecord:
    return receipt_record(carrier_id, state, at, channel=channel, **options)


def submission(
    message_id: str, *carrier_ids: str, channel: str = "alpha", responded_at_us: int | None = None
) -> Submitted:
    return Submitted(
        message_id=message_id,
        channel=channel,
        parts=tuple(
            SubmittedPart(
                part_no=number, carrier_id_raw=carrier_id, responded_at_us=responded_at_us
            )
            for number, carrier_id in enumerate(carrier_ids, start=1)
        ),
    )


def count_rows(path: str | Path, table: str) -> int:
    with peek(path) as connection:
        (count,) = connection.execute(f"SELECT count(*) FROM {table}").fetchone()  # noqa: S608
    return int(count)


@pytest.fixture
async def shop(storage: SqlStorage) -> str:
    account = await new_account(storage, "shop", balance_micros=10_000_000)
    await storage.webhook_endpoints.set_webhook_endpoint(
        account.id, "https://hooks.example/sms", "whsec_x"
    )
    return account.id


async def dispatched_at(
    storage: SqlStorage, enqueue: Any, clock: Any, account_id: str, carrier_id: str, at_us: int
) -> str:
    (message_id,) = await enqueue(storage, account_id)
    await storage.messages.claim_for_dispatch("worker", 100, clock())
    assert await storage.messages.record_submissions(
        [submission(message_id, carrier_id, responded_at_us=at_us)]
    ) == [True]
    return message_id


async def dispatched(
    storage: SqlStorage, enqueue: Any, clock: Any, account_id: str, *carrier_ids: str
) -> str:
    (message_id,) = await enqueue(storage, account_id, segments=len(carrier_ids))
    await storage.messages.claim_for_dispatch("worker", 100, clock())
    assert await storage.messages.record_submissions([submission(message_id, *carrier_ids)]) == [
        True
    ]
    return message_id


async def test_a_delivery_receipt_makes_the_message_delivered(
    storage: SqlStorage, shop: str, enqueue: Any, clock: Any
) -> None:
    message_id = await dispatched(storage, enqueue, clock, shop, "c1")
    counts = await storage.receipts.apply_receipts([receipt("c1", "delivered", clock())])
    assert counts == ReceiptCounts(matched=1, duplicates=0, pending=0)
    detail = await storage.message_queries.get_message(shop, message_id)
    assert detail is not None
    assert detail.message.status == "delivered"
    assert detail.events[-1].detail == {"stat": "DELIVRD", "err": "000", "parts": 1}
    assert (detail.parts[0].stat, detail.parts[0].err) == ("DELIVRD", "000")


async def test_a_receipt_before_its_submission_is_kept_and_applied_later(
    storage: SqlStorage, shop: str, enqueue: Any, clock: Any, database_url: str
) -> None:
    (message_id,) = await enqueue(storage, shop)
    await storage.messages.claim_for_dispatch("worker", 10, clock())
    early = await storage.receipts.apply_receipts([receipt("c9", "undelivered", clock())])
    assert early == ReceiptCounts(matched=0, duplicates=0, pending=1)
    assert count_rows(database_url, "pending_receipts") == 1

    await storage.messages.record_submissions([submission(message_id, "c9")])
    detail = await storage.message_queries.get_message(shop, message_id)
    assert detail is not None
    assert [event.status for event in detail.events] == ["queued", "submitted", "undelivered"]
    assert detail.message.last_error is not None
    assert detail.message.last_error.stat == "UNDELIV"
    assert count_rows(database_url, "pending_receipts") == 0


def count_pending_inserts(path: str | Path) -> None:
    """From now on count, in ``pending_inserts``, every row inserted into
    ``pending_receipts`` (even one deleted again in the same transaction)."""
    with peek(path) as connection:
        connection.execute("CREATE TABLE pending_inserts (receipt_id BIGINT)")
        if connection.is_postgres:
            connection.execute(
                "CREATE FUNCTION note_pending_insert() RETURNS trigger LANGUAGE plpgsql AS "
                "$$ BEGIN INSERT INTO pending_inserts VALUES (NEW.id); RETURN NEW; END $$"
            )
            connection.execute(
                "CREATE TRIGGER note_pending_insert AFTER INSERT ON pending_receipts "
                "FOR EACH ROW EXECUTE FUNCTION note_pending_insert()"
            )
        else:
            connection.execute(
                "CREATE TRIGGER note_pending_insert AFTER INSERT ON pending_receipts "
                "BEGIN INSERT INTO pending_inserts VALUES (NEW.id); END"
            )


async def test_a_receipt_overtaking_its_submission_in_one_flush_is_never_stored(
    storage: SqlStorage, shop: str, enqueue: Any, clock: Any, database_url: str
) -> None:
    """The usual race under load: the receipt reaches the writer's queue just before the
    response of its submission, and one transaction runs both, the receipt first. The
    submission places it in memory; nothing is written to ``pending_receipts``, while a
    receipt of the same flush that names another id is stored as usual."""
    (message_id,) = await enqueue(storage, shop)
    await storage.messages.claim_for_dispatch("worker", 10, clock())
    count_pending_inserts(database_url)
    counts, applied = await asyncio.gather(
        storage.receipts.apply_receipts(
            [receipt("c9", "delivered", clock()), receipt("c404", "delivered", clock())]
        ),
        storage.messages.record_submissions([submission(message_id, "c9")]),
    )
    assert counts == ReceiptCounts(matched=0, duplicates=0, pending=2)  # when looked at
    assert applied == [True]
    detail = await storage.message_queries.get_message(shop, message_id)
    assert detail is not None
    assert [event.status for event in detail.events] == ["queued", "submitted", "delivered"]
    assert count_rows(database_url, "pending_inserts") == 1
    with peek(database_url) as connection:
        rows = connection.execute("SELECT carrier_id FROM pending_receipts").fetchall()
    assert [row[0] for row in rows] == ["c404"]


async def test_a_duplicate_receipt_changes_nothing(
    storage: SqlStorage, shop: str, enqueue: Any, clock: Any, database_url: str
) -> None:
    message_id = await dispatched(storage, enqueue, clock, shop, "c1")
    await storage.receipts.apply_receipts([receipt("c1", "delivered", clock())])
    again = await storage.receipts.apply_receipts(
        [receipt("c1", "delivered", clock()), receipt("c1", "undelivered", clock())]
    )
    assert again == ReceiptCounts(matched=0, duplicates=2, pending=0)
    detail = await storage.message_queries.get_message(shop, message_id)
    assert detail is not None
    assert detail.message.status == "delivered"
    assert [event.status for event in detail.events].count("delivered") == 1
    assert count_rows(database_url, "webhook_outbox") == 2  # submitted, delivered


async def test_duplicates_inside_one_call_are_recognised(
    storage: SqlStorage, shop: str, enqueue: Any, clock: Any
) -> None:
    message_id = await dispatched(storage, enqueue, clock, shop, "c1")
    counts = await storage.receipts.apply_receipts([receipt("c1", "delivered", clock())] * 3)
    assert counts == ReceiptCounts(matched=1, duplicates=2, pending=0)
    detail = await storage.message_queries.get_message(shop, message_id)
    assert detail is not None
    assert [event.status for event in detail.events] == ["queued", "submitted", "delivered"]


async def test_an_early_receipt_delivered_twice_is_applied_once(
    storage: SqlStorage, shop: str, enqueue: Any, clock: Any, database_url: str
) -> None:
    (message_id,) = await enqueue(storage, shop)
    await storage.messages.claim_for_dispatch("worker", 10, clock())
    await storage.receipts.apply_receipts([receipt("c1", "delivered", clock())])
    await storage.receipts.apply_receipts([receipt("c1", "delivered", clock())])
    await storage.messages.record_submissions([submission(message_id, "c1")])
    detail = await storage.message_queries.get_message(shop, message_id)
    assert detail is not None
    assert [event.status for event in detail.events] == ["queued", "submitted", "delivered"]
    assert count_rows(database_url, "pending_receipts") == 0


@pytest.mark.parametrize(
    ("states", "expected"),
    [
        (("delivered", "delivered", "delivered"), "delivered"),
        (("delivered", "undelivered", "rejected"), "rejected"),
        (("expired", "delivered", "undelivered"), "undelivered"),
        (("delivered", "expired", "delivered"), "expired"),
    ],
)
async def test_a_multi_part_message_ends_when_every_part_has(
    storage: SqlStorage,
    shop: str,
    enqueue: Any,
    clock: Any,
    states: tuple[str, ...],
    expected: str,
) -> None:
    message_id = await dispatched(storage, enqueue, clock, shop, "p1", "p2", "p3")
    for number, state in enumerate(states[:-1], start=1):
        await storage.receipts.apply_receipts([receipt(f"p{number}", state, clock())])
    halfway = await storage.message_queries.get_message(shop, message_id)
    assert halfway is not None
    assert halfway.message.status == "submitted"
    await storage.receipts.apply_receipts([receipt("p3", states[-1], clock())])
    done = await storage.message_queries.get_message(shop, message_id)
    assert done is not None
    assert done.message.status == expected
    assert [part.status for part in done.parts] == list(states)


async def test_an_intermediate_receipt_records_the_state_but_ends_nothing(
    storage: SqlStorage, shop: str, enqueue: Any, clock: Any
) -> None:
    message_id = await dispatched(storage, enqueue, clock, shop, "c1")
    counts = await storage.receipts.apply_receipts([receipt("c1", None, clock())])
    assert counts.matched == 1
    detail = await storage.message_queries.get_message(shop, message_id)
    assert detail is not None
    assert detail.message.status == "submitted"
    assert detail.parts[0].stat == "ENROUTE"
    await storage.receipts.apply_receipts([receipt("c1", "delivered", clock())])
    final = await storage.message_queries.get_message(shop, message_id)
    assert final is not None
    assert final.message.status == "delivered"


async def test_a_hex_response_id_matches_a_decimal_receipt_on_such_a_channel(
    storage: SqlStorage, shop: str, enqueue: Any, clock: Any
) -> None:
    message_id = await dispatched(storage, enqueue, clock, shop, "ff")
    reading = Reading.HEX_TO_DECIMAL
    counts = await storage.receipts.apply_receipts(
        [receipt("255", "delivered", clock(), reading=reading)]
    )
    assert counts.matched == 1
    detail = await storage.message_queries.get_message(shop, message_id)
    assert detail is not None
    assert detail.message.status == "delivered"


async def test_distinct_raw_ids_never_match_each_other(
    storage: SqlStorage, shop: str, enqueue: Any, clock: Any
) -> None:
    decimal_26 = await dispatched(storage, enqueue, clock, shop, "26")
    hex_1a = await dispatched(storage, enqueue, clock, shop, "1a")
    counts = await storage.receipts.apply_receipts([receipt("26", "undelivered", clock())])
    assert counts.matched == 1
    first = await storage.message_queries.get_message(shop, decimal_26)
    second = await storage.message_queries.get_message(shop, hex_1a)
    assert first is not None
    assert second is not None
    assert (first.message.status, second.message.status) == ("undelivered", "submitted")


async def test_a_carrier_id_only_matches_on_its_own_channel(
    storage: SqlStorage, shop: str, enqueue: Any, clock: Any
) -> None:
    message_id = await dispatched(storage, enqueue, clock, shop, "c1")
    counts = await storage.receipts.apply_receipts(
        [receipt("c1", "delivered", clock(), channel="beta")]
    )
    assert counts.pending == 1
    detail = await storage.message_queries.get_message(shop, message_id)
    assert detail is not None
    assert detail.message.status == "submitted"


async def test_a_late_receipt_for_an_expired_message_keeps_it_expired(
    storage: SqlStorage, shop: str, enqueue: Any, clock: Any
) -> None:
    message_id = await dispatched(storage, enqueue, clock, shop, "c1")
    after_validity = clock() + timedelta(days=3)
    assert await storage.messages.expire_overdue(after_validity, timedelta(hours=1)) == 1
    counts = await storage.receipts.apply_receipts([receipt("c1", "delivered", after_validity)])
    assert counts.matched == 1
    detail = await storage.message_queries.get_message(shop, message_id)
    assert detail is not None
    assert detail.message.status == "expired"
    assert detail.parts[0].status == "delivered"


async def test_a_reused_id_goes_to_the_newest_submission_not_the_final_one(
    storage: SqlStorage, shop: str, enqueue: Any, clock: Any
) -> None:
    old = await dispatched(storage, enqueue, clock, shop, "1")
    await storage.receipts.apply_receipts([receipt("1", "delivered", clock())])
    clock.advance(1)
    new = await dispatched(storage, enqueue, clock, shop, "1")
    clock.advance(0.01)
    counts = await storage.receipts.apply_receipts([receipt("1", "undelivered", clock())])
    assert counts.matched == 1
    old_detail = await storage.message_queries.get_message(shop, old)
    new_detail = await storage.message_queries.get_message(shop, new)
    assert old_detail is not None
    assert new_detail is not None
    assert old_detail.message.status == "delivered"
    assert new_detail.message.status == "undelivered"


async def test_a_receipt_naming_its_submission_ignores_a_newer_part_with_the_same_id(
    storage: SqlStorage, shop: str, enqueue: Any, clock: Any
) -> None:
    first_at = micros(clock())
    first = await dispatched_at(storage, enqueue, clock, shop, "7", first_at)
    second = await dispatched_at(storage, enqueue, clock, shop, "7", first_at + 10)
    counts = await storage.receipts.apply_receipts(
        [receipt("7", "rejected", clock(), responded_at_us=first_at)]
    )
    assert counts.matched == 1
    one = await storage.message_queries.get_message(shop, first)
    two = await storage.message_queries.get_message(shop, second)
    assert one is not None
    assert two is not None
    assert (one.message.status, two.message.status) == ("rejected", "submitted")


async def test_a_named_submission_not_recorded_yet_is_waited_for(
    storage: SqlStorage, shop: str, enqueue: Any, clock: Any
) -> None:
    old = await dispatched(storage, enqueue, clock, shop, "3")  # an older, open part "3"
    responded = micros(clock()) + 500
    early = await storage.receipts.apply_receipts(
        [receipt("3", "delivered", clock(), responded_at_us=responded)]
    )
    assert early.pending == 1
    new = await dispatched_at(storage, enqueue, clock, shop, "3", responded)
    old_detail = await storage.message_queries.get_message(shop, old)
    new_detail = await storage.message_queries.get_message(shop, new)
    assert old_detail is not None
    assert new_detail is not None
    assert (old_detail.message.status, new_detail.message.status) == ("submitted", "delivered")


async def test_a_receipt_for_a_final_part_waits_for_a_newer_one_within_the_early_window(
    open_test_storage: Any, enqueue: Any, clock: Any
) -> None:
    storage = await open_test_storage(receipt_early_window=timedelta(seconds=5))
    account = await new_account(storage, "shop", balance_micros=10_000_000)
    old = await dispatched(storage, enqueue, clock, account.id, "9")
    await storage.receipts.apply_receipts([receipt("9", "delivered", clock())])
    clock.advance(1)
    waiting = await storage.receipts.apply_receipts([receipt("9", "undelivered", clock())])
    assert waiting.pending == 1  # a duplicate, or the receipt of a submission still to come
    clock.advance(0.5)
    new = await dispatched(storage, enqueue, clock, account.id, "9")
    detail = await storage.message_queries.get_message(account.id, new)
    assert detail is not None
    assert detail.message.status == "undelivered"
    old_detail = await storage.message_queries.get_message(account.id, old)
    assert old_detail is not None
    assert old_detail.message.status == "delivered"


async def test_a_duplicate_is_recognised_once_the_early_window_closes(
    open_test_storage: Any, enqueue: Any, clock: Any, database_url: str
) -> None:
    storage = await open_test_storage(receipt_early_window=timedelta(seconds=5))
    account = await new_account(storage, "shop", balance_micros=10_000_000)
    await dispatched(storage, enqueue, clock, account.id, "9")
    await storage.receipts.apply_receipts([receipt("9", "delivered", clock())])
    assert (
        await storage.receipts.apply_receipts([receipt("9", "delivered", clock())])
    ).pending == 1
    assert await storage.receipts.sweep_pending_receipts(clock(), timedelta(hours=72)) == 0
    assert count_rows(database_url, "pending_receipts") == 1
    clock.advance(6)
    assert await storage.receipts.sweep_pending_receipts(clock(), timedelta(hours=72)) == 0
    assert count_rows(database_url, "pending_receipts") == 0


async def test_receipts_that_never_match_are_set_aside_for_the_operator(
    storage: SqlStorage, clock: Any, database_url: str
) -> None:
    await storage.receipts.apply_receipts([receipt("404", "delivered", clock(), channel="beta")])
    assert await storage.receipts.sweep_pending_receipts(clock(), timedelta(hours=72)) == 0
    clock.advance(72 * 3600 + 1)
    assert await storage.receipts.sweep_pending_receipts(clock(), timedelta(hours=72)) == 1
    assert count_rows(database_url, "pending_receipts") == 0
    [unmatched] = await storage.receipts.list_unmatched_receipts(
        channel="beta", limit=10, before=None
    )
    assert unmatched.carrier_id == "404"
    assert unmatched.raw == "id:404 stat:DELIVRD"
    assert (
        await storage.receipts.list_unmatched_receipts(channel="alpha", limit=10, before=None) == []
    )


async def test_receipts_wait_for_the_channel_reading_and_are_placed_once_it_is_learned(
    storage: SqlStorage, shop: str, enqueue: Any, clock: Any
) -> None:
    message_id = await dispatched(storage, enqueue, clock, shop, "1a")
    waiting = await storage.receipts.apply_receipts(
        [receipt("26", "delivered", clock(), reading=None)]
    )
    assert waiting.pending == 1
    await storage.receipts.record_channel_reading("alpha", Reading.HEX_TO_DECIMAL, clock())
    assert await storage.receipts.channel_readings() == {"alpha": Reading.HEX_TO_DECIMAL}
    await storage.receipts.sweep_pending_receipts(clock(), timedelta(hours=72))
    detail = await storage.message_queries.get_message(shop, message_id)
    assert detail is not None
    assert detail.message.status == "delivered"


async def test_a_receipt_queued_before_the_reading_it_waits_for_is_placed_in_the_same_flush(
    storage: SqlStorage, shop: str, enqueue: Any, clock: Any
) -> None:
    """The order things happened: the receipts that taught a channel its reading are queued
    before the reading, and must be stored before the reading keys the waiting ones."""
    message_id = await dispatched(storage, enqueue, clock, shop, "1a")
    waiting, _ = await asyncio.gather(
        storage.receipts.apply_receipts([receipt("26", "delivered", clock(), reading=None)]),
        storage.receipts.record_channel_reading("alpha", Reading.HEX_TO_DECIMAL, clock()),
    )
    assert waiting.pending == 1
    await storage.receipts.sweep_pending_receipts(clock(), timedelta(hours=72))
    detail = await storage.message_queries.get_message(shop, message_id)
    assert detail is not None
    assert detail.message.status == "delivered"


def outbox_payloads(path: str | Path) -> list[dict[str, Any]]:
    with peek(path) as connection:
        rows = connection.execute("SELECT payload FROM webhook_outbox ORDER BY created_at, id")
        return [json_value(payload) for (payload,) in rows]


async def test_webhooks_name_the_previous_status_the_attempt_and_a_route_label_not_the_channel(
    open_test_storage: Any, enqueue: Any, clock: Any, database_url: str
) -> None:
    storage = await open_test_storage(webhook_policy=StatusWebhookPolicy(build_webhook_payload))
    account = await new_account(storage, "shop", balance_micros=10_000_000)
    await storage.webhook_endpoints.set_webhook_endpoint(
        account.id, "https://hooks.example/sms", "whsec_x"
    )
    await dispatched(storage, enqueue, clock, account.id, "c1")
    await storage.receipts.apply_receipts([receipt("c1", "delivered", clock())])
    submitted, delivered = (payload["data"] for payload in outbox_payloads(database_url))
    assert (submitted["previous_status"], submitted["status"]) == ("queued", "submitted")
    assert (delivered["previous_status"], delivered["status"]) == ("submitted", "delivered")
    assert delivered["attempt"] == 1
    assert delivered["route"] == submitted["route"]
    assert delivered["route"].startswith("rt_")
    assert "alpha" not in json.dumps(delivered)  # the operator's channel name


async def test_a_message_without_receipt_expires_with_the_reason_no_receipt(
    open_test_storage: Any, enqueue: Any, clock: Any, database_url: str
) -> None:
    storage = await open_test_storage(webhook_policy=StatusWebhookPolicy(build_webhook_payload))
    account = await new_account(storage, "shop", balance_micros=10_000_000)
    await storage.webhook_endpoints.set_webhook_endpoint(
        account.id, "https://hooks.example/sms", "whsec_x"
    )
    message_id = await dispatched(storage, enqueue, clock, account.id, "c1")
    assert (
        await storage.messages.expire_overdue(clock() + timedelta(days=3), timedelta(hours=1)) == 1
    )
    detail = await storage.message_queries.get_message(account.id, message_id)
    assert detail is not None
    assert detail.message.status == "expired"
    assert detail.message.last_error is not None
    assert detail.message.last_error.reason == "no_receipt"
    expired = outbox_payloads(database_url)[-1]["data"]
    assert (expired["status"], expired["previous_status"]) == ("expired", "submitted")
    assert expired["error"]["reason"] == "no_receipt"
