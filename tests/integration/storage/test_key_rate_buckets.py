"""The API keys' shared token buckets: every writer takes from one bucket per key. Two
storages on one database stand for two API processes; runs on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any, Protocol

from parcelsms.adapters.storage.sql_storage import SqlStorage

OpenStorage = Callable[..., Awaitable[SqlStorage]]


class Clock(Protocol):
    def advance(self, seconds: float) -> Any: ...


async def test_two_writers_together_take_no_more_than_the_burst(
    open_test_storage: OpenStorage,
) -> None:
    first = await open_test_storage()
    second = await open_test_storage()

    grants = await asyncio.gather(
        *(
            writer.accounts.take_key_tokens("key_1", 7, 10.0, 50)
            for _ in range(10)
            for writer in (first, second)
        )
    )

    assert sum(grant.granted for grant in grants) == 50
    refused = [grant for grant in grants if grant.granted < 7]
    assert refused
    assert all(0 < grant.wait <= 0.1 for grant in refused)


async def test_the_bucket_refills_at_the_rate_by_the_storage_clock(
    storage: SqlStorage, clock: Clock
) -> None:
    first = await storage.accounts.take_key_tokens("key_1", 100, 10.0, 20)
    empty = await storage.accounts.take_key_tokens("key_1", 1, 10.0, 20)
    clock.advance(0.5)
    refilled = await storage.accounts.take_key_tokens("key_1", 100, 10.0, 20)
    other_key = await storage.accounts.take_key_tokens("key_2", 3, 10.0, 20)

    assert first.granted == 20
    assert empty.granted == 0
    assert empty.wait == 0.1
    assert refilled.granted == 5
    assert other_key.granted == 3
    assert other_key.wait == 0.0
