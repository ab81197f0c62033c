"""Each message id style numbers and writes ids as carriers do; a restart numbers from the
first id again; the submit log records both ids and the reported state."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable

import pytest

from parcelsms.errors import ScenarioError
from parcelsms.protocol.smpp.constants import CommandStatus
from parcelsms.protocol.smpp.pdu import Pdu
from parcelsms.simulator import (
    FIRST_MESSAGE_ID,
    CarrierSimulator,
    MessageIdStyle,
    SubmitRecord,
    decide_for,
    parse_scenario,
)
from parcelsms.testing import (
    DeliveryCollector,
    bound_client,
    started_simulator,
    submit_sm,
    wait_until,
)

COUNT = 40  # hex numbering passes 9 → a, f → 10 and 1a → 28

# style → (response id, receipt id) of the n-th id (n from 0)
EXPECTED: dict[MessageIdStyle, Callable[[int], tuple[str, str]]] = {
    MessageIdStyle.HEX_PADDED: lambda n: (f"{FIRST_MESSAGE_ID + n:08X}",) * 2,
    MessageIdStyle.HEX_PADDED_DECIMAL_RECEIPT: lambda n: (
        f"{FIRST_MESSAGE_ID + n:08X}",
        str(FIRST_MESSAGE_ID + n),
    ),
    MessageIdStyle.HEX_SEQUENTIAL: lambda n: (f"{n + 1:x}",) * 2,
    MessageIdStyle.DECIMAL_SEQUENTIAL: lambda n: (str(n + 1),) * 2,
    MessageIdStyle.HEX_RESPONSE_DECIMAL_RECEIPT: lambda n: (f"{n + 1:x}", str(n + 1)),
}


def _receipt_id(receipt: Pdu) -> str:
    """The id a receipt names, checked to be the same in the TLV and in the text."""
    in_tlv = str(receipt.tlv("receipted_message_id"))
    text = receipt.bytes_field("short_message").decode("ascii")
    assert text.startswith(f"id:{in_tlv} "), text
    return in_tlv


async def _send_one_by_one(
    style: MessageIdStyle | str, count: int, *, seed: int = 0
) -> tuple[list[str], dict[str, str], list[SubmitRecord]]:
    """Submit ``count`` messages in order; returns the response ids, receipt id by text,
    and the simulator's records."""
    scenario = parse_scenario({"seed": seed, "defaults": {"receipt_delay": 0.001}})
    collector = DeliveryCollector()
    async with (
        asyncio.timeout(15),
        started_simulator(scenario, message_id_style=style) as simulator,
        bound_client(simulator, on_deliver=collector) as client,
    ):
        responses = []
        for n in range(count):
            outcome = await client.submit(submit_sm(f"3460000{n:04d}", f"parcel {n}"))
            assert outcome.accepted, outcome
            responses.append(outcome.message_id)
        receipts = await collector.wait_for_receipts(count)
        records = list(simulator.submits)
    # The receipt's text: echoes the message, so each receipt is matched to its submit.
    by_text = {
        r.bytes_field("short_message").decode().rsplit("text:", 1)[1]: _receipt_id(r)
        for r in receipts
    }
    return responses, by_text, records


@pytest.mark.parametrize("style", list(EXPECTED))
async def test_each_style_numbers_and_writes_ids_as_its_name_says(style: MessageIdStyle) -> None:
    responses, receipt_ids, records = await _send_one_by_one(style, COUNT)

    expected = [EXPECTED[style](n) for n in range(COUNT)]
    assert responses == [response for response, _ in expected]
    assert [receipt_ids[f"parcel {n}"] for n in range(COUNT)] == [r for _, r in expected]
    assert [(r.message_id, r.receipt_message_id) for r in records] == expected
    assert {r.state for r in records} == {"DELIVRD"}


async def test_hex_sequential_ids_run_through_lower_case_letters_unpadded() -> None:
    responses, _, _ = await _send_one_by_one("hex_sequential", 27)

    assert responses[:11] == ["1", "2", "3", "4", "5", "6", "7", "8", "9", "a", "b"]
    assert responses[14:17] == ["f", "10", "11"]
    assert responses[-1] == "1b"


async def test_uuid_ids_are_version_4_the_same_in_the_receipt_and_reproducible() -> None:
    responses, receipt_ids, records = await _send_one_by_one("uuid", 20, seed=7)
    again, _, _ = await _send_one_by_one("uuid", 20, seed=7)
    other, _, _ = await _send_one_by_one("uuid", 20, seed=8)

    assert all(uuid.UUID(response).version == 4 for response in responses)
    assert [str(uuid.UUID(r)) for r in responses] == responses  # canonical lower-case form
    assert len(set(responses)) == 20
    assert [receipt_ids[f"parcel {n}"] for n in range(20)] == responses
    assert [r.receipt_message_id for r in records] == responses
    assert again == responses
    assert not set(other) & set(responses)


async def test_the_constructor_option_overrides_the_scenario_style() -> None:
    scenario = parse_scenario({"message_id_style": "decimal_sequential"})
    async with (
        asyncio.timeout(10),
        started_simulator(scenario, message_id_style=MessageIdStyle.HEX_SEQUENTIAL) as simulator,
        bound_client(simulator) as client,
    ):
        ids = [(await client.submit(submit_sm(f"346000000{n:02d}"))).message_id for n in range(11)]

    assert ids[-2:] == ["a", "b"]


async def test_receipts_come_1_to_50_ms_after_the_submit_and_after_its_response() -> None:
    scenario = parse_scenario({"defaults": {"receipt_delay": [0.001, 0.05]}})
    answered: set[str] = set()
    overtaken: list[str] = []
    collector = DeliveryCollector()

    async def on_deliver(pdu: Pdu) -> int | None:
        if str(pdu.tlv("receipted_message_id")) not in answered:
            overtaken.append(str(pdu.tlv("receipted_message_id")))
        return await collector(pdu)

    async with (
        asyncio.timeout(15),
        started_simulator(scenario, message_id_style="hex_sequential") as simulator,
        bound_client(simulator, on_deliver=on_deliver) as client,
    ):

        async def send(n: int) -> None:
            outcome = await client.submit(submit_sm(f"3460000{n:04d}"))
            answered.add(outcome.message_id)

        await asyncio.gather(*(send(n) for n in range(300)))
        await collector.wait_for_receipts(300)
        records = list(simulator.submits)

    assert overtaken == []
    delays = [decide_for(scenario, r.destination, int(r.message_id, 16)).receipt_delay
              for r in records]  # fmt: skip
    assert 0.001 <= min(delays) < 0.005
    assert 0.045 < max(delays) <= 0.05


async def test_a_restart_delivers_what_is_due_then_numbers_from_the_first_id_again() -> None:
    scenario = parse_scenario(
        {"message_id_style": "hex_sequential", "defaults": {"receipt_delay": 0.3}}
    )
    collector = DeliveryCollector()
    async with (
        asyncio.timeout(20),
        started_simulator(scenario) as simulator,
        bound_client(
            simulator, on_deliver=collector, max_throttle_retries=0, reconnect_max_delay=0.1
        ) as client,
    ):
        port = simulator.port
        before = [(await client.submit(submit_sm(f"3460000{n:04d}"))).message_id for n in range(12)]
        restarting = asyncio.create_task(simulator.restart())
        await wait_until(lambda: simulator.restarting)  # draining: the receipts are due later
        during = await client.submit(submit_sm("34600009999"))
        await restarting
        receipts_at_restart = len(collector.receipts)
        await wait_until(lambda: simulator.bind_count() == 1 and client.is_bound, 5)
        after = [(await client.submit(submit_sm(f"3460001{n:04d}"))).message_id for n in range(12)]
        await collector.wait_for_receipts(24)

    assert before == after == [f"{n:x}" for n in range(1, 13)]
    assert receipts_at_restart == 12  # every id of before the restart was receipted first
    assert not during.accepted
    assert during.command_status == CommandStatus.ESME_RTHROTTLED
    assert simulator.port == port
    assert simulator.stats.restarts == 1
    assert simulator.stats.binds == 2
    records = list(simulator.submits)
    assert [r.message_id for r in records] == [*before, "", *after]
    assert records[12].command_status == CommandStatus.ESME_RTHROTTLED
    assert [r.receipt_message_id for r in records if r.message_id] == before + after


async def test_a_restart_of_a_uuid_carrier_draws_new_ids() -> None:
    async with (
        asyncio.timeout(20),
        started_simulator(message_id_style="uuid") as simulator,
        bound_client(simulator, reconnect_max_delay=0.1) as client,
    ):
        first = (await client.submit(submit_sm("34600000001"))).message_id
        await simulator.restart()
        await wait_until(lambda: simulator.bind_count() == 1 and client.is_bound, 5)
        second = (await client.submit(submit_sm("34600000001"))).message_id

    assert uuid.UUID(first).version == uuid.UUID(second).version == 4
    assert first != second


def test_an_unknown_style_given_to_the_constructor_is_a_scenario_error() -> None:
    with pytest.raises(ScenarioError, match="hex_sequential") as raised:
        CarrierSimulator(message_id_style="octal")

    assert raised.value.key == "message_id_style"
