"""Each named behaviour does what its name says, counted over real SMPP binds.

(reject_all, no_response and malformed are exercised in test_faults.py.)
"""

from __future__ import annotations

import asyncio
from collections import Counter

from parcelsms.protocol.smpp.constants import CommandStatus, MessageState
from parcelsms.protocol.smpp.outcome import StatusClass, SubmitOutcome, SubmitOutcomeKind
from parcelsms.protocol.smpp.pdu import Pdu
from parcelsms.simulator import FIRST_MESSAGE_ID, decide_for, hex_message_id
from parcelsms.testing import (
    DeliveryCollector,
    bound_client,
    started_simulator,
    submit_sm,
    wait_until,
)


async def test_happy_accepts_everything_and_delivers_every_message_once() -> None:
    collector = DeliveryCollector()
    async with (
        asyncio.timeout(10),
        started_simulator("happy") as simulator,
        bound_client(simulator, on_deliver=collector) as client,
    ):
        outcomes = await asyncio.gather(
            *(client.submit(submit_sm(f"3460000{n:04d}")) for n in range(300))
        )
        receipts = await collector.wait_for_receipts(300)

    assert all(outcome.accepted for outcome in outcomes)
    ids = [outcome.message_id for outcome in outcomes]
    assert sorted(ids) == [hex_message_id(FIRST_MESSAGE_ID + n) for n in range(300)]
    assert sorted(str(r.tlv("receipted_message_id")) for r in receipts) == sorted(ids)
    assert {r.tlv("message_state") for r in receipts} == {MessageState.DELIVERED}
    assert simulator.stats.receipts_sent == 300
    assert simulator.stats.submits == simulator.stats.submits_accepted == 300


async def test_the_default_scenario_delivers_about_50_ms_after_the_submit() -> None:
    arrived: dict[str, float] = {}
    loop = asyncio.get_running_loop()

    async def on_deliver(pdu: Pdu) -> None:
        arrived[str(pdu.tlv("receipted_message_id"))] = loop.time()

    async with (
        asyncio.timeout(10),
        started_simulator() as simulator,
        bound_client(simulator, on_deliver=on_deliver) as client,
    ):
        sent = loop.time()
        outcome = await client.submit(submit_sm("34600000001"))
        await wait_until(lambda: outcome.message_id in arrived, 2.0)

    assert 0.045 <= arrived[outcome.message_id] - sent < 0.5


async def test_throttled_accepts_50_a_second_per_bind_and_refuses_the_rest() -> None:
    async with (
        asyncio.timeout(10),
        started_simulator("throttled") as simulator,
        bound_client(simulator, max_throttle_retries=0) as client,
    ):
        outcomes = await asyncio.gather(
            *(client.submit(submit_sm(f"3460000{n:04d}")) for n in range(120))
        )

    kinds = Counter(
        (outcome.kind, outcome.command_status, outcome.status_class) for outcome in outcomes
    )
    assert kinds == {
        (SubmitOutcomeKind.ACCEPTED, 0, StatusClass.OK): 50,
        (
            SubmitOutcomeKind.REJECTED,
            CommandStatus.ESME_RTHROTTLED,
            StatusClass.THROTTLED,
        ): 70,
    }
    assert simulator.stats.throttled == 70


async def test_slow_receipts_arrive_between_one_and_three_seconds_later() -> None:
    loop = asyncio.get_running_loop()
    sent: dict[str, float] = {}
    delays: list[float] = []

    async def on_deliver(pdu: Pdu) -> None:
        delays.append(loop.time() - sent[str(pdu.tlv("receipted_message_id"))])

    async with (
        asyncio.timeout(10),
        started_simulator("slow_receipts") as simulator,
        bound_client(simulator, on_deliver=on_deliver) as client,
    ):

        async def send(number: int) -> SubmitOutcome:
            started = loop.time()
            outcome = await client.submit(submit_sm(f"3460000{number:04d}"))
            sent[outcome.message_id] = started
            return outcome

        outcomes = await asyncio.gather(*(send(n) for n in range(20)))
        await wait_until(lambda: len(delays) == 20, 5.0)

    expected = [
        decide_for(simulator.scenario, f"3460000{n:04d}", int(o.message_id, 16)).receipt_delay
        for n, o in enumerate(outcomes)
    ]
    assert all(1.0 <= delay <= 3.0 for delay in expected)
    assert min(delays) >= 0.99
    assert max(delays) <= 3.5
    assert max(expected) - min(expected) > 0.5  # spread out, not one fixed delay


async def test_flaky_connection_drops_every_100th_submit_of_a_bind() -> None:
    unknown = 0
    accepted = 0
    async with (
        asyncio.timeout(15),
        started_simulator("flaky_connection") as simulator,
        bound_client(simulator) as client,
    ):
        number = 0
        while accepted < 250:
            assert await client.wait_bound(5.0)
            outcome = await client.submit(submit_sm(f"3460000{number:04d}"))
            number += 1
            if outcome.kind is SubmitOutcomeKind.UNKNOWN:
                unknown += 1
            elif outcome.accepted:
                accepted += 1

        # One at a time: 99 accepted and the 100th dropped, twice, then 52 more.
        assert unknown == 2
        assert simulator.stats.dropped_connections == 2
        assert client.connects == 3
        assert simulator.stats.submits_accepted == 250
