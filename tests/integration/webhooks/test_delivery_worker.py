"""The webhook worker end to end: SQLite outbox, the real sender, an aiohttp receiver."""

from __future__ import annotations

import asyncio
import json
import sqlite3
from collections import Counter
from collections.abc import AsyncIterator, Collection, Sequence
from contextlib import closing
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import outbox_messages
import pytest
from aiohttp import web
from sender_accounts import new_account
from standardwebhooks.webhooks import Webhook

from parcelsms.adapters.storage.sql_storage import SqlStorage, open_storage
from parcelsms.adapters.webhooks.sender import WebhookSender
from parcelsms.adapters.webhooks.signing import new_signing_secret
from parcelsms.pipeline.webhook_delivery import WebhookDeliverySettings, WebhookDeliveryWorker
from parcelsms.pipeline.webhook_policy import StatusWebhookPolicy
from parcelsms.pipeline.webhook_ports import WebhookDelivery, WebhookEvent, WebhookResult


def payload(event: WebhookEvent) -> str:
    return json.dumps({"id": event.event_id, "message": event.message_id, "status": event.status})


@dataclass
class Receiver:
    url: str
    secret: str
    bodies: list[bytes] = field(default_factory=list)
    ids: Counter[str] = field(default_factory=Counter)
    verified: int = 0
    gate: asyncio.Event = field(default_factory=asyncio.Event)
    arrived: asyncio.Event = field(default_factory=asyncio.Event)
    expected: int = 0


@pytest.fixture
async def receiver() -> AsyncIterator[Receiver]:
    state = Receiver(url="", secret=new_signing_secret())
    state.gate.set()

    async def hook(request: web.Request) -> web.Response:
        body = await request.read()
        Webhook(state.secret).verify(body, dict(request.headers))
        state.verified += 1
        state.ids[request.headers["webhook-id"]] += 1
        state.bodies.append(body)
        if len(state.ids) >= state.expected:
            state.arrived.set()
        await state.gate.wait()
        return web.Response(status=204)

    app = web.Application()
    app.router.add_post("/hook", hook)
    runner = web.AppRunner(app, shutdown_timeout=1.0)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    state.url = f"http://127.0.0.1:{runner.addresses[0][1]}/hook"
    try:
        yield state
    finally:
        state.gate.set()
        await runner.cleanup()


@pytest.fixture
async def storage(tmp_path: Path) -> AsyncIterator[SqlStorage]:
    opened = await open_storage(
        f"sqlite:///{tmp_path / 'parcelsms.db'}",
        webhook_policy=StatusWebhookPolicy(payload),
        pepper=b"pepper",
    )
    yield opened
    await opened.close()


async def submitted_messages(storage: SqlStorage, receiver: Receiver, count: int) -> list[str]:
    """``count`` messages submitted: one ``submitted`` webhook each in the outbox."""
    account = await new_account(storage, "shop", balance_micros=10_000_000)
    await storage.webhook_endpoints.set_webhook_endpoint(account.id, receiver.url, receiver.secret)
    return await outbox_messages.submitted_messages(storage, account.id, count)


def outbox_statuses(path: Path) -> Counter[str]:
    with closing(sqlite3.connect(path)) as connection:
        return Counter(
            status for (status,) in connection.execute("SELECT status FROM webhook_outbox")
        )


class RecordingOutbox:
    """The storage's outbox, noting what each claim returned and how results were recorded."""

    def __init__(self, storage: SqlStorage) -> None:
        self._storage = storage
        self.claimed: Counter[str] = Counter()
        self.claimed_again = asyncio.Event()
        self.result_calls: list[int] = []
        self.recorded: set[str] = set()

    async def claim_due_webhooks(
        self, limit: int, now: datetime, lease_seconds: float, busy_urls: Collection[str] = ()
    ) -> list[WebhookDelivery]:
        rows = await self._storage.webhook_outbox.claim_due_webhooks(
            limit, now, lease_seconds, busy_urls
        )
        for row in rows:
            self.claimed[row.id] += 1
            if self.claimed[row.id] > 1:
                self.claimed_again.set()
        return rows

    async def renew_webhook_leases(
        self, claims: Sequence[tuple[str, int]], until: datetime
    ) -> None:
        """Renews nothing: as if renewals came too late, so leases run out mid-request."""

    async def release_webhooks(self, claims: Sequence[tuple[str, int]], now: datetime) -> None:
        await self._storage.webhook_outbox.release_webhooks(claims, now)

    async def record_webhook_results(self, results: Sequence[WebhookResult]) -> None:
        self.result_calls.append(len(results))
        await self._storage.webhook_outbox.record_webhook_results(results)
        self.recorded.update(result.id for result in results)


async def test_every_due_webhook_is_sent_once_signed_and_recorded(
    storage: SqlStorage, receiver: Receiver, tmp_path: Path
) -> None:
    await submitted_messages(storage, receiver, 60)
    receiver.expected = 60
    outbox = RecordingOutbox(storage)
    async with WebhookSender(allow_private=True) as sender:
        worker = WebhookDeliveryWorker(
            outbox,
            sender,
            next_delay=lambda attempt: 60.0,
            settings=WebhookDeliverySettings(batch_size=25, idle_poll_seconds=0.01),
        )
        running = asyncio.create_task(worker.run())
        await receiver.arrived.wait()
        await worker.stop()
        await running

    assert receiver.verified == 60
    assert set(receiver.ids.values()) == {1}
    assert outbox_statuses(tmp_path / "parcelsms.db") == Counter({"delivered": 60})
    # Results go to storage in lists, not one call per webhook.
    assert sum(outbox.result_calls) == 60
    assert len(outbox.result_calls) < 60


async def test_a_row_still_in_flight_is_not_sent_again_when_its_lease_ends(
    storage: SqlStorage, receiver: Receiver, tmp_path: Path
) -> None:
    await submitted_messages(storage, receiver, 5)
    receiver.expected = 5
    receiver.gate.clear()  # the receiver holds every request until told
    outbox = RecordingOutbox(storage)
    async with WebhookSender(allow_private=True) as sender:
        worker = WebhookDeliveryWorker(
            outbox,
            sender,
            next_delay=lambda attempt: 60.0,
            settings=WebhookDeliverySettings(lease_seconds=0.05, idle_poll_seconds=0.01),
        )
        running = asyncio.create_task(worker.run())
        await receiver.arrived.wait()
        # The leases ran out while the requests were held, and a claim returned the rows.
        await outbox.claimed_again.wait()
        receiver.gate.set()
        await worker.stop()
        await running

    assert dict(receiver.ids) == dict.fromkeys(receiver.ids, 1)
    assert len(receiver.ids) == 5
    assert outbox.recorded == set(receiver.ids)
    assert outbox_statuses(tmp_path / "parcelsms.db") == Counter({"delivered": 5})


async def test_stop_waits_for_requests_in_flight_and_records_them(
    storage: SqlStorage, receiver: Receiver, tmp_path: Path
) -> None:
    await submitted_messages(storage, receiver, 8)
    receiver.expected = 8
    receiver.gate.clear()
    async with WebhookSender(allow_private=True) as sender:
        worker = WebhookDeliveryWorker(
            storage.webhook_outbox,
            sender,
            next_delay=lambda attempt: 60.0,
            settings=WebhookDeliverySettings(idle_poll_seconds=0.01),
        )
        running = asyncio.create_task(worker.run())
        await receiver.arrived.wait()
        stopping = asyncio.create_task(worker.stop(drain_seconds=10.0))
        receiver.gate.set()
        await stopping
        await running

    assert outbox_statuses(tmp_path / "parcelsms.db") == Counter({"delivered": 8})
