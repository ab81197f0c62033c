"""An SMPP channel given receipts and replies in one read: receipts stored with one call, in
their order on the wire; a reply that cannot be stored refused alone."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

from parcelsms.adapters.channels.smpp_channel import SmppChannel, SmppChannelSettings
from parcelsms.pipeline.message_ports import InboundMessage
from parcelsms.pipeline.receipt_ports import ReceiptRecord
from parcelsms.protocol.smpp.constants import CommandId, CommandStatus
from parcelsms.protocol.smpp.pdu import Pdu, make

from .conftest import client_config, send_in_one_write
from .test_client_server import Smsc, receipt_pdu


class RecordingReceipts:
    """A receipt sink that keeps each call's receipts, or fails every call."""

    def __init__(self, fail: bool = False) -> None:
        self.calls: list[list[ReceiptRecord]] = []
        self.fail = fail
        self._now = 0

    def responded(self, channel: str, carrier_id: str) -> int:
        return self.wire_time()

    def wire_time(self) -> int:
        self._now += 1
        return self._now

    async def received(self, receipt: ReceiptRecord) -> None:
        await self.received_many([receipt])

    async def received_many(self, receipts: Sequence[ReceiptRecord]) -> None:
        if self.fail:
            raise RuntimeError("storage unavailable")
        self.calls.append(list(receipts))


def reply_pdu(text: str) -> Pdu:
    return make(
        CommandId.DELIVER_SM,
        source_addr="447700900123",
        destination_addr="Parcel",
        esm_class=0,
        short_message=text.encode(),
    )


async def _answers(
    smsc: Smsc, receipts: RecordingReceipts, replies: list[str], pdus: list[Pdu]
) -> list[int]:
    """Bind a channel to the test SMSC, send ``pdus`` to it in one write, and return how it
    answered each."""
    server, handler = smsc

    async def inbound(message: InboundMessage) -> None:
        if message.text == "boom":
            raise RuntimeError("reply not stored")
        replies.append(message.text)

    channel = SmppChannel(
        SmppChannelSettings(name="sim", sessions=[client_config(server.port)]), receipts, inbound
    )
    await channel.start()
    try:
        assert await channel.wait_bound(5.0)
        responses = await asyncio.wait_for(
            asyncio.gather(*send_in_one_write(handler.bound[0], *pdus)), 5
        )
    finally:
        await channel.close()
    return [response.command_status for response in responses]


async def test_receipts_of_one_read_go_to_storage_in_one_call_and_a_bad_reply_fails_alone(
    smsc: Smsc,
) -> None:
    receipts = RecordingReceipts()
    replies: list[str] = []
    pdus = [receipt_pdu("A"), reply_pdu("hello"), reply_pdu("boom"), receipt_pdu("B")]
    answers = await _answers(smsc, receipts, replies, pdus)
    assert answers == [0, 0, CommandStatus.ESME_RX_T_APPN, 0]
    assert [[record.carrier_id for record in call] for call in receipts.calls] == [["A", "B"]]
    ((first, second),) = receipts.calls
    assert first.received_at_us < second.received_at_us  # stamped in the order read
    assert replies == ["hello"]


async def test_receipts_that_cannot_be_stored_are_refused_and_replies_of_the_read_kept(
    smsc: Smsc,
) -> None:
    replies: list[str] = []
    pdus = [receipt_pdu("A"), reply_pdu("hello"), receipt_pdu("B")]
    answers = await _answers(smsc, RecordingReceipts(fail=True), replies, pdus)
    assert answers == [CommandStatus.ESME_RX_T_APPN, 0, CommandStatus.ESME_RX_T_APPN]
    assert replies == ["hello"]
