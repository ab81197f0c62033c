"""Failover on failed receipts in storage (real SQLite file): the attempt set aside, the
message queued for the next channel, billed once, one final webhook, costs for margins."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from database_peek import json_value, peek
from ledger_audit import double_billed_messages, unbalanced_accounts
from receipt_records import receipt_record
from sender_accounts import TEST_ACTOR, new_account

from parcelsms.adapters.storage.sql_storage import SqlStorage
from parcelsms.domain.receipt_failover import ReceiptFailoverPolicies, ReceiptRetryRule
from parcelsms.pipeline.billing_ports import DEFAULT_COUNTRY
from parcelsms.pipeline.message_ports import ErrorDetail, Failed, Submitted, SubmittedPart

BRAZIL = {"to_e164": "+5511987654321", "country": "BR"}
UNDELIV_ON_ALPHA = ReceiptFailoverPolicies({"alpha": (ReceiptRetryRule(),)})


def submitted(message_id: str, channel: str, *carrier_ids: str) -> Submitted:
    return Submitted(
        message_id=message_id,
        channel=channel,
        parts=tuple(
            SubmittedPart(part_no=number, carrier_id_raw=carrier_id)
            for number, carrier_id in enumerate(carrier_ids, start=1)
        ),
    )


@pytest.fixture
async def failover_storage(open_test_storage: Any) -> SqlStorage:
    storage: SqlStorage = await open_test_storage(receipt_failover=UNDELIV_ON_ALPHA)
    return storage


@pytest.fixture
async def shop(failover_storage: SqlStorage) -> str:
    account = await new_account(failover_storage, "shop", balance_micros=10_000_000)
    await failover_storage.webhook_endpoints.set_webhook_endpoint(
        account.id, "https://hooks.example/sms", "whsec_x"
    )
    return account.id


async def submit_on(storage: SqlStorage, clock: Any, message_id: str, channel: str, *ids: str):
    claimed = await storage.messages.claim_for_dispatch("worker", 100, clock())
    assert [item.message_id for item in claimed] == [message_id]
    assert await storage.messages.record_submissions([submitted(message_id, channel, *ids)]) == [
        True
    ]
    return claimed[0]


def webhook_statuses(database_url: str, message_id: str) -> list[str]:
    """The statuses the sender's webhooks told of the message, in order."""
    with peek(database_url) as connection:
        rows = connection.execute(
            "SELECT payload FROM webhook_outbox WHERE message_id = ? ORDER BY created_at, id",
            (message_id,),
        ).fetchall()
    return [json_value(payload)["status"] for (payload,) in rows]


async def test_an_undeliverable_receipt_sends_the_message_through_the_next_channel_billed_once(
    failover_storage: SqlStorage, enqueue: Any, clock: Any, shop: str, database_url: str
) -> None:
    storage = failover_storage
    (message_id,) = await enqueue(storage, shop, **BRAZIL)
    await submit_on(storage, clock, message_id, "alpha", "A1")
    clock.advance(2)
    await storage.receipts.apply_receipts([receipt_record("A1", "undelivered", clock())])

    detail = await storage.message_queries.get_message_for_operator(message_id)
    assert detail is not None
    assert detail.message.status == "queued"
    assert "receipt_failover" in detail.message.flags
    assert detail.parts == ()  # set aside: the next channel's parts take their place
    assert detail.events[-1].detail is not None
    assert detail.events[-1].detail["failover"] == "receipt"
    assert detail.events[-1].detail["channel"] == "alpha"
    assert detail.events[-1].detail["stat"] == "UNDELIV"

    item = await submit_on(storage, clock, message_id, "beta", "B1")
    assert item.route_index == 1  # beta, the next channel of the plan
    clock.advance(2)
    await storage.receipts.apply_receipts(
        [receipt_record("B1", "delivered", clock(), channel="beta")]
    )

    seen = await storage.message_queries.get_message(shop, message_id)
    assert seen is not None
    assert seen.message.status == "delivered"
    assert [part.channel for part in seen.parts] == ["beta"]
    statuses = [event.status for event in seen.events]
    assert statuses == ["queued", "submitted", "queued", "submitted", "delivered"]
    # The sender sees the failed attempt with its route label, never the channel.
    failed_attempt = seen.events[2].detail
    assert failed_attempt is not None
    assert "channel" not in failed_attempt
    assert failed_attempt["route"]
    assert failed_attempt["stat"] == "UNDELIV"
    with peek(database_url) as connection:
        assert double_billed_messages(connection) == []
        assert unbalanced_accounts(connection) == []
        kinds = connection.execute(
            "SELECT kind FROM ledger WHERE message_id = ? ORDER BY id", (message_id,)
        ).fetchall()
        attempts = connection.execute(
            "SELECT channel, attempt, segments, reason, stat FROM message_attempts"
        ).fetchall()
    assert [kind for (kind,) in kinds] == ["reserve", "settle"]
    assert attempts == [("alpha", 1, 1, "receipt", "UNDELIV")]
    # Each submission is news; the failed attempt is not; the final outcome comes once.
    assert webhook_statuses(database_url, message_id) == ["submitted", "submitted", "delivered"]


async def test_a_receipt_no_rule_retries_ends_the_message_as_before(
    failover_storage: SqlStorage, enqueue: Any, clock: Any, shop: str
) -> None:
    storage = failover_storage
    (message_id,) = await enqueue(storage, shop, **BRAZIL)
    await submit_on(storage, clock, message_id, "alpha", "A1")
    await storage.receipts.apply_receipts([receipt_record("A1", "expired", clock())])
    detail = await storage.message_queries.get_message(shop, message_id)
    assert detail is not None
    assert detail.message.status == "expired"


async def test_the_last_channel_of_the_plan_keeps_its_failed_receipt_final(
    open_test_storage: Any, enqueue: Any, clock: Any
) -> None:
    both = ReceiptFailoverPolicies({"alpha": (ReceiptRetryRule(),), "beta": (ReceiptRetryRule(),)})
    storage: SqlStorage = await open_test_storage(receipt_failover=both)
    shop = (await new_account(storage, "shop", balance_micros=10_000_000)).id
    (message_id,) = await enqueue(storage, shop, **BRAZIL)
    await submit_on(storage, clock, message_id, "alpha", "A1")
    await storage.receipts.apply_receipts([receipt_record("A1", "undelivered", clock())])
    await submit_on(storage, clock, message_id, "beta", "B1")
    await storage.receipts.apply_receipts(
        [receipt_record("B1", "undelivered", clock(), channel="beta")]
    )
    detail = await storage.message_queries.get_message(shop, message_id)
    assert detail is not None
    # alpha already failed it by receipt: not tried again.
    assert detail.message.status == "undelivered"


async def test_a_failed_over_message_no_channel_takes_ends_undelivered_and_stays_charged(
    failover_storage: SqlStorage, enqueue: Any, clock: Any, shop: str, database_url: str
) -> None:
    storage = failover_storage
    (message_id,) = await enqueue(storage, shop, **BRAZIL)
    await submit_on(storage, clock, message_id, "alpha", "A1")
    await storage.receipts.apply_receipts([receipt_record("A1", "undelivered", clock())])
    await storage.messages.claim_for_dispatch("worker", 100, clock())
    failure = Failed(message_id=message_id, error=ErrorDetail(detail="validity ended"))
    assert await storage.messages.record_submissions([failure]) == [True]
    detail = await storage.message_queries.get_message(shop, message_id)
    assert detail is not None
    assert detail.message.status == "undelivered"
    with peek(database_url) as connection:
        kinds = connection.execute(
            "SELECT kind FROM ledger WHERE message_id = ? ORDER BY id", (message_id,)
        ).fetchall()
    assert [kind for (kind,) in kinds] == ["reserve", "settle"]


async def test_a_multi_part_message_is_resubmitted_whole_when_a_part_failed(
    failover_storage: SqlStorage, enqueue: Any, clock: Any, shop: str
) -> None:
    storage = failover_storage
    (message_id,) = await enqueue(storage, shop, segments=2, **BRAZIL)
    await submit_on(storage, clock, message_id, "alpha", "A1", "A2")
    await storage.receipts.apply_receipts([receipt_record("A1", "delivered", clock())])
    detail = await storage.message_queries.get_message(shop, message_id)
    assert detail is not None
    assert detail.message.status == "submitted"
    await storage.receipts.apply_receipts([receipt_record("A2", "undelivered", clock())])
    detail = await storage.message_queries.get_message(shop, message_id)
    assert detail is not None
    assert detail.message.status == "queued"
    await submit_on(storage, clock, message_id, "beta", "B1", "B2")
    detail = await storage.message_queries.get_message(shop, message_id)
    assert detail is not None
    assert [(part.part_no, part.channel) for part in detail.parts] == [(1, "beta"), (2, "beta")]


async def test_a_message_without_receipt_past_the_limit_goes_to_the_next_channel(
    open_test_storage: Any, enqueue: Any, clock: Any, tmp_path: Path
) -> None:
    silent = ReceiptFailoverPolicies(
        {"alpha": (ReceiptRetryRule(no_receipt_after=timedelta(minutes=10)),)}
    )
    storage: SqlStorage = await open_test_storage(receipt_failover=silent)
    shop = (await new_account(storage, "shop", balance_micros=10_000_000)).id
    (message_id,) = await enqueue(storage, shop, **BRAZIL)
    await submit_on(storage, clock, message_id, "alpha", "A1")
    first = clock.advance(60)
    assert await storage.messages.fail_over_silent_attempts(first, None) == 0
    second = clock.advance(600)
    assert await storage.messages.fail_over_silent_attempts(second, first) == 1
    # Swept once: the next sweep's period no longer covers it.
    assert await storage.messages.fail_over_silent_attempts(clock.advance(1), second) == 0
    detail = await storage.message_queries.get_message_for_operator(message_id)
    assert detail is not None
    assert detail.message.status == "queued"
    assert {"receipt_failover", "duplicate_possible"} <= set(detail.message.flags)
    await submit_on(storage, clock, message_id, "beta", "B1")


async def test_the_margins_report_counts_the_abandoned_attempt_as_a_cost_without_revenue(
    failover_storage: SqlStorage, enqueue: Any, clock: Any, shop: str
) -> None:
    storage = failover_storage
    await storage.billing.set_channel_cost("alpha", DEFAULT_COUNTRY, 10_000, TEST_ACTOR)
    await storage.billing.set_channel_cost("beta", DEFAULT_COUNTRY, 15_000, TEST_ACTOR)
    (message_id,) = await enqueue(storage, shop, **BRAZIL)
    await submit_on(storage, clock, message_id, "alpha", "A1")
    await storage.receipts.apply_receipts([receipt_record("A1", "undelivered", clock())])
    await submit_on(storage, clock, message_id, "beta", "B1")
    rows = await storage.billing.margin_report(
        clock() - timedelta(hours=1), clock() + timedelta(hours=1)
    )
    by_channel = {row.channel: row for row in rows}
    assert by_channel["alpha"].messages == 0
    assert by_channel["alpha"].failover_segments == 1
    assert by_channel["alpha"].cost_micros == 10_000
    assert by_channel["alpha"].revenue_micros == 0
    assert by_channel["beta"].messages == 1
    assert by_channel["beta"].cost_micros == 15_000
    assert by_channel["beta"].revenue_micros == 40_000
