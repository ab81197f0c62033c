"""The webhook outbox: written with the status change, claimed with a lease."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

import msgspec
import pytest
from database_peek import peek
from sender_accounts import new_account

from parcelsms.adapters.storage.sql_storage import SqlStorage
from parcelsms.domain.status import MessageStatus
from parcelsms.errors import StorageError
from parcelsms.pipeline.message_ports import ErrorDetail, Failed, Submitted, SubmittedPart
from parcelsms.pipeline.webhook_policy import StatusWebhookPolicy
from parcelsms.pipeline.webhook_ports import WebhookEvent, WebhookResult


def submitted(message_id: str) -> Submitted:
    return Submitted(
        message_id=message_id,
        channel="alpha",
        parts=(SubmittedPart(part_no=1, carrier_id_raw=message_id),),
    )


async def submit_all(storage: SqlStorage, clock: Any, ids: list[str]) -> None:
    await storage.messages.claim_for_dispatch("worker", 100, clock())
    assert await storage.messages.record_submissions([submitted(i) for i in ids]) == [True] * len(
        ids
    )


async def test_the_callback_url_wins_over_the_account_endpoint(
    storage: SqlStorage, enqueue: Any, clock: Any
) -> None:
    account = await new_account(storage, "shop", balance_micros=1_000_000)
    await storage.webhook_endpoints.set_webhook_endpoint(
        account.id, "https://hooks.example/all", "whsec_a"
    )
    (own,) = await enqueue(storage, account.id, callback_url="https://shop.example/this")
    (default,) = await enqueue(storage, account.id)
    await submit_all(storage, clock, [own, default])
    deliveries = {
        d.message_id: d for d in await storage.webhook_outbox.claim_due_webhooks(10, clock(), 30)
    }
    assert deliveries[own].url == "https://shop.example/this"
    assert deliveries[default].url == "https://hooks.example/all"
    assert deliveries[own].secrets == deliveries[default].secrets == ("whsec_a",)


async def test_no_webhook_is_queued_without_a_target(
    storage: SqlStorage, enqueue: Any, clock: Any
) -> None:
    account = await new_account(storage, "shop", balance_micros=1_000_000)
    (message_id,) = await enqueue(storage, account.id)
    await submit_all(storage, clock, [message_id])
    assert await storage.webhook_outbox.claim_due_webhooks(10, clock(), 30) == []


async def test_a_callback_without_an_endpoint_has_no_secret(
    storage: SqlStorage, enqueue: Any, clock: Any
) -> None:
    account = await new_account(storage, "shop", balance_micros=1_000_000)
    (message_id,) = await enqueue(storage, account.id, callback_url="https://shop.example/x")
    await submit_all(storage, clock, [message_id])
    (delivery,) = await storage.webhook_outbox.claim_due_webhooks(10, clock(), 30)
    assert delivery.secrets == ()


class OnlyFailures:
    """A policy unlike the platform's, to show storage follows the one it is given."""

    statuses = frozenset({MessageStatus.FAILED})

    def payload(self, event: WebhookEvent) -> str:
        return f'{{"told": "{event.status}"}}'


async def test_storage_writes_the_webhooks_its_policy_asks_for_and_no_others(
    open_test_storage: Any, enqueue: Any, clock: Any
) -> None:
    storage = await open_test_storage(webhook_policy=OnlyFailures())
    account = await new_account(storage, "shop", balance_micros=1_000_000)
    await storage.webhook_endpoints.set_webhook_endpoint(
        account.id, "https://hooks.example/all", "whsec_a"
    )
    sent, failing = await enqueue(storage, account.id, count=2, callback_url="https://own.example")
    await storage.messages.claim_for_dispatch("worker", 10, clock())
    failure = Failed(message_id=failing, error=ErrorDetail(detail="no route"))
    assert await storage.messages.record_submissions([submitted(sent), failure]) == [True, True]

    (delivery,) = await storage.webhook_outbox.claim_due_webhooks(10, clock(), 30)
    assert (delivery.message_id, delivery.url) == (failing, "https://own.example")
    assert delivery.payload == '{"told": "failed"}'


async def test_the_payload_is_the_builders_output_for_the_event(
    storage: SqlStorage, enqueue: Any, clock: Any
) -> None:
    account = await new_account(storage, "shop", balance_micros=1_000_000)
    await storage.webhook_endpoints.set_webhook_endpoint(
        account.id, "https://hooks.example/all", "whsec_a"
    )
    (message_id,) = await enqueue(storage, account.id, client_ref="order-7")
    await submit_all(storage, clock, [message_id])
    (delivery,) = await storage.webhook_outbox.claim_due_webhooks(10, clock(), 30)
    event = msgspec.json.decode(delivery.payload, type=WebhookEvent)
    assert event.event_id == delivery.id
    assert (event.message_id, event.status, event.client_ref) == (
        message_id,
        "submitted",
        "order-7",
    )
    assert event.channel == "alpha"
    assert event.at == clock()


async def test_status_change_and_webhook_commit_together_or_not_at_all(
    open_test_storage: Any, enqueue: Any, clock: Any, database_url: str
) -> None:
    def builder(event: WebhookEvent) -> str:
        if event.client_ref == "poison":
            raise ValueError("cannot build this payload")
        return msgspec.json.encode(event).decode()

    storage = await open_test_storage(webhook_policy=StatusWebhookPolicy(builder))
    account = await new_account(storage, "shop", balance_micros=1_000_000)
    await storage.webhook_endpoints.set_webhook_endpoint(
        account.id, "https://hooks.example/all", "whsec_a"
    )
    (good,) = await enqueue(storage, account.id, client_ref="good")
    (bad,) = await enqueue(storage, account.id, client_ref="poison")
    await storage.messages.claim_for_dispatch("worker", 10, clock())
    outcomes = await asyncio.gather(
        storage.messages.record_submissions([submitted(good)]),
        storage.messages.record_submissions([submitted(bad)]),
        return_exceptions=True,
    )
    assert outcomes[0] == [True]
    assert isinstance(outcomes[1], StorageError)
    with peek(database_url) as connection:
        statuses = dict(connection.execute("SELECT client_ref, status FROM messages"))
        hooks = connection.execute("SELECT message_id FROM webhook_outbox").fetchall()
        kinds = connection.execute(
            "SELECT kind FROM ledger WHERE message_id = ? ORDER BY id", (bad,)
        ).fetchall()
    assert statuses == {"good": "submitted", "poison": "queued"}
    assert hooks == [(good,)]
    assert kinds == [("reserve",)]


async def test_a_claimed_webhook_is_leased_until_reported(
    storage: SqlStorage, enqueue: Any, clock: Any
) -> None:
    account = await new_account(storage, "shop", balance_micros=1_000_000)
    await storage.webhook_endpoints.set_webhook_endpoint(
        account.id, "https://hooks.example/all", "whsec_a"
    )
    (message_id,) = await enqueue(storage, account.id)
    await submit_all(storage, clock, [message_id])
    (delivery,) = await storage.webhook_outbox.claim_due_webhooks(10, clock(), 30)
    assert (
        await storage.webhook_outbox.claim_due_webhooks(10, clock() + timedelta(seconds=29), 30)
        == []
    )
    (again,) = await storage.webhook_outbox.claim_due_webhooks(
        10, clock() + timedelta(seconds=31), 30
    )
    assert again.id == delivery.id


async def test_delivery_results_settle_retry_or_give_up(
    storage: SqlStorage, enqueue: Any, clock: Any, database_url: str
) -> None:
    account = await new_account(storage, "shop", balance_micros=1_000_000)
    await storage.webhook_endpoints.set_webhook_endpoint(
        account.id, "https://hooks.example/all", "whsec_a"
    )
    ids = await enqueue(storage, account.id, count=3)
    await submit_all(storage, clock, ids)
    claimed = await storage.webhook_outbox.claim_due_webhooks(10, clock(), 30)
    ok, retry, give_up = sorted(claimed, key=lambda d: ids.index(d.message_id))
    later = clock() + timedelta(minutes=5)
    await storage.webhook_outbox.record_webhook_results(
        [
            WebhookResult(id=ok.id, ok=True, status=204),
            WebhookResult(id=retry.id, ok=False, status=503, error="busy", next_attempt_at=later),
            WebhookResult(id=give_up.id, ok=False, status=410, error="gone"),
        ]
    )
    assert (
        await storage.webhook_outbox.claim_due_webhooks(10, later - timedelta(seconds=1), 30) == []
    )
    (retried,) = await storage.webhook_outbox.claim_due_webhooks(10, later, 30)
    assert (retried.id, retried.attempts) == (retry.id, 1)
    with peek(database_url) as connection:
        rows = dict(
            (row[0], row[1:])
            for row in connection.execute(
                "SELECT id, status, attempts, last_status, last_error FROM webhook_outbox"
            )
        )
    assert rows[ok.id] == ("delivered", 1, 204, None)
    assert rows[give_up.id] == ("dead", 1, 410, "gone")


async def test_a_result_for_a_finished_row_is_ignored(
    storage: SqlStorage, enqueue: Any, clock: Any
) -> None:
    account = await new_account(storage, "shop", balance_micros=1_000_000)
    await storage.webhook_endpoints.set_webhook_endpoint(
        account.id, "https://hooks.example/all", "whsec_a"
    )
    (message_id,) = await enqueue(storage, account.id)
    await submit_all(storage, clock, [message_id])
    (delivery,) = await storage.webhook_outbox.claim_due_webhooks(10, clock(), 30)
    await storage.webhook_outbox.record_webhook_results(
        [WebhookResult(id=delivery.id, ok=True, status=200)]
    )
    await storage.webhook_outbox.record_webhook_results(
        [WebhookResult(id=delivery.id, ok=False, next_attempt_at=clock())]
    )
    assert (
        await storage.webhook_outbox.claim_due_webhooks(10, clock() + timedelta(days=1), 30) == []
    )


async def test_endpoints_are_replaced_not_duplicated(storage: SqlStorage) -> None:
    account = await new_account(storage, "shop")
    await storage.webhook_endpoints.set_webhook_endpoint(
        account.id, "https://one.example", "whsec_1"
    )
    await storage.webhook_endpoints.set_webhook_endpoint(
        account.id, "https://two.example", "whsec_2"
    )
    endpoint = await storage.webhook_endpoints.get_webhook_endpoint(account.id)
    assert endpoint is not None
    assert (endpoint.url, endpoint.secret) == ("https://two.example", "whsec_2")
    other = await new_account(storage, "other")
    assert await storage.webhook_endpoints.get_webhook_endpoint(other.id) is None


@pytest.mark.parametrize("limit", [1, 2])
async def test_claims_respect_the_limit(
    storage: SqlStorage, enqueue: Any, clock: Any, limit: int
) -> None:
    account = await new_account(storage, "shop", balance_micros=1_000_000)
    await storage.webhook_endpoints.set_webhook_endpoint(
        account.id, "https://hooks.example/all", "whsec_a"
    )
    ids = await enqueue(storage, account.id, count=3)
    await submit_all(storage, clock, ids)
    assert len(await storage.webhook_outbox.claim_due_webhooks(limit, clock(), 30)) == limit
