"""Receipts and MO replies: what the simulated carrier sends, where, and how often."""

from __future__ import annotations

import asyncio

from parcelsms.protocol.smpp.constants import (
    BindType,
    CommandId,
    CommandStatus,
    DataCoding,
    EsmClass,
    MessageState,
)
from parcelsms.protocol.smpp.message_id import decimal_value, hex_value
from parcelsms.protocol.smpp.pdu import Pdu
from parcelsms.protocol.text.ucs2 import encode_ucs2
from parcelsms.simulator import Concatenation, parse_scenario
from parcelsms.testing import (
    DeliveryCollector,
    bound_client,
    started_simulator,
    submit_sm,
    wait_until,
)

QUESTION = "¿Dónde está mi paquete? 你好"


async def test_mo_replies_come_from_the_recipient_after_delivery_including_ucs2() -> None:
    scenario = parse_scenario(
        {
            "defaults": {
                "mo_replies": [
                    {"text": "STOP", "rate": 1.0, "after": 0.05},
                    {"text": QUESTION, "rate": 1.0, "after": 0.1},
                ]
            },
            "rules": [{"prefix": "44", "outcomes": {"UNDELIV": 1}}],
        }
    )
    collector = DeliveryCollector()
    async with (
        asyncio.timeout(10),
        started_simulator(scenario) as simulator,
        bound_client(simulator, on_deliver=collector) as client,
    ):
        for destination in ("34600000001", "34600000002", "447700900001"):
            assert (await client.submit(submit_sm(destination, source="PARCELSHOP"))).accepted
        messages = await collector.wait_for_messages(4)
        await collector.wait_for_receipts(3)

    # Two replies for each delivered message; none for the undeliverable one.
    assert sorted(m.str_field("source_addr") for m in messages) == [
        "34600000001", "34600000001", "34600000002", "34600000002"
    ]  # fmt: skip
    assert {m.str_field("destination_addr") for m in messages} == {"PARCELSHOP"}
    stops = [m for m in messages if m.int_field("data_coding") == DataCoding.SMSC_DEFAULT]
    questions = [m for m in messages if m.int_field("data_coding") == DataCoding.UCS2]
    assert [m.bytes_field("short_message") for m in stops] == [b"STOP", b"STOP"]
    assert [m.bytes_field("short_message").decode("utf-16-be") for m in questions] == [
        QUESTION,
        QUESTION,
    ]
    assert all(m.int_field("esm_class") & EsmClass.DELIVERY_RECEIPT == 0 for m in messages)
    assert simulator.stats.mo_sent == 4


async def test_send_mo_delivers_a_message_to_a_receiver_of_the_account() -> None:
    collector = DeliveryCollector()
    async with (
        asyncio.timeout(10),
        started_simulator() as simulator,
        bound_client(simulator, system_id="shop", on_deliver=collector),
    ):
        simulator.send_mo("shop", "8613800000000", "PARCELSHOP", "你好，我的包裹在哪里？")
        [message] = await collector.wait_for_messages(1)
        await wait_until(lambda: simulator.stats.mo_acked == 1)

    assert message.bytes_field("short_message") == encode_ucs2("你好，我的包裹在哪里？")
    assert message.str_field("source_addr") == "8613800000000"


async def test_receipts_of_a_transmitter_go_to_a_receiver_of_the_same_account() -> None:
    receiver = DeliveryCollector()
    async with (
        asyncio.timeout(10),
        started_simulator() as simulator,
        bound_client(simulator, system_id="shop", bind_type=BindType.RECEIVER, on_deliver=receiver),
        bound_client(simulator, system_id="shop", bind_type=BindType.TRANSMITTER) as transmitter,
        bound_client(simulator, system_id="other", on_deliver=DeliveryCollector()),
    ):
        outcomes = [await transmitter.submit(submit_sm(f"3460000000{n}")) for n in range(5)]
        receipts = await receiver.wait_for_receipts(5)

    assert {str(r.tlv("receipted_message_id")) for r in receipts} == {
        o.message_id for o in outcomes
    }


async def test_receipts_wait_for_a_receiver_to_bind_when_none_is_bound() -> None:
    receiver = DeliveryCollector()
    async with asyncio.timeout(10), started_simulator() as simulator:
        async with bound_client(
            simulator, system_id="shop", bind_type=BindType.TRANSMITTER
        ) as transmitter:
            outcomes = [await transmitter.submit(submit_sm(f"3460000000{n}")) for n in range(3)]
            await wait_until(lambda: simulator.held_deliveries == 3)
            assert simulator.stats.receipts_sent == 0
        async with bound_client(
            simulator, system_id="shop", bind_type=BindType.RECEIVER, on_deliver=receiver
        ):
            receipts = await receiver.wait_for_receipts(3)

    assert {str(r.tlv("receipted_message_id")) for r in receipts} == {
        o.message_id for o in outcomes
    }


async def test_a_receipt_whose_bind_is_gone_is_sent_on_another_bind_of_the_account() -> None:
    scenario = parse_scenario({"defaults": {"receipt_delay": 0.3}})
    first = DeliveryCollector()
    second = DeliveryCollector()
    async with (
        asyncio.timeout(10),
        started_simulator(scenario) as simulator,
        bound_client(simulator, system_id="shop", on_deliver=second),
    ):
        async with bound_client(simulator, system_id="shop", on_deliver=first) as client:
            outcome = await client.submit(submit_sm("34600000001"))
        [receipt] = await second.wait_for_receipts(1)

    assert first.receipts == []
    assert receipt.tlv("receipted_message_id") == outcome.message_id


async def test_a_receipt_refused_with_a_temporary_error_is_delivered_again_later() -> None:
    answers = [CommandStatus.ESME_RX_T_APPN]  # the first receipt is refused, then none

    def answer(pdu: Pdu) -> int | None:
        return answers.pop() if answers else None

    collector = DeliveryCollector(answer)
    async with (
        asyncio.timeout(10),
        started_simulator() as simulator,
        bound_client(simulator, on_deliver=collector) as client,
    ):
        simulator.retry_delay = 0.05
        outcome = await client.submit(submit_sm("34600000001"))
        receipts = await collector.wait_for_receipts(2)
        await wait_until(lambda: simulator.stats.receipts_acked == 1)

    assert [r.tlv("receipted_message_id") for r in receipts] == [outcome.message_id] * 2
    assert simulator.stats.deliveries_retried == 1
    assert simulator.stats.receipts_sent == 1


async def test_registered_delivery_decides_which_messages_get_a_receipt() -> None:
    scenario = parse_scenario({"rules": [{"prefix": "44", "outcomes": {"UNDELIV": 1}}]})
    collector = DeliveryCollector()
    async with (
        asyncio.timeout(10),
        started_simulator(scenario) as simulator,
        bound_client(simulator, on_deliver=collector) as client,
    ):
        none = await client.submit(submit_sm("34600000001", registered_delivery=0))
        delivered = await client.submit(submit_sm("34600000002", registered_delivery=2))
        failed = await client.submit(submit_sm("447700900001", registered_delivery=2))
        both = await client.submit(submit_sm("34600000003", registered_delivery=1))
        await collector.wait_for_receipts(2)
        await wait_until(lambda: simulator.pending_deliveries == 0)

    assert all(o.accepted for o in (none, delivered, failed, both))
    by_id = {r.tlv("receipted_message_id"): r for r in collector.receipts}
    assert set(by_id) == {failed.message_id, both.message_id}
    assert by_id[failed.message_id].tlv("message_state") == MessageState.UNDELIVERABLE
    assert by_id[failed.message_id].tlv_raw("network_error_code") == b"\x03\x00\x01"


async def test_decimal_receipt_ids_name_the_same_number_as_the_hex_response_id() -> None:
    scenario = parse_scenario({"message_id_style": "hex_padded_decimal_receipt"})
    collector = DeliveryCollector()
    async with (
        asyncio.timeout(10),
        started_simulator(scenario) as simulator,
        bound_client(simulator, on_deliver=collector) as client,
    ):
        outcome = await client.submit(submit_sm("34600000001"))
        [receipt] = await collector.wait_for_receipts(1)

    receipt_id = str(receipt.tlv("receipted_message_id"))
    assert receipt_id == str(int(outcome.message_id, 16))
    assert receipt.bytes_field("short_message").startswith(f"id:{receipt_id} ".encode())
    assert decimal_value(receipt_id) == hex_value(outcome.message_id)


async def test_each_segment_of_a_concatenated_message_gets_its_own_id_and_receipt() -> None:
    parts = [b"First half of a long parcel notice, ", b"and the second half."]
    collector = DeliveryCollector()
    async with (
        asyncio.timeout(10),
        started_simulator() as simulator,
        bound_client(simulator, on_deliver=collector) as client,
    ):
        outcomes = [
            await client.submit(
                submit_sm("34600000001", esm_class=EsmClass.UDHI,
                          short_message=bytes((5, 0, 3, 0x42, 2, index + 1)) + part)
            )
            for index, part in enumerate(parts)
        ]  # fmt: skip
        receipts = await collector.wait_for_receipts(2)

    assert len({o.message_id for o in outcomes}) == 2
    assert {r.tlv("receipted_message_id") for r in receipts} == {o.message_id for o in outcomes}
    records = list(simulator.submits)
    assert [r.concatenation for r in records] == [
        Concatenation("udh8", 0x42, 2, 1),
        Concatenation("udh8", 0x42, 2, 2),
    ]
    assert "".join(r.text for r in records) == b"".join(parts).decode()
    assert [r.message_id for r in records] == [o.message_id for o in outcomes]


async def test_duplicate_receipts_are_sent_twice() -> None:
    scenario = parse_scenario({"defaults": {"duplicate_receipt_rate": 1.0}})
    collector = DeliveryCollector()
    async with (
        asyncio.timeout(10),
        started_simulator(scenario) as simulator,
        bound_client(simulator, on_deliver=collector) as client,
    ):
        outcomes = [await client.submit(submit_sm(f"3460000000{n}")) for n in range(3)]
        receipts = await collector.wait_for_receipts(6)

    assert sorted(str(r.tlv("receipted_message_id")) for r in receipts) == sorted(
        [o.message_id for o in outcomes] * 2
    )
    assert simulator.stats.receipts_sent == 6


async def test_the_submit_log_keeps_what_was_sent_and_what_was_answered() -> None:
    async with (
        asyncio.timeout(10),
        started_simulator(submit_log_size=2) as simulator,
        bound_client(simulator, system_id="shop") as client,
    ):
        for text in ("one", "two", QUESTION):
            await client.submit(submit_sm("34600000001", text, source="PARCELSHOP"))
        query = await client.request(Pdu(CommandId.QUERY_SM, fields={"message_id": "A0000000"}))

    assert [r.text for r in simulator.submits] == ["two", QUESTION]  # bounded: oldest gone
    last = simulator.submits[-1]
    assert (last.system_id, last.source, last.destination) == ("shop", "PARCELSHOP", "34600000001")
    assert last.data_coding == DataCoding.UCS2
    assert last.command_status == 0
    assert last.state == "DELIVRD"
    assert query.command_status == CommandStatus.ESME_RQUERYFAIL
