"""Billing stays exact under random traffic: every micro-unit is in the ledger, exactly once.

Random sequences of accepts (with reused idempotency keys and too-small balances), claims,
submission outcomes, receipts (early, late, duplicated, unknown), crash recoveries, expiries
and top-ups — several at once, so operations share group commits — then the invariants are
checked with plain SQL on the database file.
"""

from __future__ import annotations

import asyncio
import random
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from database_peek import peek
from sender_accounts import new_account, top_up

from parcelsms.adapters.storage.sql_storage import SqlStorage
from parcelsms.domain.receipt_correlation import Reading, micros, receipt_key
from parcelsms.domain.status import MessageStatus
from parcelsms.pipeline.message_ports import (
    DispatchItem,
    ErrorDetail,
    Failed,
    Retry,
    SubmissionOutcome,
    Submitted,
    SubmittedPart,
)
from parcelsms.pipeline.receipt_ports import ReceiptRecord

FINAL = ("delivered", "undelivered", "expired", "rejected", "failed", "canceled")
RECEIPT_STATES = (
    MessageStatus.DELIVERED,
    MessageStatus.DELIVERED,
    MessageStatus.DELIVERED,
    MessageStatus.UNDELIVERED,
    MessageStatus.EXPIRED,
    MessageStatus.REJECTED,
    None,
)


class Traffic:
    """One random run against one storage."""

    def __init__(self, storage: SqlStorage, rng: random.Random, clock: Any, make_message: Any):
        self.storage = storage
        self.rng = rng
        self.clock = clock
        self.make_message = make_message
        self.accounts: list[str] = []
        self.claimed: list[DispatchItem] = []
        self.token = "worker-0"
        self.generation = 0
        self.next_carrier = 0
        self.carrier_ids: list[str] = []

    async def setup(self) -> None:
        for number, balance in enumerate((300_000, 2_000_000, 50_000_000)):
            account = await new_account(self.storage, f"a{number}", balance_micros=balance)
            self.accounts.append(account.id)
        await self.storage.webhook_endpoints.set_webhook_endpoint(
            self.accounts[1], "https://h.example", "whsec"
        )

    async def accept(self) -> None:
        items = []
        for _ in range(self.rng.randint(1, 20)):
            keyed = self.rng.random() < 0.3
            items.append(
                self.make_message(
                    self.rng.choice(self.accounts),
                    price_micros=self.rng.choice((10_000, 42_500, 85_000)),
                    idempotency_key=f"k{self.rng.randint(0, 15)}" if keyed else None,
                    request_hash=self.rng.choice(("h1", "h2")) if keyed else None,
                    valid_until=self.clock() + timedelta(minutes=self.rng.randint(1, 30)),
                )
            )
        await self.storage.messages.accept_messages(items)

    async def claim(self) -> None:
        self.claimed += await self.storage.messages.claim_for_dispatch(
            self.token, self.rng.randint(1, 30), self.clock()
        )

    async def report(self) -> None:
        self.rng.shuffle(self.claimed)
        batch, self.claimed = self.claimed[:15], self.claimed[15:]
        outcomes: list[SubmissionOutcome] = []
        for item in batch:
            roll = self.rng.random()
            if roll < 0.75:
                parts = []
                for number in range(1, self.rng.randint(1, 3) + 1):
                    carrier_id = f"c{self.next_carrier}"
                    self.next_carrier += 1
                    self.carrier_ids.append(carrier_id)
                    parts.append(SubmittedPart(part_no=number, carrier_id_raw=carrier_id))
                outcomes.append(
                    Submitted(message_id=item.message_id, channel="alpha", parts=tuple(parts))
                )
            elif roll < 0.9:
                outcomes.append(
                    Retry(
                        message_id=item.message_id,
                        next_route_index=item.route_index + 1,
                        next_attempt_at=self.clock() + timedelta(seconds=self.rng.randint(0, 5)),
                        error=ErrorDetail(detail="throttled"),
                    )
                )
            else:
                outcomes.append(Failed(message_id=item.message_id, error=ErrorDetail(detail="no")))
        if outcomes:
            await self.storage.messages.record_submissions(outcomes)

    async def receipts(self) -> None:
        receipts = []
        for _ in range(self.rng.randint(1, 25)):
            roll = self.rng.random()
            if roll < 0.15 or not self.carrier_ids:
                # early (for an id not assigned yet) or never matching
                carrier_id = f"c{self.next_carrier + self.rng.randint(0, 6)}"
            else:
                carrier_id = self.rng.choice(self.carrier_ids)
            state = self.rng.choice(RECEIPT_STATES)
            receipts.append(
                ReceiptRecord(
                    channel="alpha",
                    carrier_id=carrier_id.upper(),  # another writing of the same id
                    state=state,
                    stat="X",
                    err="0",
                    raw="",
                    received_at=self.clock(),
                    received_at_us=micros(self.clock()),
                    match=receipt_key(carrier_id.upper(), Reading.SAME),
                )
            )
        await self.storage.receipts.apply_receipts(receipts)

    async def crash(self) -> None:
        self.generation += 1
        self.token = f"worker-{self.generation}"
        self.claimed = []
        await self.storage.messages.recover_claims(
            self.token, self.rng.choice(("resend", "assume_submitted"))
        )

    async def expire(self) -> None:
        await self.storage.messages.expire_overdue(self.clock(), timedelta(minutes=2))

    async def top_up(self) -> None:
        await top_up(self.storage, self.rng.choice(self.accounts), 100_000, "random")

    async def step(self) -> None:
        actions = [
            self.accept,
            self.accept,
            self.claim,
            self.report,
            self.report,
            self.receipts,
            self.receipts,
            self.expire,
            self.top_up,
        ]
        if self.rng.random() < 0.08:
            actions.append(self.crash)
        chosen = self.rng.sample(actions, self.rng.randint(1, 3))
        await asyncio.gather(*(action() for action in chosen))
        self.clock.advance(self.rng.randint(1, 90))


def check_invariants(path: str | Path, refund_on_reject: bool) -> dict[str, int]:
    with peek(path) as db:
        for account_id, balance, reserved in db.execute(
            "SELECT id, balance_micros, reserved_micros FROM accounts"
        ):
            amount, delta = db.execute(
                "SELECT coalesce(sum(amount_micros), 0), coalesce(sum(reserved_delta_micros), 0) "
                "FROM ledger WHERE account_id = ?",
                (account_id,),
            ).fetchone()
            assert (balance, reserved) == (amount, delta), account_id
            assert balance >= 0
            (open_reserves,) = db.execute(
                "SELECT coalesce(sum(price_micros), 0) FROM messages "
                "WHERE account_id = ? AND billing = 'reserved'",
                (account_id,),
            ).fetchone()
            assert reserved == open_reserves, account_id

        rows = db.execute(
            "SELECT m.id, m.status, m.billing, m.price_micros, "
            " count(*) FILTER (WHERE l.kind = 'reserve'),"
            " count(*) FILTER (WHERE l.kind = 'settle'),"
            " count(*) FILTER (WHERE l.kind = 'refund') "
            "FROM messages m JOIN ledger l ON l.message_id = m.id GROUP BY m.id"
        ).fetchall()
        (message_count,) = db.execute("SELECT count(*) FROM messages").fetchone()
        assert len(rows) == message_count  # every message has ledger rows
        statuses: dict[str, int] = {}
        for _, status, billing, _, reserves, settles, refunds in rows:
            statuses[status] = statuses.get(status, 0) + 1
            assert reserves == 1
            assert settles + refunds <= 1
            assert (
                billing
                == {(0, 0): "reserved", (1, 0): "settled", (0, 1): "refunded"}[(settles, refunds)]
            )
            if status == "queued":
                assert billing == "reserved"
            if status in FINAL:
                assert billing != "reserved"
            if status == "failed":
                assert billing == "refunded"
            if status == "submitted":
                assert billing == ("reserved" if refund_on_reject else "settled")
            if status == "rejected":
                assert billing == ("refunded" if refund_on_reject else "settled")
            if status in ("delivered", "undelivered", "expired"):
                assert billing == "settled"

        # a message reaches a final status at most once
        doubled = db.execute(
            "SELECT message_id FROM message_events WHERE status IN "
            "('delivered','undelivered','expired','rejected','failed','canceled') "
            "GROUP BY message_id HAVING count(*) > 1"
        ).fetchall()
        assert doubled == []
        # one webhook per status change, for the account with an endpoint
        (hooks,) = db.execute("SELECT count(*) FROM webhook_outbox").fetchone()
        (changes,) = db.execute(
            "SELECT count(*) FROM message_events e JOIN messages m ON m.id = e.message_id "
            "JOIN webhook_endpoints w ON w.account_id = m.account_id "
            "WHERE e.status NOT IN ('queued')"
        ).fetchone()
        assert hooks == changes
    return statuses


@pytest.mark.parametrize("refund_on_reject", [False, True])
@pytest.mark.parametrize("seed", [1, 2, 3])
async def test_ledger_and_balances_agree_after_random_traffic(
    open_test_storage: Any,
    clock: Any,
    make_message: Any,
    database_url: str,
    seed: int,
    refund_on_reject: bool,
) -> None:
    storage = await open_test_storage(refund_on_reject=refund_on_reject)
    traffic = Traffic(storage, random.Random(seed), clock, make_message)
    await traffic.setup()
    for _ in range(60):
        await traffic.step()
    statuses = check_invariants(database_url, refund_on_reject)
    # the run must have exercised the interesting paths, or it proves little
    assert statuses.get("delivered", 0) > 0
    assert sum(statuses.get(status, 0) for status in FINAL) > 10
