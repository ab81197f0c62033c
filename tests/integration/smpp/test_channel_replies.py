"""Replies on an SMPP channel bound to the simulator over TCP: concatenated parts (UDH with
8- and 16-bit references, SAR TLVs) become one reply; a reply whose parts stop arriving is
handed on as incomplete after the reassembly timeout, never dropped."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

import pytest

from parcelsms.adapters.channels.smpp_channel import SmppChannel, SmppChannelSettings
from parcelsms.pipeline.message_ports import InboundMessage
from parcelsms.pipeline.receipt_ports import ReceiptRecord
from parcelsms.protocol.smpp.client import SmppClientConfig
from parcelsms.protocol.smpp.session_events import SmppTimeouts
from parcelsms.protocol.text.concatenation import ConcatenationMethod
from parcelsms.testing import started_simulator, wait_until

# Three UCS-2 parts (67 units each with an 8-bit reference).
CHINESE = "您好，我的包裹显示已经到达本地分拣中心，但是三天了还没有派送。" * 5
LATIN = "Bonjour, pouvez-vous laisser le colis chez la voisine au numéro 12 ? Merci beaucoup !" * 3


class NoReceipts:
    """The receipt sink of a channel that only receives replies here."""

    def responded(self, channel: str, carrier_id: str) -> int:
        return 0

    def wire_time(self) -> int:
        return 0

    async def received(self, receipt: ReceiptRecord) -> None:
        raise AssertionError("no receipt expected")

    async def received_many(self, receipts: Sequence[ReceiptRecord]) -> None:
        raise AssertionError("no receipt expected")


async def _channel(port: int, replies: list[InboundMessage], timeout: float) -> SmppChannel:
    async def sink(message: InboundMessage) -> None:
        replies.append(message)

    channel = SmppChannel(
        SmppChannelSettings(
            name="sim",
            sessions=[
                SmppClientConfig(
                    host="127.0.0.1",
                    port=port,
                    system_id="parcelsms",
                    password="secret",
                    timeouts=SmppTimeouts(response=5.0),
                    reconnect_initial_delay=0.05,
                )
            ],
            reassembly_timeout_seconds=timeout,
        ),
        NoReceipts(),
        sink,
    )
    await channel.start()
    assert await channel.wait_bound(5.0)
    return channel


@pytest.mark.parametrize(
    "method", [ConcatenationMethod.UDH8, ConcatenationMethod.UDH16, ConcatenationMethod.SAR]
)
async def test_a_multi_part_ucs2_reply_arrives_as_one_message(method: ConcatenationMethod) -> None:
    replies: list[InboundMessage] = []
    async with asyncio.timeout(10), started_simulator() as simulator:
        channel = await _channel(simulator.port, replies, timeout=60.0)
        try:
            simulator.send_mo("parcelsms", "8613800138000", "ACME", CHINESE, concatenation=method)
            simulator.send_mo("parcelsms", "33612345678", "ACME", LATIN, concatenation=method)
            await wait_until(lambda: len(replies) == 2)
        finally:
            await channel.close()

    by_source = {reply.source: reply for reply in replies}
    assert by_source["+8613800138000"].text == CHINESE
    assert by_source["+33612345678"].text == LATIN
    assert all(reply.complete and reply.destination == "ACME" for reply in replies)


async def test_a_reply_missing_a_part_is_handed_on_as_incomplete_after_the_timeout() -> None:
    replies: list[InboundMessage] = []
    async with asyncio.timeout(10), started_simulator() as simulator:
        channel = await _channel(simulator.port, replies, timeout=0.2)
        try:
            simulator.send_mo(
                "parcelsms",
                "8613800138000",
                "ACME",
                CHINESE,
                concatenation=ConcatenationMethod.UDH8,
                parts=[3, 1],
            )
            await wait_until(lambda: len(replies) == 1)
        finally:
            await channel.close()

    [reply] = replies
    assert not reply.complete
    assert reply.missing_parts == (2,)
    assert CHINESE.startswith(reply.text[:60])
    assert reply.text.endswith(CHINESE[-20:])


async def test_parts_still_waiting_at_shutdown_are_handed_on_not_lost() -> None:
    replies: list[InboundMessage] = []
    async with asyncio.timeout(10), started_simulator() as simulator:
        channel = await _channel(simulator.port, replies, timeout=3600.0)
        simulator.send_mo(
            "parcelsms",
            "8613800138000",
            "ACME",
            CHINESE,
            concatenation=ConcatenationMethod.SAR,
            parts=[2],
        )
        await wait_until(lambda: simulator.stats.mo_acked == 1)
        await channel.close()

    [reply] = replies
    assert (reply.complete, reply.missing_parts) == (False, (1, 3))
