"""The queues (messages to dispatch, webhooks to deliver) are claimed once, whoever claims.

On PostgreSQL several pipeline processes may claim from one database. Two ways keep a row
from being claimed twice, and each is tested on its own: the claim statements skip rows
another open transaction has locked (``FOR UPDATE SKIP LOCKED``) instead of waiting for them
or reading them too, and whole storages claiming side by side end with disjoint claims.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from outbox_messages import submitted_messages
from sender_accounts import new_account
from sqlalchemy.engine import Connection

from parcelsms.adapters.storage.engine.postgres_engine import create_postgres_engine
from parcelsms.adapters.storage.messages.dispatch_rows import ClaimOperation, ClaimRequest
from parcelsms.adapters.storage.sql_storage import SqlStorage
from parcelsms.adapters.storage.webhooks.webhook_rows import (
    WebhookClaimOperation,
    WebhookClaimRequest,
)


@pytest.fixture
def plain_connections(database_url: str) -> Iterator[tuple[Connection, Connection]]:
    """Two connections that do NOT take the writers' turn: only row locks keep them apart.
    A row lock they wait for fails at once (``lock_timeout``) instead of hanging the test."""
    if not database_url.startswith("postgresql"):
        pytest.skip("SQLite has one writer at a time; there is nothing to skip")
    engine = create_postgres_engine(database_url, pool_size=2)
    first, second = engine.connect(), engine.connect()
    try:
        for connection in (first, second):
            connection.exec_driver_sql("SET lock_timeout = '2s'")
            connection.commit()
        yield first, second
    finally:
        first.close()
        second.close()
        engine.dispose()


async def test_a_dispatch_claim_skips_the_rows_another_open_claim_holds(
    storage: SqlStorage,
    enqueue: Any,
    clock: Any,
    plain_connections: tuple[Connection, Connection],
) -> None:
    account = await new_account(storage, "shop", balance_micros=10_000_000)
    queued = set(await enqueue(storage, account.id, count=10))
    first, second = plain_connections
    claim = ClaimOperation(storage._runner.context)  # the row operation itself
    with first.begin():
        (held,) = claim(first, [ClaimRequest("pipeline-1", 6, clock())])
        # The first claim is not committed yet: the second must neither wait nor take them.
        with second.begin():
            (taken,) = claim(second, [ClaimRequest("pipeline-2", 10, clock())])
    held_ids = {item.message_id for item in held}
    taken_ids = {item.message_id for item in taken}
    assert len(held_ids) == 6
    assert held_ids.isdisjoint(taken_ids)
    assert held_ids | taken_ids == queued


async def test_a_webhook_claim_skips_the_rows_another_open_claim_holds(
    storage: SqlStorage,
    clock: Any,
    plain_connections: tuple[Connection, Connection],
) -> None:
    account = await new_account(storage, "shop", balance_micros=10_000_000)
    await storage.webhook_endpoints.set_webhook_endpoint(
        account.id, "https://hooks.example/a", "whsec_a"
    )
    await submitted_messages(storage, account.id, 8, now=clock())
    first, second = plain_connections
    claim = WebhookClaimOperation()
    now = clock() + timedelta(seconds=5)
    with first.begin():
        (held,) = claim(first, [WebhookClaimRequest(5, now, 30)])
        with second.begin():
            (taken,) = claim(second, [WebhookClaimRequest(50, now, 30)])
    held_ids = {delivery.id for delivery in held}
    taken_ids = {delivery.id for delivery in taken}
    assert len(held_ids) == 5
    assert held_ids.isdisjoint(taken_ids)
    assert len(held_ids | taken_ids) == 8


async def test_two_storages_claiming_side_by_side_never_claim_one_message_twice(
    open_test_storage: Any, enqueue: Any, clock: Any
) -> None:
    first, second = await open_test_storage(), await open_test_storage()
    account = await new_account(first, "shop", balance_micros=100_000_000)
    queued = set(await enqueue(first, account.id, count=300))

    async def claim_all(storage: SqlStorage, token: str) -> list[str]:
        claimed: list[str] = []
        while True:
            batch = await storage.messages.claim_for_dispatch(token, 7, clock())
            if not batch:
                return claimed
            claimed.extend(item.message_id for item in batch)

    one, other = await asyncio.gather(claim_all(first, "p1"), claim_all(second, "p2"))
    assert len(one) + len(other) == len(queued)
    assert set(one).isdisjoint(other)
    assert set(one) | set(other) == queued
