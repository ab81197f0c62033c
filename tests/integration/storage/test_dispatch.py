"""Claiming queued messages and recording what became of their submission."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

from database_peek import peek
from receipt_records import receipt_record
from sender_accounts import new_account

from parcelsms.adapters.storage.sql_storage import SqlStorage
from parcelsms.pipeline.message_ports import ErrorDetail, Failed, Retry, Submitted, SubmittedPart


def submitted(message_id: str, *carrier_ids: str, channel: str = "alpha") -> Submitted:
    return Submitted(
        message_id=message_id,
        channel=channel,
        parts=tuple(
            SubmittedPart(part_no=number, carrier_id_raw=carrier_id)
            for number, carrier_id in enumerate(carrier_ids or (f"c-{message_id}",), start=1)
        ),
    )


def ledger_kinds(path: str | Path, message_id: str) -> list[str]:
    with peek(path) as connection:
        return [
            kind
            for (kind,) in connection.execute(
                "SELECT kind FROM ledger WHERE message_id = ? ORDER BY id", (message_id,)
            )
        ]


async def test_claimed_messages_are_not_claimed_again(
    storage: SqlStorage, enqueue: Any, clock: Any
) -> None:
    account = await new_account(storage, "shop", balance_micros=10_000_000)
    ids = await enqueue(storage, account.id, count=5)
    first = await storage.messages.claim_for_dispatch("worker-1", 3, clock())
    second = await storage.messages.claim_for_dispatch("worker-2", 10, clock())
    third = await storage.messages.claim_for_dispatch("worker-1", 10, clock())
    assert [item.message_id for item in first] == ids[:3]
    assert [item.message_id for item in second] == ids[3:]
    assert third == []
    assert first[0].route_plan == ("alpha", "beta")
    assert first[0].body == "Your parcel has shipped."


async def test_messages_are_claimed_only_when_due(
    storage: SqlStorage, enqueue: Any, clock: Any
) -> None:
    account = await new_account(storage, "shop", balance_micros=10_000_000)
    await enqueue(storage, account.id)
    earlier = clock() - timedelta(seconds=1)
    assert await storage.messages.claim_for_dispatch("worker", 10, earlier) == []
    assert len(await storage.messages.claim_for_dispatch("worker", 10, clock())) == 1


async def test_a_submission_settles_and_records_parts_event_and_webhook(
    storage: SqlStorage, enqueue: Any, clock: Any, database_url: str
) -> None:
    account = await new_account(storage, "shop", balance_micros=1_000_000)
    await storage.webhook_endpoints.set_webhook_endpoint(
        account.id, "https://hooks.example/sms", "whsec_x"
    )
    (message_id,) = await enqueue(storage, account.id, price_micros=80_000, segments=2)
    await storage.messages.claim_for_dispatch("worker", 10, clock())
    assert await storage.messages.record_submissions([submitted(message_id, "a1", "a2")]) == [True]

    detail = await storage.message_queries.get_message(account.id, message_id)
    assert detail is not None
    assert detail.message.status == "submitted"
    assert [event.status for event in detail.events] == ["queued", "submitted"]
    assert [(part.part_no, part.carrier_id, part.status) for part in detail.parts] == [
        (1, "a1", "submitted"),
        (2, "a2", "submitted"),
    ]
    assert ledger_kinds(database_url, message_id) == ["reserve", "settle"]
    after = await storage.accounts.get_account(account.id)
    assert after is not None
    assert (after.balance_micros, after.reserved_micros) == (920_000, 0)
    (webhook,) = await storage.webhook_outbox.claim_due_webhooks(10, clock(), 30)
    assert webhook.message_id == message_id
    assert '"status":"submitted"' in webhook.payload


async def test_a_retry_requeues_the_message_for_later_on_the_next_route(
    storage: SqlStorage, enqueue: Any, clock: Any
) -> None:
    account = await new_account(storage, "shop", balance_micros=1_000_000)
    (message_id,) = await enqueue(storage, account.id)
    await storage.messages.claim_for_dispatch("worker", 10, clock())
    later = clock() + timedelta(seconds=30)
    retry = Retry(
        message_id=message_id,
        next_route_index=1,
        next_attempt_at=later,
        error=ErrorDetail(detail="throttled", err="0x58"),
    )
    assert await storage.messages.record_submissions([retry]) == [True]
    assert await storage.messages.claim_for_dispatch("worker", 10, clock()) == []
    (item,) = await storage.messages.claim_for_dispatch("worker", 10, later)
    assert item.route_index == 1
    detail = await storage.message_queries.get_message(account.id, message_id)
    assert detail is not None
    assert detail.message.status == "queued"
    assert detail.events[-1].detail is not None
    assert detail.events[-1].detail["retry"] is True
    assert detail.events[-1].detail["err"] == "0x58"


async def test_a_failed_message_is_refunded(
    storage: SqlStorage, enqueue: Any, clock: Any, database_url: str
) -> None:
    account = await new_account(storage, "shop", balance_micros=1_000_000)
    (message_id,) = await enqueue(storage, account.id, price_micros=50_000)
    await storage.messages.claim_for_dispatch("worker", 10, clock())
    failure = Failed(message_id=message_id, error=ErrorDetail(detail="no route", err="0x0B"))
    assert await storage.messages.record_submissions([failure]) == [True]
    detail = await storage.message_queries.get_message(account.id, message_id)
    assert detail is not None
    assert detail.message.status == "failed"
    assert detail.message.last_error == ErrorDetail(detail="no route", err="0x0B")
    assert ledger_kinds(database_url, message_id) == ["reserve", "refund"]
    after = await storage.accounts.get_account(account.id)
    assert after is not None
    assert (after.balance_micros, after.reserved_micros) == (1_000_000, 0)


async def test_an_outcome_for_a_message_no_longer_queued_changes_nothing(
    storage: SqlStorage, enqueue: Any, clock: Any, database_url: str
) -> None:
    account = await new_account(storage, "shop", balance_micros=1_000_000)
    (message_id,) = await enqueue(storage, account.id)
    await storage.messages.claim_for_dispatch("worker", 10, clock())
    await storage.messages.record_submissions([submitted(message_id)])
    again = await storage.messages.record_submissions(
        [submitted(message_id), Failed(message_id=message_id, error=ErrorDetail(detail="x"))]
    )
    assert again == [False, False]
    unknown = await storage.messages.record_submissions(
        [submitted("msg_01HZZZZZZZZZZZZZZZZZZZZZZZ")]
    )
    assert unknown == [False]
    assert ledger_kinds(database_url, message_id) == ["reserve", "settle"]


async def test_with_refund_on_reject_the_reserve_waits_for_the_final_state(
    open_test_storage: Any, enqueue: Any, clock: Any, database_url: str
) -> None:
    storage = await open_test_storage(refund_on_reject=True)
    account = await new_account(storage, "shop", balance_micros=1_000_000)
    rejected_id, delivered_id = await enqueue(storage, account.id, count=2, price_micros=10_000)
    await storage.messages.claim_for_dispatch("worker", 10, clock())
    await storage.messages.record_submissions(
        [submitted(rejected_id, "r1"), submitted(delivered_id, "d1")]
    )
    path = database_url
    assert ledger_kinds(path, rejected_id) == ["reserve"]
    await storage.receipts.apply_receipts(
        [receipt_record("r1", "rejected", clock()), receipt_record("d1", "delivered", clock())]
    )
    assert ledger_kinds(path, rejected_id) == ["reserve", "refund"]
    assert ledger_kinds(path, delivered_id) == ["reserve", "settle"]
    after = await storage.accounts.get_account(account.id)
    assert after is not None
    assert (after.balance_micros, after.reserved_micros) == (990_000, 0)
