"""Property: whatever the interleaving, every receipt lands on the submission it was for.

Hypothesis draws a carrier's wire traffic on one channel — submit responses whose ids are
reused after a few messages (a small counter that wraps, as after SMSC restarts), each
receipt 4 ms before its response (written first by the SMSC) up to just before the id is
reused, some receipts duplicated — and an order in which the dispatcher gets round to
recording each submission (late, in batches). The receipt step and a real SQLite storage
process the traffic in wire order; afterwards every message must carry exactly its own
receipt's outcome. The ground truth is the generator's, not the code's.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import msgspec
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from receipt_records import receipt_record
from sender_accounts import new_account

from parcelsms.adapters.storage.sql_storage import SqlStorage, open_storage
from parcelsms.domain.receipt_correlation import MessageIdFormat, Reading
from parcelsms.domain.status import MessageStatus
from parcelsms.pipeline.message_ports import Submitted, SubmittedPart
from parcelsms.pipeline.receipts import ReceiptCorrelator
from parcelsms.pipeline.webhook_policy import StatusWebhookPolicy

from .conftest import FreshDatabase, json_payload, message

CHANNEL = "alpha"
SPACING_MS = 10  # between two submit responses on the wire
WINDOW_MS = 4  # the early window: an SMSC may write a receipt up to this before its response
OUTCOMES = (MessageStatus.DELIVERED, MessageStatus.UNDELIVERED, MessageStatus.REJECTED)


@dataclass(frozen=True)
class Traffic:
    pool: int  # ids 1..pool, then again from 1
    delays_ms: tuple[int, ...]  # receipt time relative to its response
    duplicate: tuple[bool, ...]
    outcomes: tuple[MessageStatus, ...]
    record_lag_ms: tuple[int, ...]  # how long after its response a submission is recorded


@st.composite
def traffic(draw: st.DrawFn) -> Traffic:
    count = draw(st.integers(min_value=1, max_value=40))
    pool = draw(st.integers(min_value=1, max_value=12))
    # A receipt (and its duplicate, 1 ms later) comes before the next response with the same
    # id, more than the early window before it, so that the truth is decidable by the rule.
    latest = pool * SPACING_MS - WINDOW_MS - 2
    delay = st.integers(min_value=-3, max_value=max(-3, latest))
    return Traffic(
        pool=pool,
        delays_ms=tuple(draw(st.lists(delay, min_size=count, max_size=count))),
        duplicate=tuple(draw(st.lists(st.booleans(), min_size=count, max_size=count))),
        outcomes=tuple(draw(st.lists(st.sampled_from(OUTCOMES), min_size=count, max_size=count))),
        # The writer records a submission well within the early window (milliseconds, where
        # the window is seconds in production).
        record_lag_ms=tuple(
            draw(
                st.lists(
                    st.integers(min_value=0, max_value=WINDOW_MS - 1),
                    min_size=count,
                    max_size=count,
                )
            )
        ),
    )


def _response_id(number: int, reading: Reading) -> str:
    return f"{number:x}"  # lower-case hex, unpadded, as an ordinary SMSC writes it


def _receipt_id(number: int, reading: Reading) -> str:
    return f"{number:x}" if reading is Reading.SAME else str(number)


EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


async def _play(
    storage: SqlStorage, case: Traffic, reading: Reading, wire_ms: list[int]
) -> list[str]:
    id_format = (
        MessageIdFormat.HEX
        if reading is Reading.SAME
        else MessageIdFormat.HEX_RESPONSE_DECIMAL_RECEIPT
    )
    correlator = ReceiptCorrelator(
        storage.receipts, {CHANNEL: id_format}, wire_clock=lambda: wire_ms[0] * 1_000
    )
    account = await new_account(storage, "shop", balance_micros=100_000_000)
    count = len(case.outcomes)
    results = await storage.messages.accept_messages([message(account.id) for _ in range(count)])
    message_ids = [str(getattr(result, "message_id")) for result in results]  # noqa: B009
    await storage.messages.claim_for_dispatch(
        "worker", count, datetime.now(UTC) + timedelta(days=1)
    )

    # Wire events and recordings in time order: (time_ms, order, kind, index).
    events: list[tuple[int, int, str, int]] = []
    recorded_at: dict[int, int] = {}
    for index in range(count):
        at = index * SPACING_MS
        number = index % case.pool + 1
        events.append((at, 1, "response", index))
        events.append((at + case.delays_ms[index], 0, "receipt", index))
        if case.duplicate[index]:
            events.append((at + max(case.delays_ms[index], 0) + 1, 2, "receipt", index))
        # One id's submissions are recorded in the order they were made.
        record_at = max(at + case.record_lag_ms[index], recorded_at.get(number, 0))
        recorded_at[number] = record_at
        events.append((record_at, 3, "record", index))
    events.sort()

    responded: dict[int, int] = {}
    for at_ms, _, kind, index in events:
        wire_ms[0] = at_ms + 1_000  # keep wire times positive
        number = index % case.pool + 1
        if kind == "response":
            responded[index] = correlator.responded(CHANNEL, _response_id(number, reading))
        elif kind == "record":
            part = SubmittedPart(
                part_no=1,
                carrier_id_raw=_response_id(number, reading),
                responded_at_us=responded[index],
            )
            await storage.messages.record_submissions(
                [Submitted(message_id=message_ids[index], channel=CHANNEL, parts=(part,))]
            )
        else:
            record = receipt_record(
                _receipt_id(number, reading), case.outcomes[index], datetime.now(UTC), reading=None
            )
            stamped = msgspec.structs.replace(record, received_at_us=correlator.wire_time())
            await correlator.received(stamped)
    # The early window closes: everything still pending is decided.
    wire_ms[0] += 1_000
    await storage.receipts.sweep_pending_receipts(
        EPOCH + timedelta(milliseconds=wire_ms[0]), timedelta(1)
    )
    statuses = []
    for message_id in message_ids:
        detail = await storage.message_queries.get_message(account.id, message_id)
        assert detail is not None
        statuses.append(str(detail.message.status))
    return statuses


@pytest.mark.timeout(300)  # 80 histories: about 70 s on the 2-core machine beside a second worker
@settings(
    max_examples=80,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(case=traffic(), reading=st.sampled_from([Reading.SAME, Reading.HEX_TO_DECIMAL]))
def test_each_receipt_is_applied_to_the_submission_it_was_for(
    case: Traffic, reading: Reading, fresh_database: FreshDatabase
) -> None:
    async def run() -> list[str]:
        # The storage's clock is the wire clock: the early window is measured on it.
        wire_ms = [0]
        with fresh_database() as url:
            storage = await open_storage(
                url,
                webhook_policy=StatusWebhookPolicy(json_payload),
                pepper=b"pepper",
                receipt_early_window=timedelta(milliseconds=WINDOW_MS),
                clock=lambda: EPOCH + timedelta(milliseconds=wire_ms[0]),
            )
            try:
                return await _play(storage, case, reading, wire_ms)
            finally:
                await storage.close()

    statuses = asyncio.run(run())
    assert statuses == [str(outcome) for outcome in case.outcomes], (case, reading)
