"""Benchmark: messages accepted per second through the batching writer on a SQLite file.

    python bench/storage_accept.py [--messages N] [--synchronous NORMAL|FULL]

Three shapes of load, each on a fresh temporary database:

* one submitter sending one message at a time (latency-bound: a commit per message);
* 50 concurrent submitters, one message each per call (the API under load: group commit);
* calls of 1,000 messages (the batch endpoint).

Each accepted message is a committed transaction's worth of work: idempotency check,
balance reservation, message row, event row and ledger row.
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import time
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path

from parcelsms.adapters.storage.engine.sqlite_engine import SqliteSettings
from parcelsms.adapters.storage.sql_storage import SqlStorage, open_storage
from parcelsms.pipeline.account_security_ports import Actor
from parcelsms.pipeline.message_ports import Accepted, NewMessage
from parcelsms.pipeline.webhook_policy import StatusWebhookPolicy
from parcelsms.pipeline.webhook_ports import WebhookEvent


def _payload(event: WebhookEvent) -> str:
    return "{}"


def _message(account_id: str, number: int) -> NewMessage:
    return NewMessage(
        account_id=account_id,
        to_e164=f"+4479{number % 100_000_000:08d}",
        country="GB",
        template_id=None,
        language="en",
        body="Your parcel PX123456789GB has cleared customs and is on its way.",
        encoding="GSM7",
        segments=1,
        price_micros=42_500,
        currency="EUR",
        sender_id="ParcelCo",
        client_ref=f"order-{number}",
        callback_url=None,
        route_plan=("simulator",),
        valid_until=datetime.now(UTC) + timedelta(days=2),
        idempotency_key=f"key-{number}",
        request_hash="bench",
    )


async def _open(directory: Path, settings: SqliteSettings) -> tuple[SqlStorage, str]:
    storage = await open_storage(
        f"sqlite+aiosqlite:///{directory / 'bench.db'}",
        webhook_policy=StatusWebhookPolicy(_payload),
        pepper=b"bench",
        settings=settings,
    )
    profile = await storage.accounts.create_sender_account(
        "bench", 10**15, "EUR", verified=True, actor=Actor(name="bench")
    )
    account = profile.account
    return storage, account.id


def _require_accepted(results: Sequence[object]) -> None:
    refused = [result for result in results if not isinstance(result, Accepted)]
    if refused:
        raise RuntimeError(f"{len(refused)} messages refused, first: {refused[0]!r}")


async def _single(storage: SqlStorage, account_id: str, count: int) -> None:
    for number in range(count):
        (result,) = await storage.messages.accept_messages([_message(account_id, number)])
        _require_accepted([result])


async def _concurrent(storage: SqlStorage, account_id: str, count: int, workers: int) -> None:
    async def worker(offset: int) -> None:
        for number in range(offset, count, workers):
            (result,) = await storage.messages.accept_messages([_message(account_id, number)])
            _require_accepted([result])

    await asyncio.gather(*(worker(offset) for offset in range(workers)))


async def _batches(storage: SqlStorage, account_id: str, count: int, size: int) -> None:
    for start in range(0, count, size):
        batch = [_message(account_id, n) for n in range(start, min(count, start + size))]
        _require_accepted(await storage.messages.accept_messages(batch))


async def _measure(name: str, count: int, settings: SqliteSettings, shape: str) -> None:
    with tempfile.TemporaryDirectory() as directory:
        storage, account_id = await _open(Path(directory), settings)
        flushes_before = storage.writer.statistics.flushes
        started = time.perf_counter()
        if shape == "single":
            await _single(storage, account_id, count)
        elif shape == "concurrent":
            await _concurrent(storage, account_id, count, 50)
        else:
            await _batches(storage, account_id, count, 1000)
        elapsed = time.perf_counter() - started
        flushes = storage.writer.statistics.flushes - flushes_before
        totals = await storage.message_queries.account_ledger_totals(account_id)
        if totals is None or totals.entries_by_kind.get("reserve") != count:
            raise RuntimeError(f"expected {count} reserves, found {totals}")
        await storage.close()
    print(
        f"{name:<34} {count:>7} msgs {elapsed:7.2f} s {count / elapsed:>9,.0f} accepted/s"
        f"   {flushes:>6} commits ({count / max(flushes, 1):,.1f} msgs/commit)"
    )


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--messages", type=int, default=20_000)
    parser.add_argument("--synchronous", choices=("NORMAL", "FULL"), default="NORMAL")
    arguments = parser.parse_args()
    settings = SqliteSettings(synchronous=arguments.synchronous)
    count = arguments.messages
    print(f"SQLite WAL, synchronous={arguments.synchronous}")
    await _measure("1 submitter, 1 message per call", max(1, count // 10), settings, "single")
    await _measure("50 submitters, 1 message per call", count, settings, "concurrent")
    await _measure("calls of 1,000 messages", count, settings, "batches")


if __name__ == "__main__":
    try:
        import uvloop
    except ImportError:
        asyncio.run(main())
    else:
        uvloop.run(main())
