"""Fault tests over real TCP: our SMPP client against the simulated carrier."""

from __future__ import annotations

import asyncio
from collections import Counter

import pytest

from parcelsms.protocol.smpp.client import SmppClient, SmppClientConfig
from parcelsms.protocol.smpp.codec import PduReader
from parcelsms.protocol.smpp.constants import CommandId, CommandStatus
from parcelsms.protocol.smpp.outcome import StatusClass, SubmitOutcome, SubmitOutcomeKind
from parcelsms.protocol.smpp.pdu import Pdu, encode
from parcelsms.protocol.smpp.session_events import SmppTimeouts
from parcelsms.simulator import parse_scenario
from parcelsms.testing import (
    DeliveryCollector,
    bound_client,
    started_simulator,
    submit_sm,
    wait_until,
)

# Every test is also bounded by asyncio.timeout inside: nothing may hang.
pytestmark = pytest.mark.timeout(60)


async def test_dropped_connection_leaves_in_flight_submits_unknown_then_client_recovers() -> None:
    scenario = parse_scenario({"defaults": {"drop_connection_every": 60}})
    async with (
        asyncio.timeout(15),
        started_simulator(scenario) as simulator,
        bound_client(simulator, window=20) as client,
    ):
        # 100 concurrent submits through a window of 20: the 60th kills the connection
        # while up to 19 others are in flight.
        outcomes = await asyncio.gather(
            *(client.submit(submit_sm(f"3460000{n:04d}")) for n in range(100))
        )
        kinds = Counter(outcome.kind for outcome in outcomes)

        assert simulator.stats.dropped_connections == 1
        assert kinds[SubmitOutcomeKind.UNKNOWN] >= 1  # the 60th at least
        assert kinds[SubmitOutcomeKind.ACCEPTED] >= 59
        assert set(kinds) <= {
            SubmitOutcomeKind.ACCEPTED,
            SubmitOutcomeKind.UNKNOWN,
            SubmitOutcomeKind.NOT_SENT,  # tried while the client was reconnecting
        }
        answered = {r.message_id for r in simulator.submits if r.command_status == 0}
        accepted = {o.message_id for o in outcomes if o.accepted}
        assert accepted == answered  # every accepted id is one the carrier gave

        assert await client.wait_bound(5.0)
        later = [await client.submit(submit_sm("34600009999")) for _ in range(10)]
        assert all(outcome.accepted for outcome in later)
        assert client.connects == 2


async def test_throttling_carrier_slows_the_client_and_every_message_gets_through() -> None:
    scenario = parse_scenario({"defaults": {"throttle_tps": 200}})
    loop = asyncio.get_running_loop()
    accepted_at: list[float] = []
    outcomes: list[SubmitOutcome] = []
    numbers = iter(range(1500))

    async with (
        asyncio.timeout(30),
        started_simulator(scenario) as simulator,
        bound_client(simulator, tps=1000, window=50, max_throttle_retries=1000) as client,
    ):

        async def sender() -> None:
            # A dispatcher's way of sending: a fixed number of senders (here, one per
            # window slot), each taking the next message when its last one is settled.
            for number in numbers:
                outcome = await client.submit(submit_sm(f"3460000{number:04d}"))
                accepted_at.append(loop.time())
                outcomes.append(outcome)

        started = loop.time()
        await asyncio.gather(*(sender() for _ in range(50)))

    assert len(outcomes) == 1500
    assert all(outcome.accepted for outcome in outcomes)
    rate = len(outcomes) / (max(accepted_at) - started)
    # Above the limit means the throttle leaks. Far below it means the client waits too
    # long after a throttle; the bound is loose because the suite's other workers share
    # the machine's cores (122/s was seen once under scripts/check on 2 cores, 2026-12-07).
    assert 100 <= rate <= 270, f"accepted {rate:.0f}/s against a limit of 200/s"
    assert simulator.stats.throttled > 0
    assert simulator.stats.submits_accepted == 1500
    assert client.limiter.throttle_events > 0


async def test_a_receipt_sent_before_its_submit_response_is_still_handed_over() -> None:
    scenario = parse_scenario({"defaults": {"receipt_before_response_rate": 1.0}})
    events: list[tuple[str, str]] = []

    async def on_deliver(pdu: Pdu) -> None:
        events.append(("receipt", str(pdu.tlv("receipted_message_id"))))

    async with (
        asyncio.timeout(10),
        started_simulator(scenario) as simulator,
        bound_client(simulator, on_deliver=on_deliver) as client,
    ):

        async def send(number: int) -> SubmitOutcome:
            outcome = await client.submit(submit_sm(f"3460000{number:04d}"))
            events.append(("response", outcome.message_id))
            return outcome

        outcomes = await asyncio.gather(*(send(n) for n in range(50)))
        await wait_until(lambda: simulator.stats.receipts_acked == 50, 5)

    ids = {outcome.message_id for outcome in outcomes if outcome.accepted}
    assert len(ids) == 50
    assert {message_id for kind, message_id in events if kind == "receipt"} == ids
    for message_id in ids:  # the client saw each receipt before its response
        assert events.index(("receipt", message_id)) < events.index(("response", message_id))


async def test_on_the_wire_the_receipt_precedes_the_submit_response() -> None:
    """Read the raw byte stream, so no client logic can reorder what arrived."""
    scenario = parse_scenario({"defaults": {"receipt_before_response_rate": 1.0}})
    bind = Pdu(CommandId.BIND_TRANSCEIVER, 1, fields={"system_id": "raw", "password": "x",
                                                      "interface_version": 0x34})  # fmt: skip
    submit = submit_sm("34600000001")
    submit.sequence_number = 2
    async with asyncio.timeout(10), started_simulator(scenario) as simulator:
        reader, writer = await asyncio.open_connection(simulator.host, simulator.port)
        pdus = PduReader()
        seen: list[Pdu] = []
        writer.write(encode(bind))
        while len(seen) < 3:
            if len(seen) == 1:  # bound: now submit
                writer.write(encode(submit))
            data = await reader.read(65536)
            assert data, "the simulator closed the connection"
            pdus.feed(data)
            seen += pdus.read_all()
        writer.close()
        await writer.wait_closed()

    assert [pdu.command_id for pdu in seen] == [
        CommandId.BIND_TRANSCEIVER_RESP,
        CommandId.DELIVER_SM,
        CommandId.SUBMIT_SM_RESP,
    ]
    assert seen[2].sequence_number == 2
    assert seen[1].tlv("receipted_message_id") == seen[2].str_field("message_id")


async def test_an_unanswered_submit_resolves_unknown_after_the_response_timeout() -> None:
    loop = asyncio.get_running_loop()
    async with (
        asyncio.timeout(10),
        started_simulator("no_response") as simulator,
        bound_client(simulator, timeouts=SmppTimeouts(response=0.5)) as client,
    ):
        started = loop.time()
        outcome = await client.submit(submit_sm("34600000001"))
        elapsed = loop.time() - started

        assert outcome.kind is SubmitOutcomeKind.UNKNOWN
        assert 0.5 <= elapsed < 2.0
        assert simulator.stats.unanswered == 1
        assert client.is_bound  # a missing answer is not a reason to drop the bind


async def test_a_carrier_refusal_is_rejected_with_its_status_and_class() -> None:
    async with (
        asyncio.timeout(10),
        started_simulator("reject_all") as simulator,
        bound_client(simulator) as client,
    ):
        outcomes = [await client.submit(submit_sm(f"3460000{n:04d}")) for n in range(20)]

    assert {outcome.kind for outcome in outcomes} == {SubmitOutcomeKind.REJECTED}
    assert {outcome.command_status for outcome in outcomes} == {CommandStatus.ESME_RSUBMITFAIL}
    assert {outcome.status_class for outcome in outcomes} == {StatusClass.TEMPORARY}
    assert simulator.stats.submit_errors_injected == 20
    assert simulator.stats.receipts_sent == 0


async def test_bind_with_a_wrong_password_is_refused_and_never_bound() -> None:
    scenario = parse_scenario({"accounts": [{"system_id": "alice", "password": "right"}]})
    async with asyncio.timeout(10), started_simulator(scenario) as simulator:
        client = SmppClient(
            SmppClientConfig(simulator.host, simulator.port, "alice", "wrong",
                             reconnect_initial_delay=0.05, reconnect_max_delay=0.1)
        )  # fmt: skip
        await client.start()
        try:
            await wait_until(lambda: simulator.stats.binds_rejected >= 2, 5)
            assert not client.is_bound
            assert "BindRejectedError" in client.last_error
            assert "ESME_RINVPASWD" in client.last_error
            outcome = await client.submit(submit_sm("34600000001"))
            assert outcome.kind is SubmitOutcomeKind.NOT_SENT
        finally:
            await client.close()
        assert simulator.stats.binds == 0


async def test_an_unknown_system_id_is_refused() -> None:
    scenario = parse_scenario({"accounts": [{"system_id": "alice", "password": "right"}]})
    async with asyncio.timeout(10), started_simulator(scenario) as simulator:
        client = SmppClient(SmppClientConfig(simulator.host, simulator.port, "mallory", "right"))
        await client.start()
        try:
            await wait_until(lambda: simulator.stats.binds_rejected >= 1, 5)
            assert "ESME_RINVSYSID" in client.last_error
            assert not client.is_bound
        finally:
            await client.close()


async def test_max_binds_is_enforced_per_account_and_a_freed_slot_can_be_taken() -> None:
    scenario = parse_scenario(
        {"accounts": [{"system_id": "alice", "password": "right", "max_binds": 1}]}
    )
    async with asyncio.timeout(10), started_simulator(scenario) as simulator:
        async with bound_client(simulator, system_id="alice", password="right"):
            second = SmppClient(
                SmppClientConfig(simulator.host, simulator.port, "alice", "right",
                                 reconnect_initial_delay=0.05, reconnect_max_delay=0.1)
            )  # fmt: skip
            await second.start()
            try:
                await wait_until(lambda: simulator.stats.binds_rejected >= 1, 5)
                assert "ESME_RBINDFAIL" in second.last_error
                assert not second.is_bound
                assert simulator.bind_count("alice") == 1
            except BaseException:
                await second.close()
                raise
        try:
            # The first bind is gone: the second client's next attempt gets the slot.
            assert await second.wait_bound(5.0)
            assert simulator.bind_count("alice") == 1
        finally:
            await second.close()


async def test_malformed_deliveries_are_refused_by_the_client_without_losing_the_bind() -> None:
    collector = DeliveryCollector()
    async with (
        asyncio.timeout(10),
        started_simulator("malformed") as simulator,
        bound_client(simulator, on_deliver=collector) as client,
    ):
        outcomes = [await client.submit(submit_sm(f"3460000{n:04d}")) for n in range(100)]
        await collector.wait_for_receipts(100)
        await wait_until(lambda: simulator.pending_deliveries == 0, 5)

        assert all(outcome.accepted for outcome in outcomes)
        assert 10 <= simulator.stats.malformed_sent <= 45  # a quarter of 100, give or take
        assert simulator.stats.receipts_acked == 100
        assert client.connects == 1
        assert len(collector.receipts) == 100  # the garbage never reached the handler
