"""The webhook worker against real receivers that fail, come back, are slow, or switch
secrets: SQLite outbox, the real sender, aiohttp receivers, schedules shortened."""

from __future__ import annotations

import asyncio
import random
import sqlite3
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import closing
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from outbox_messages import submitted_messages
from sender_accounts import new_account
from standardwebhooks.webhooks import Webhook, WebhookVerificationError
from webhook_receiver import WebhookReceiver

from parcelsms.adapters.storage.sql_storage import SqlStorage, open_storage
from parcelsms.adapters.webhooks.backoff import next_attempt_delay
from parcelsms.adapters.webhooks.sender import WebhookSender, WebhookTimeouts
from parcelsms.adapters.webhooks.signing import new_signing_secret
from parcelsms.bootstrap.webhook_parts import build_webhook_delivery
from parcelsms.config import load_config
from parcelsms.pipeline.webhook_delivery import WebhookDeliverySettings, WebhookDeliveryWorker
from parcelsms.pipeline.webhook_policy import StatusWebhookPolicy
from parcelsms.pipeline.webhook_ports import DeliveryFilter

Receivers = Callable[..., Awaitable[WebhookReceiver]]


@pytest.fixture
async def storage(tmp_path: Path) -> AsyncIterator[SqlStorage]:
    opened = await open_storage(
        f"sqlite:///{tmp_path / 'parcelsms.db'}", webhook_policy=StatusWebhookPolicy(), pepper=b"p"
    )
    yield opened
    await opened.close()


@pytest.fixture
async def receivers() -> AsyncIterator[Receivers]:
    started: list[WebhookReceiver] = []

    async def start(answer: int | Callable[[int], int] = 204) -> WebhookReceiver:
        receiver = WebhookReceiver(answer)
        await receiver.start()
        started.append(receiver)
        return receiver

    yield start
    for receiver in started:
        await receiver.close()


def short_backoff(attempt: int) -> float:
    """The platform's backoff with jitter, in tenths of what it is in production."""
    return next_attempt_delay(attempt, base=0.05, cap=0.2, jitter=random.Random())


class RunningWorker:
    def __init__(self, worker: WebhookDeliveryWorker, sender: WebhookSender) -> None:
        self.worker = worker
        self.sender = sender
        self.task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        await self.sender.start()
        self.task = asyncio.create_task(self.worker.run())

    async def stop(self, drain_seconds: float = 5.0) -> None:
        await self.worker.stop(drain_seconds)
        if self.task is not None:
            await self.task
        await self.sender.close()


def worker_for(storage: SqlStorage, *, timeout: float = 5.0, **settings: object) -> RunningWorker:
    sender = WebhookSender(timeouts=WebhookTimeouts(total=timeout), allow_private=True)
    options: dict[str, object] = {"idle_poll_seconds": 0.02, **settings}
    worker = WebhookDeliveryWorker(
        storage.webhook_outbox,
        sender,
        next_delay=short_backoff,
        settings=WebhookDeliverySettings(**options),  # type: ignore[arg-type]
    )
    return RunningWorker(worker, sender)


def statuses(path: Path) -> Counter[str]:
    with closing(sqlite3.connect(path)) as connection:
        return Counter(
            status for (status,) in connection.execute("SELECT status FROM webhook_outbox")
        )


async def test_a_receiver_down_for_a_while_gets_every_event_once_it_is_back(
    storage: SqlStorage, receivers: Receivers, tmp_path: Path
) -> None:
    receiver = await receivers(answer=503)
    account = await new_account(storage, "shop", balance_micros=10_000_000)
    endpoint = await storage.webhook_endpoints.set_webhook_endpoint(
        account.id, receiver.url, new_signing_secret()
    )
    await submitted_messages(storage, account.id, 40)
    running = worker_for(storage)
    await running.start()
    try:
        # Down: every event tried, and tried again, and still refused.
        await receiver.wait_for(lambda: len(receiver.ids()) == 40 and receiver.answered[503] >= 80)
        receiver.answer = 204
        await receiver.wait_for(lambda: receiver.answered[204] == 40)
    finally:
        await running.stop()

    assert statuses(tmp_path / "parcelsms.db") == Counter({"delivered": 40})
    verifier = Webhook(endpoint.secret)
    for request in receiver.received:
        verifier.verify(request.body, request.headers)
    assert len(receiver.ids()) == 40
    page = await storage.webhook_deliveries.list_deliveries(
        account.id, DeliveryFilter(status="delivered"), None, 100
    )
    assert len(page.items) == 40
    assert all(item.attempts >= 2 and item.last_status == 204 for item in page.items)
    assert all(item.latency_ms is not None for item in page.items)


async def test_the_platforms_worker_spreads_retries_of_events_that_failed_together(
    storage: SqlStorage, receivers: Receivers, tmp_path: Path
) -> None:
    receiver = await receivers(answer=503)
    account = await new_account(storage, "shop", balance_micros=10_000_000)
    await storage.webhook_endpoints.set_webhook_endpoint(
        account.id, receiver.url, new_signing_secret()
    )
    await submitted_messages(storage, account.id, 20)
    config = tmp_path / "parcelsms.toml"
    config.write_text(
        "[webhooks]\nallow_private_targets = true\n"
        "retry_base_seconds = 10\nretry_cap_seconds = 10\n"
    )
    sender, worker = build_webhook_delivery(load_config(config, {}), storage)
    running = RunningWorker(worker, sender)
    await running.start()
    try:
        await receiver.wait_for(lambda: receiver.answered[503] == 20)
    finally:
        await running.stop()

    page = await storage.webhook_deliveries.list_deliveries(account.id, DeliveryFilter(), None, 50)
    due = sorted(item.next_attempt_at for item in page.items if item.next_attempt_at)
    assert len(due) == 20
    # Without jitter all 20 would be due 10 s after their failure, within milliseconds of
    # one another; with equal jitter each waits 5 to 10 s.
    assert due[-1] - due[0] > timedelta(seconds=1)


async def test_a_dead_lettered_webhook_is_delivered_when_the_sender_asks(
    storage: SqlStorage, receivers: Receivers, tmp_path: Path
) -> None:
    receiver = await receivers(answer=500)
    account = await new_account(storage, "shop", balance_micros=10_000_000)
    endpoint = await storage.webhook_endpoints.set_webhook_endpoint(
        account.id, receiver.url, new_signing_secret()
    )
    await submitted_messages(storage, account.id, 1)
    # A retry window already over: the first retryable failure dead-letters the row.
    first = worker_for(storage, retry_window=timedelta(0))
    await first.start()
    await receiver.wait_for_requests(1)
    await first.stop()  # records the attempt
    deliveries = storage.webhook_deliveries
    (row,) = (await deliveries.list_deliveries(account.id, DeliveryFilter(), None, 5)).items
    assert (row.status, row.attempts, row.last_status, row.last_error) == (
        "dead",
        1,
        500,
        "http_500",
    )

    receiver.answer = 204
    retried = await deliveries.retry_delivery(account.id, row.id, datetime.now(UTC))
    assert retried is not None
    second = worker_for(storage)
    await second.start()
    try:
        await receiver.wait_for(lambda: receiver.answered[204] == 1)
    finally:
        await second.stop()

    assert statuses(tmp_path / "parcelsms.db") == Counter({"delivered": 1})
    assert set(receiver.ids()) == {row.event_id}  # the same webhook-id every time
    Webhook(endpoint.secret).verify(receiver.received[-1].body, receiver.received[-1].headers)


async def test_during_a_rotation_both_secrets_verify_and_after_it_only_the_new_one(
    storage: SqlStorage, receivers: Receivers
) -> None:
    receiver = await receivers()
    account = await new_account(storage, "shop", balance_micros=10_000_000)
    old = await storage.webhook_endpoints.set_webhook_endpoint(
        account.id, receiver.url, new_signing_secret()
    )
    new_secret = new_signing_secret()
    await storage.webhook_endpoints.rotate_secret(
        account.id, old.id, new_secret, datetime.now(UTC) + timedelta(hours=1)
    )
    await submitted_messages(storage, account.id, 3)
    running = worker_for(storage)
    await running.start()
    try:
        await receiver.wait_for(lambda: len(receiver.received) == 3)
        await storage.webhook_endpoints.rotate_secret(
            account.id,
            old.id,
            new_signing_secret(),
            datetime.now(UTC),  # no overlap
        )
        await submitted_messages(storage, account.id, 1)
        running.worker.wake()
        await receiver.wait_for(lambda: len(receiver.received) == 4)
    finally:
        await running.stop()

    for request in receiver.received[:3]:
        assert len(request.headers["webhook-signature"].split(" ")) == 2
        Webhook(old.secret).verify(request.body, request.headers)
        Webhook(new_secret).verify(request.body, request.headers)
    last = receiver.received[3]
    assert len(last.headers["webhook-signature"].split(" ")) == 1
    with pytest.raises(WebhookVerificationError):
        Webhook(new_secret).verify(last.body, last.headers)


async def test_a_slow_endpoint_does_not_delay_another_accounts_webhooks(
    storage: SqlStorage, receivers: Receivers
) -> None:
    slow = await receivers()
    slow.gate.clear()  # answers only when the test ends: "after 10 s", or never
    fast = await receivers()
    slow_account = await new_account(storage, "slow", balance_micros=10_000_000)
    fast_account = await new_account(storage, "fast", balance_micros=10_000_000)
    await storage.webhook_endpoints.set_webhook_endpoint(
        slow_account.id, slow.url, new_signing_secret()
    )
    await storage.webhook_endpoints.set_webhook_endpoint(
        fast_account.id, fast.url, new_signing_secret()
    )
    # More of the slow endpoint's webhooks than the worker holds at once, queued first.
    await submitted_messages(storage, slow_account.id, 60)
    await submitted_messages(storage, fast_account.id, 20)
    running = worker_for(
        storage,
        timeout=10.0,
        batch_size=10,
        max_in_flight=40,
        endpoint_concurrency=4,
        endpoint_max_in_flight=20,
    )
    await running.start()
    try:
        await fast.wait_for(lambda: fast.answered[204] == 20, timeout=5.0)
        assert len(slow.received) == 4  # its own concurrency, no more
    finally:
        slow.gate.set()
        await running.stop(drain_seconds=0.5)


async def test_a_clean_stop_puts_claimed_rows_back_at_once_without_waiting_for_a_lease(
    storage: SqlStorage, receivers: Receivers
) -> None:
    receiver = await receivers()
    receiver.gate.clear()
    account = await new_account(storage, "shop", balance_micros=10_000_000)
    await storage.webhook_endpoints.set_webhook_endpoint(
        account.id, receiver.url, new_signing_secret()
    )
    await submitted_messages(storage, account.id, 30)
    running = worker_for(storage, lease_seconds=60.0, endpoint_concurrency=5)
    await running.start()
    await receiver.wait_for(lambda: len(receiver.received) == 5)
    await running.stop(drain_seconds=0.2)  # 5 requests still held, 25 rows waiting

    claimed = await storage.webhook_outbox.claim_due_webhooks(100, datetime.now(UTC), 5)
    assert len(claimed) == 30
    assert {row.attempts for row in claimed} == {0}


async def test_a_request_held_longer_than_the_lease_keeps_its_row_leased(
    storage: SqlStorage, receivers: Receivers
) -> None:
    receiver = await receivers()
    receiver.gate.clear()
    account = await new_account(storage, "shop", balance_micros=10_000_000)
    await storage.webhook_endpoints.set_webhook_endpoint(
        account.id, receiver.url, new_signing_secret()
    )
    await submitted_messages(storage, account.id, 1)
    running = worker_for(storage, lease_seconds=0.4)
    await running.start()
    try:
        await receiver.wait_for(lambda: len(receiver.received) == 1)
        for _ in range(4):  # several leases long
            await asyncio.sleep(0.3)
            now = datetime.now(UTC)
            assert await storage.webhook_outbox.claim_due_webhooks(10, now, 0.4) == []
        receiver.gate.set()
        await receiver.wait_for(lambda: receiver.answered[204] == 1)
    finally:
        await running.stop()
    assert len(receiver.received) == 1
