"""Interoperability over TCP with an SMPP implementation not written here: ``smpp34``.

(a) smpp34's Client (Rust core) binds to OUR SmppServer, submits with a receipt request,
    receives the receipt, answers our enquire_link, and unbinds.
(b) OUR SmppClient binds to an smpp34 Server, submits, gets the receipt the smpp34 server
    sends, correlates it with the submit_sm_resp id, probes with enquire_link, unbinds.

smpp34's Python API offers no enquire_link call and no timer settings (its core probes on
its own schedule), so enquire_link is exercised from our side in both directions. Its
Server takes a fixed port and cannot report one it picked, so a free port is found first.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
from collections.abc import AsyncIterator

import pytest
import smpp34

from parcelsms.protocol.smpp.client import SmppClient, SmppClientConfig
from parcelsms.protocol.smpp.constants import CommandId, MessageState
from parcelsms.protocol.smpp.message_id import exact_key
from parcelsms.protocol.smpp.outcome import SubmitOutcomeKind
from parcelsms.protocol.smpp.pdu import Pdu, make
from parcelsms.protocol.smpp.receipt import ReceiptState, parse_receipt
from parcelsms.protocol.smpp.server import ServerConnection, SmppServer
from parcelsms.protocol.smpp.session_events import SmppTimeouts, Unbound

from .conftest import ScriptedSmsc

TIMEOUTS = SmppTimeouts(response=5.0, enquire_link_interval=0, inactivity=60.0, bind=5.0)
DEADLINE = 10.0


class ReceiptingSmsc(ScriptedSmsc):
    """Accepts every submit with a hex id and, when asked for one, sends a receipt."""

    def __init__(self) -> None:
        super().__init__()
        self.receipt_answers: list[Pdu] = []
        self.tasks: set[asyncio.Task[None]] = set()

    def decide(self, connection: ServerConnection, pdu: Pdu) -> tuple[int, str] | None:
        message_id = f"{0xA0F0 + len(self.requests):X}"
        if pdu.int_field("registered_delivery") & 0x01:
            task = asyncio.ensure_future(self.send_receipt(connection, pdu, message_id))
            self.tasks.add(task)
            task.add_done_callback(self.tasks.discard)
        return 0, message_id

    async def send_receipt(
        self, connection: ServerConnection, submit: Pdu, message_id: str
    ) -> None:
        await asyncio.sleep(0)  # after the submit_sm_resp has left
        receipt = make(
            CommandId.DELIVER_SM,
            source_addr=submit.str_field("destination_addr"),
            destination_addr=submit.str_field("source_addr"),
            esm_class=0x04,
            short_message=(
                f"id:{int(message_id, 16)} sub:001 dlvrd:001 submit date:2501021504 "
                f"done date:2501021505 stat:DELIVRD err:000 text:Your parcel"
            ).encode(),
            tlvs={"receipted_message_id": message_id, "message_state": MessageState.DELIVERED},
        )
        self.receipt_answers.append(await connection.deliver(receipt))


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


# ---- (a) smpp34 client -> our server ------------------------------------------------------------


@pytest.fixture
async def our_smsc() -> AsyncIterator[tuple[SmppServer, ReceiptingSmsc]]:
    handler = ReceiptingSmsc()
    server = SmppServer(handler, system_id="PARCELSMSC", timeouts=TIMEOUTS)
    await server.start("127.0.0.1", 0)
    yield server, handler
    await server.close()


async def test_smpp34_client_binds_submits_and_gets_its_receipt_from_our_server(
    our_smsc: tuple[SmppServer, ReceiptingSmsc],
) -> None:
    server, handler = our_smsc
    client = smpp34.Client(
        "127.0.0.1", server.port, "rustesme", "secret", bind_type="TRX", system_type="interop"
    )
    smsc = await asyncio.wait_for(client.connect(), DEADLINE)
    try:
        assert handler.binds == [("rustesme", CommandId.BIND_TRANSCEIVER)]
        response = await asyncio.wait_for(
            smsc.submit_sm(
                "447700900123",
                b"Parcel LP00123 is out for delivery",
                source_addr="Parcel",
                source_addr_ton=5,
                registered_delivery=1,
                tlvs=[smpp34.Tlv(smpp34.TLV_USER_MESSAGE_REFERENCE, (7).to_bytes(2, "big"))],
            ),
            DEADLINE,
        )
        assert response.is_success
        submit = handler.requests[0]
        assert response.message_id == "A0F1"
        assert submit.str_field("destination_addr") == "447700900123"
        assert submit.bytes_field("short_message") == b"Parcel LP00123 is out for delivery"
        assert submit.tlv("user_message_reference") == 7

        event = await asyncio.wait_for(smsc.next(), DEADLINE)
        assert isinstance(event, smpp34.DeliverSmEvent)
        assert event.esm_class == 0x04
        tlvs = {tlv.tag: tlv for tlv in event.tlvs}
        assert tlvs[smpp34.TLV_RECEIPTED_MESSAGE_ID].as_string() == response.message_id
        assert tlvs[smpp34.TLV_MESSAGE_STATE].as_int() == MessageState.DELIVERED
        assert b"stat:DELIVRD" in event.short_message
        async with asyncio.timeout(DEADLINE):
            while not handler.receipt_answers:  # noqa: ASYNC110 - set by the handler's task
                await asyncio.sleep(0.01)
        assert handler.receipt_answers[0].command_status == 0  # smpp34 acknowledged it

        # enquire_link from our side; smpp34's core answers it.
        probe = await asyncio.wait_for(
            handler.bound[0].connection.send_request(Pdu(CommandId.ENQUIRE_LINK)), DEADLINE
        )
        assert probe.command_id == CommandId.ENQUIRE_LINK_RESP
        assert probe.command_status == 0

        await asyncio.wait_for(smsc.unbind(), DEADLINE)
        await asyncio.wait_for(asyncio.shield(handler.bound[0].connection.closed), DEADLINE)
        assert any(isinstance(event, Unbound) for event in handler.events)
    finally:
        await client.stop()


async def test_smpp34_client_is_refused_by_our_server(
    our_smsc: tuple[SmppServer, ReceiptingSmsc],
) -> None:
    server, handler = our_smsc
    handler.refuse_binds = 1
    # smpp34 does not surface a bind refusal (with or without a body): its connect()
    # waits for its own timeout and raises "bind timed out". A short timeout keeps it quick.
    client = smpp34.Client(
        "127.0.0.1",
        server.port,
        "rustesme",
        "wrong",
        bind_type="TX",
        connect_timeout_ms=500,
    )
    try:
        with pytest.raises(smpp34.SmppError):
            await asyncio.wait_for(client.connect(), DEADLINE)
    finally:
        await client.stop()
    assert len(handler.bind_times) == 1  # one attempt reached us and was refused
    assert handler.binds == []
    assert handler.bound == []


# ---- (b) our client -> smpp34 server ----------------------------------------------------------


class Smpp34Smsc:
    """An smpp34 Server that accepts submits and sends each a delivery receipt."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.server = smpp34.Server("127.0.0.1", port, system_id="RUSTSMSC")
        self.sessions: dict[str, smpp34.Esme] = {}
        self.submits: list[smpp34.SubmitSmEvent] = []
        self.receipt_statuses: list[int] = []
        self.unbound: asyncio.Event = asyncio.Event()
        self.task: asyncio.Task[None] | None = None

    async def run(self) -> None:
        while True:
            event = await self.server.next()
            if isinstance(event, smpp34.Esme):
                self.sessions[event.session_id] = event
            elif isinstance(event, smpp34.SubmitSmEvent):
                self.submits.append(event)
                message_id = f"rust-{len(self.submits):04d}"
                event.accept(message_id)
                answer = await self.sessions[event.session_id].deliver_sm(
                    event.source_addr,
                    f"id:{message_id} sub:001 dlvrd:001 stat:DELIVRD err:000".encode(),
                    source_addr=event.destination_addr,
                    esm_class=0x04,
                    tlvs=[
                        smpp34.Tlv(smpp34.TLV_RECEIPTED_MESSAGE_ID, message_id.encode() + b"\0"),
                        smpp34.Tlv(smpp34.TLV_MESSAGE_STATE, bytes([MessageState.DELIVERED])),
                    ],
                )
                self.receipt_statuses.append(answer.command_status)
            elif isinstance(event, smpp34.Unbound):
                self.unbound.set()


@pytest.fixture
async def rust_smsc() -> AsyncIterator[Smpp34Smsc]:
    smsc = Smpp34Smsc(free_port())
    await smsc.server.start()
    smsc.task = asyncio.ensure_future(smsc.run())
    yield smsc
    smsc.task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await smsc.task
    await smsc.server.stop()


async def test_our_client_binds_submits_and_correlates_the_smpp34_receipt(
    rust_smsc: Smpp34Smsc,
) -> None:
    receipts: asyncio.Queue[Pdu] = asyncio.Queue()

    async def on_deliver(pdu: Pdu) -> None:
        await receipts.put(pdu)

    config = SmppClientConfig("127.0.0.1", rust_smsc.port, "parcelsms", "secret", timeouts=TIMEOUTS)
    client = SmppClient(config, on_deliver)
    await client.start()
    try:
        assert await client.wait_bound(DEADLINE)
        outcome = await client.submit(
            make(
                CommandId.SUBMIT_SM,
                source_addr="Parcel",
                source_addr_ton=5,
                destination_addr="8613800138000",
                dest_addr_ton=1,
                dest_addr_npi=1,
                registered_delivery=1,
                data_coding=0x08,
                short_message="您的包裹已发出".encode("utf-16-be"),
            )
        )
        assert outcome.kind is SubmitOutcomeKind.ACCEPTED
        assert outcome.message_id == "rust-0001"
        submitted = rust_smsc.submits[0]
        assert submitted.destination_addr == "8613800138000"
        assert submitted.data_coding == 0x08
        assert submitted.short_message.decode("utf-16-be") == "您的包裹已发出"

        pdu = await asyncio.wait_for(receipts.get(), DEADLINE)
        receipt = parse_receipt(
            pdu.bytes_field("short_message"),
            receipted_message_id=pdu.tlv("receipted_message_id"),  # type: ignore[arg-type]
            message_state=pdu.tlv("message_state"),  # type: ignore[arg-type]
            esm_class=pdu.int_field("esm_class"),
        )
        assert receipt.state is ReceiptState.DELIVERED
        assert receipt.message_id is not None
        assert exact_key(receipt.message_id) == exact_key(outcome.message_id)
        async with asyncio.timeout(DEADLINE):
            while not rust_smsc.receipt_statuses:  # noqa: ASYNC110 - set by the server loop
                await asyncio.sleep(0.01)
        assert rust_smsc.receipt_statuses == [0]  # our ack reached smpp34 as success

        probe = await client.request(Pdu(CommandId.ENQUIRE_LINK))
        assert probe.command_id == CommandId.ENQUIRE_LINK_RESP
    finally:
        await client.close()
    await asyncio.wait_for(rust_smsc.unbound.wait(), DEADLINE)
    assert not client.is_bound


async def test_our_client_answers_a_failed_receipt_store_with_a_temporary_error_to_smpp34(
    rust_smsc: Smpp34Smsc,
) -> None:
    async def failing(pdu: Pdu) -> None:
        raise RuntimeError("storage unavailable")

    config = SmppClientConfig("127.0.0.1", rust_smsc.port, "parcelsms", "secret", timeouts=TIMEOUTS)
    client = SmppClient(config, failing)
    await client.start()
    try:
        assert await client.wait_bound(DEADLINE)
        outcome = await client.submit(
            make(CommandId.SUBMIT_SM, destination_addr="1", short_message=b"x")
        )
        assert outcome.accepted
        async with asyncio.timeout(DEADLINE):
            while not rust_smsc.receipt_statuses:  # noqa: ASYNC110 - set by the server loop
                await asyncio.sleep(0.01)
        assert rust_smsc.receipt_statuses == [0x64]  # ESME_RX_T_APPN: redeliver later
    finally:
        await client.close()
