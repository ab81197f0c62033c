"""Delivery receipts: correlation, early arrival, duplicates, multi-part messages."""

from __future__ import annotations

import sqlite3
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from parcelsms.adapters.storage.sql_storage import SqlStorage
from parcelsms.pipeline.ports import ReceiptCounts, ReceiptRecord, Submitted, SubmittedPart

STATS = {
    "delivered": "DELIVRD",
    "undelivered": "UNDELIV",
    "expired": "EXPIRED",
    "rejected": "REJECTD",
}


def receipt(
    carrier_id: str | tuple[str, ...], state: Any, at: Any, channel: str = "alpha"
) -> ReceiptRecord:
    candidates = (carrier_id,) if isinstance(carrier_id, str) else carrier_id
    return ReceiptRecord(
        channel=channel,
        carrier_id_candidates=candidates,
        state=state,
        stat=STATS.get(state, "ENROUTE"),
        err="000" if state == "delivered" else "001",
        raw=f"id:{','.join(candidates)} stat:{STATS.get(state, 'ENROUTE')}",
        received_at=at,
    )


def submission(message_id: str, *carrier_ids: str, channel: str = "alpha") -> Submitted:
    return Submitted(
        message_id=message_id,
        channel=channel,
        parts=tuple(
            SubmittedPart(part_no=number, carrier_id_raw=carrier_id.upper(), carrier_id=carrier_id)
            for number, carrier_id in enumerate(carrier_ids, start=1)
        ),
    )


def count_rows(path: Path, table: str) -> int:
    with sqlite3.connect(path) as connection:
        (count,) = connection.execute(f"SELECT count(*) FROM {table}").fetchone()  # noqa: S608
    return int(count)


@pytest.fixture
async def shop(storage: SqlStorage) -> str:
    account = await storage.create_account("shop", balance_micros=10_000_000)
    await storage.set_webhook_endpoint(account.id, "https://hooks.example/sms", "whsec_x")
    return account.id


async def dispatched(
    storage: SqlStorage, enqueue: Any, clock: Any, account_id: str, *carrier_ids: str
) -> str:
    (message_id,) = await enqueue(storage, account_id, segments=len(carrier_ids))
    await storage.claim_for_dispatch("worker", 100, clock())
    assert await storage.record_submissions([submission(message_id, *carrier_ids)]) == [True]
    return message_id


async def test_a_delivery_receipt_makes_the_message_delivered(
    storage: SqlStorage, shop: str, enqueue: Any, clock: Any
) -> None:
    message_id = await dispatched(storage, enqueue, clock, shop, "c1")
    counts = await storage.apply_receipts([receipt("c1", "delivered", clock())])
    assert counts == ReceiptCounts(matched=1, duplicates=0, pending=0)
    detail = await storage.get_message(shop, message_id)
    assert detail is not None
    assert detail.message.status == "delivered"
    assert detail.events[-1].detail == {"stat": "DELIVRD", "err": "000", "parts": 1}
    assert (detail.parts[0].stat, detail.parts[0].err) == ("DELIVRD", "000")


async def test_a_receipt_before_its_submission_is_kept_and_applied_later(
    storage: SqlStorage, shop: str, enqueue: Any, clock: Any, tmp_path: Path
) -> None:
    (message_id,) = await enqueue(storage, shop)
    await storage.claim_for_dispatch("worker", 10, clock())
    early = await storage.apply_receipts([receipt("c9", "undelivered", clock())])
    assert early == ReceiptCounts(matched=0, duplicates=0, pending=1)
    assert count_rows(tmp_path / "parcelsms.db", "pending_receipts") == 1

    await storage.record_submissions([submission(message_id, "c9")])
    detail = await storage.get_message(shop, message_id)
    assert detail is not None
    assert [event.status for event in detail.events] == ["queued", "submitted", "undelivered"]
    assert detail.message.last_error is not None
    assert detail.message.last_error.stat == "UNDELIV"
    assert count_rows(tmp_path / "parcelsms.db", "pending_receipts") == 0


async def test_a_duplicate_receipt_changes_nothing(
    storage: SqlStorage, shop: str, enqueue: Any, clock: Any, tmp_path: Path
) -> None:
    message_id = await dispatched(storage, enqueue, clock, shop, "c1")
    await storage.apply_receipts([receipt("c1", "delivered", clock())])
    again = await storage.apply_receipts(
        [receipt("c1", "delivered", clock()), receipt("c1", "undelivered", clock())]
    )
    assert again == ReceiptCounts(matched=0, duplicates=2, pending=0)
    detail = await storage.get_message(shop, message_id)
    assert detail is not None
    assert detail.message.status == "delivered"
    assert [event.status for event in detail.events].count("delivered") == 1
    assert count_rows(tmp_path / "parcelsms.db", "webhook_outbox") == 2  # submitted, delivered


async def test_duplicates_inside_one_call_are_recognised(
    storage: SqlStorage, shop: str, enqueue: Any, clock: Any
) -> None:
    message_id = await dispatched(storage, enqueue, clock, shop, "c1")
    counts = await storage.apply_receipts([receipt("c1", "delivered", clock())] * 3)
    assert counts == ReceiptCounts(matched=1, duplicates=2, pending=0)
    detail = await storage.get_message(shop, message_id)
    assert detail is not None
    assert [event.status for event in detail.events] == ["queued", "submitted", "delivered"]


async def test_an_early_receipt_delivered_twice_is_applied_once(
    storage: SqlStorage, shop: str, enqueue: Any, clock: Any, tmp_path: Path
) -> None:
    (message_id,) = await enqueue(storage, shop)
    await storage.claim_for_dispatch("worker", 10, clock())
    await storage.apply_receipts([receipt("c1", "delivered", clock())])
    await storage.apply_receipts([receipt("c1", "delivered", clock())])
    await storage.record_submissions([submission(message_id, "c1")])
    detail = await storage.get_message(shop, message_id)
    assert detail is not None
    assert [event.status for event in detail.events] == ["queued", "submitted", "delivered"]
    assert count_rows(tmp_path / "parcelsms.db", "pending_receipts") == 0


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
        await storage.apply_receipts([receipt(f"p{number}", state, clock())])
    halfway = await storage.get_message(shop, message_id)
    assert halfway is not None
    assert halfway.message.status == "submitted"
    await storage.apply_receipts([receipt("p3", states[-1], clock())])
    done = await storage.get_message(shop, message_id)
    assert done is not None
    assert done.message.status == expected
    assert [part.status for part in done.parts] == list(states)


async def test_an_intermediate_receipt_records_the_state_but_ends_nothing(
    storage: SqlStorage, shop: str, enqueue: Any, clock: Any
) -> None:
    message_id = await dispatched(storage, enqueue, clock, shop, "c1")
    counts = await storage.apply_receipts([receipt("c1", None, clock())])
    assert counts.matched == 1
    detail = await storage.get_message(shop, message_id)
    assert detail is not None
    assert detail.message.status == "submitted"
    assert detail.parts[0].stat == "ENROUTE"
    await storage.apply_receipts([receipt("c1", "delivered", clock())])
    final = await storage.get_message(shop, message_id)
    assert final is not None
    assert final.message.status == "delivered"


async def test_any_candidate_form_of_the_carrier_id_matches(
    storage: SqlStorage, shop: str, enqueue: Any, clock: Any
) -> None:
    message_id = await dispatched(storage, enqueue, clock, shop, "255")
    counts = await storage.apply_receipts([receipt(("ff", "255"), "delivered", clock())])
    assert counts.matched == 1
    detail = await storage.get_message(shop, message_id)
    assert detail is not None
    assert detail.message.status == "delivered"


async def test_a_carrier_id_only_matches_on_its_own_channel(
    storage: SqlStorage, shop: str, enqueue: Any, clock: Any
) -> None:
    message_id = await dispatched(storage, enqueue, clock, shop, "c1")
    counts = await storage.apply_receipts([receipt("c1", "delivered", clock(), channel="beta")])
    assert counts.pending == 1
    detail = await storage.get_message(shop, message_id)
    assert detail is not None
    assert detail.message.status == "submitted"


async def test_a_late_receipt_for_an_expired_message_keeps_it_expired(
    storage: SqlStorage, shop: str, enqueue: Any, clock: Any
) -> None:
    message_id = await dispatched(storage, enqueue, clock, shop, "c1")
    after_validity = clock() + timedelta(days=3)
    assert await storage.expire_overdue(after_validity, timedelta(hours=1)) == 1
    counts = await storage.apply_receipts([receipt("c1", "delivered", after_validity)])
    assert counts.matched == 1
    detail = await storage.get_message(shop, message_id)
    assert detail is not None
    assert detail.message.status == "expired"
    assert detail.parts[0].status == "delivered"


async def test_a_receipt_without_carrier_ids_is_refused(storage: SqlStorage, clock: Any) -> None:
    with pytest.raises(ValueError, match="carrier id"):
        await storage.apply_receipts([receipt((), "delivered", clock())])
