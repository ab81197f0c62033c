"""Benchmark: a message's whole storage life, without network, on a SQLite file.

    python bench/storage_cycle.py [--messages 20000] [--round 1000] [--profile FILE]

Every message goes through what ``parcelsms serve`` asks of storage, in the shapes the
platform uses: accepted in calls of 500 (the batch API), claimed in batches of 500, its
submission recorded (one call per message, all concurrent, as the dispatcher's tasks
finish), its receipt applied (one call per receipt, as the SMPP channel receives them),
and its two webhooks (``submitted`` and the final status) claimed 200 at a time and
reported delivered. Messages go round by round (``--round`` messages each) and the time of
each stage is summed; messages/s is for the whole cycle. The process's CPU time per message
is printed too: steadier than wall time on a shared machine. After a warm-up round the heap
is set aside from the garbage collector as every ``serve`` process does (``settle_the_heap``;
without it collections took a seventh of the CPU). ``--profile FILE`` writes a
cProfile of the run (the writer thread included, through ``threading.setprofile``).
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import tempfile
import time
from collections import defaultdict
from datetime import UTC, datetime, timedelta
from pathlib import Path

from parcelsms.adapters.storage.sql_storage import SqlStorage, open_storage
from parcelsms.cli.serve_roles import settle_the_heap
from parcelsms.domain.receipt_correlation import Reading, micros, receipt_key
from parcelsms.domain.status import MessageStatus
from parcelsms.pipeline.account_security_ports import Actor
from parcelsms.pipeline.message_ports import Accepted, NewMessage, Submitted, SubmittedPart
from parcelsms.pipeline.receipt_ports import ReceiptRecord
from parcelsms.pipeline.webhook_payload import build_webhook_payload
from parcelsms.pipeline.webhook_policy import StatusWebhookPolicy
from parcelsms.pipeline.webhook_ports import WebhookResult

BODY = "Acme: your parcel 1Z999AA1 has shipped with DHL. Expected delivery: 2 Dec."


def new_message(account_id: str, number: int) -> NewMessage:
    return NewMessage(
        account_id=account_id,
        to_e164=f"+4479{number % 100_000_000:08d}",
        country="GB",
        template_id=None,
        language="en",
        body=BODY,
        encoding="GSM7",
        segments=1,
        price_micros=42_500,
        currency="EUR",
        sender_id="ParcelCo",
        client_ref=None,
        callback_url=None,
        route_plan=("bench-carrier",),
        valid_until=datetime.now(UTC) + timedelta(days=2),
    )


class Cycle:
    def __init__(self, storage: SqlStorage, account_id: str) -> None:
        self.storage = storage
        self.account_id = account_id
        self.stage_seconds: dict[str, float] = defaultdict(float)
        self.next_number = 0
        self.webhooks = 0

    async def stage(self, name: str, work: object) -> object:
        started = time.perf_counter()
        result = await work  # type: ignore[misc]
        self.stage_seconds[name] += time.perf_counter() - started
        return result

    async def round(self, size: int) -> None:
        storage = self.storage
        first = self.next_number
        self.next_number += size
        calls = [
            storage.messages.accept_messages(
                [
                    new_message(self.account_id, n)
                    for n in range(start, min(start + 500, first + size))
                ]
            )
            for start in range(first, first + size, 500)
        ]
        accepted = await self.stage("accept", asyncio.gather(*calls))
        assert all(isinstance(r, Accepted) for results in accepted for r in results)  # type: ignore[attr-defined]

        claimed = []
        while len(claimed) < size:
            items = await self.stage(
                "claim", storage.messages.claim_for_dispatch("clm_bench", 500, datetime.now(UTC))
            )
            assert items
            claimed.extend(items)  # type: ignore[arg-type]

        carrier_ids = {item.message_id: f"{first + index:x}" for index, item in enumerate(claimed)}
        outcomes = [
            Submitted(
                message_id=message_id,
                channel="bench-carrier",
                parts=(SubmittedPart(part_no=1, carrier_id_raw=cid),),
            )
            for message_id, cid in carrier_ids.items()
        ]
        await self.stage(
            "submit", asyncio.gather(*(storage.messages.record_submissions([o]) for o in outcomes))
        )

        now = datetime.now(UTC)
        receipts = [
            ReceiptRecord(
                channel="bench-carrier",
                carrier_id=cid,
                state=MessageStatus.DELIVERED,
                stat="DELIVRD",
                err="000",
                raw=f"id:{cid} sub:001 dlvrd:001 stat:DELIVRD err:000 text:",
                received_at=now,
                received_at_us=micros(now),
                match=receipt_key(cid, Reading.SAME),
            )
            for cid in carrier_ids.values()
        ]
        await self.stage(
            "receipts", asyncio.gather(*(storage.receipts.apply_receipts([r]) for r in receipts))
        )

        while True:
            rows = await self.stage(
                "webhook claim",
                storage.webhook_outbox.claim_due_webhooks(200, datetime.now(UTC), 60.0),
            )
            if not rows:
                break
            self.webhooks += len(rows)  # type: ignore[arg-type]
            results = [WebhookResult(id=row.id, ok=True, status=204, latency_ms=3) for row in rows]  # type: ignore[attr-defined]
            await self.stage(
                "webhook results", storage.webhook_outbox.record_webhook_results(results)
            )


async def run(count: int, size: int, profile: Path | None) -> None:
    with tempfile.TemporaryDirectory() as directory:
        storage = await open_storage(
            f"sqlite+aiosqlite:///{Path(directory) / 'bench.db'}",
            webhook_policy=StatusWebhookPolicy(build_webhook_payload),
            pepper=b"bench",
        )
        created = await storage.accounts.create_sender_account(
            "bench", 10**15, "EUR", verified=True, actor=Actor(name="bench")
        )
        account = created.account
        await storage.webhook_endpoints.set_webhook_endpoint(
            account.id, "http://127.0.0.1:9/hook", "whsec_" + "A" * 32
        )
        cycle = Cycle(storage, account.id)
        await cycle.round(size)  # warm-up: compiled statements, caches
        settle_the_heap()  # as every serve process does once it has started
        cycle.stage_seconds.clear()
        cycle.webhooks = 0
        profiler = cProfile.Profile() if profile else None
        if profiler is not None:
            import threading

            threading.setprofile(lambda *_: profiler.enable())  # type: ignore[func-returns-value]
            profiler.enable()
        flushes = storage.writer.statistics.flushes
        cpu_started = time.process_time()
        started = time.perf_counter()
        for _ in range(count // size):
            await cycle.round(size)
        elapsed = time.perf_counter() - started
        cpu = time.process_time() - cpu_started
        flushes = storage.writer.statistics.flushes - flushes
        if profiler is not None and profile is not None:
            profiler.disable()
            profiler.dump_stats(profile)
        messages = count // size * size
        totals = await storage.message_queries.account_ledger_totals(account.id)
        assert totals is not None
        assert totals.balance_micros == totals.ledger_amount_micros
        await storage.close()
    print(
        f"{messages} messages in {elapsed:.2f} s: {messages / elapsed:,.0f} messages/s (full cycle)"
    )
    print(
        f"CPU (both threads) {cpu:.2f} s: {cpu * 1e6 / messages:.0f} µs per message;"
        f" webhooks: {cycle.webhooks}, commits: {flushes}"
    )
    for name, seconds in cycle.stage_seconds.items():
        print(f"  {name:<16} {seconds:6.2f} s  {messages / seconds:>9,.0f} messages/s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--messages", type=int, default=20_000)
    parser.add_argument("--round", type=int, default=1000)
    parser.add_argument("--profile", type=Path, default=None)
    arguments = parser.parse_args()
    coroutine = run(arguments.messages, arguments.round, arguments.profile)
    try:
        import uvloop
    except ImportError:
        asyncio.run(coroutine)
    else:
        uvloop.run(coroutine)


if __name__ == "__main__":
    main()
