"""Our SmppClient against our SmppServer over loopback TCP: binds, window, TPS, faults."""

from __future__ import annotations

import asyncio
import itertools
import socket
from collections.abc import Callable
from typing import Any

import pytest

from parcelsms.protocol.smpp import client as client_module
from parcelsms.protocol.smpp.client import SmppClient
from parcelsms.protocol.smpp.codec import PduReader
from parcelsms.protocol.smpp.constants import BindType, CommandId, CommandStatus
from parcelsms.protocol.smpp.outcome import StatusClass, SubmitOutcomeKind
from parcelsms.protocol.smpp.pdu import Pdu, encode, make
from parcelsms.protocol.smpp.server import ServerConnection, SmppServer
from parcelsms.protocol.smpp.session_events import SmppTimeouts, Unbound

from .conftest import ScriptedSmsc, client_config

MakeClient = Callable[..., Any]
Smsc = tuple[SmppServer, ScriptedSmsc]


def submit_pdu(text: bytes = b"Your parcel is on its way") -> Pdu:
    return make(
        CommandId.SUBMIT_SM,
        source_addr="Parcel",
        source_addr_ton=5,
        destination_addr="447700900123",
        dest_addr_ton=1,
        dest_addr_npi=1,
        registered_delivery=1,
        short_message=text,
    )


def receipt_pdu(message_id: str) -> Pdu:
    return make(
        CommandId.DELIVER_SM,
        source_addr="447700900123",
        destination_addr="Parcel",
        esm_class=0x04,
        short_message=f"id:{message_id} sub:001 dlvrd:001 stat:DELIVRD err:000".encode(),
        tlvs={"receipted_message_id": message_id, "message_state": 2},
    )


async def test_a_transceiver_binds_submits_and_receives_its_receipt(
    smsc: Smsc, make_client: MakeClient
) -> None:
    server, handler = smsc
    receipts: asyncio.Queue[Pdu] = asyncio.Queue()

    async def on_deliver(pdu: Pdu) -> None:
        await receipts.put(pdu)

    client = await make_client(client_config(server.port), on_deliver)
    assert await client.wait_bound(5)
    assert handler.binds == [("shop", CommandId.BIND_TRANSCEIVER)]
    outcome = await client.submit(submit_pdu())
    assert outcome.kind is SubmitOutcomeKind.ACCEPTED
    assert outcome.message_id == "00000001"
    assert handler.requests[0].bytes_field("short_message") == b"Your parcel is on its way"
    response = await handler.bound[0].deliver(receipt_pdu(outcome.message_id))
    assert response.command_id == CommandId.DELIVER_SM_RESP
    assert response.command_status == 0
    receipt = await asyncio.wait_for(receipts.get(), 5)
    assert receipt.tlv("receipted_message_id") == outcome.message_id
    probe = await client.request(Pdu(CommandId.ENQUIRE_LINK))
    assert probe.command_id == CommandId.ENQUIRE_LINK_RESP


async def test_a_transmitter_and_receiver_pair_split_submits_and_receipts(
    smsc: Smsc, make_client: MakeClient
) -> None:
    server, handler = smsc
    seen_by_transmitter: list[Pdu] = []
    seen_by_receiver: asyncio.Queue[Pdu] = asyncio.Queue()

    async def transmitter_deliver(pdu: Pdu) -> None:
        seen_by_transmitter.append(pdu)

    async def receiver_deliver(pdu: Pdu) -> None:
        await seen_by_receiver.put(pdu)

    transmitter = await make_client(
        client_config(server.port, bind_type=BindType.TRANSMITTER), transmitter_deliver
    )
    receiver = await make_client(
        client_config(server.port, bind_type=BindType.RECEIVER), receiver_deliver
    )
    assert await transmitter.wait_bound(5)
    assert await receiver.wait_bound(5)
    assert sorted(command for _, command in handler.binds) == [
        CommandId.BIND_RECEIVER,
        CommandId.BIND_TRANSMITTER,
    ]
    outcome = await transmitter.submit(submit_pdu())
    assert outcome.accepted
    # A receiver may not submit: the SMSC session answers ESME_RINVBNDSTS by itself.
    refused = await receiver.submit(submit_pdu())
    assert refused.kind is SubmitOutcomeKind.REJECTED
    assert refused.command_status == CommandStatus.ESME_RINVBNDSTS
    assert len(handler.requests) == 1
    [receiving] = [connection for connection in handler.bound if connection.can_receive]
    await receiving.deliver(receipt_pdu(outcome.message_id))
    receipt = await asyncio.wait_for(seen_by_receiver.get(), 5)
    assert receipt.tlv("receipted_message_id") == outcome.message_id
    assert seen_by_transmitter == []


@pytest.mark.parametrize("window", [1, 7])
async def test_the_window_bounds_requests_outstanding_at_the_smsc(
    smsc: Smsc, make_client: MakeClient, window: int
) -> None:
    server, handler = smsc
    handler.answer_delay = 0.01
    client = await make_client(client_config(server.port, window=window))
    assert await client.wait_bound(5)
    outcomes = await asyncio.gather(*(client.submit(submit_pdu()) for _ in range(60)))
    assert all(outcome.accepted for outcome in outcomes)
    assert handler.max_in_flight == window  # filled, never exceeded
    assert len({outcome.message_id for outcome in outcomes}) == 60


async def test_the_tps_limit_holds_the_send_rate(smsc: Smsc, make_client: MakeClient) -> None:
    server, handler = smsc
    client = await make_client(client_config(server.port, tps=200.0, window=50))
    assert await client.wait_bound(5)
    loop = asyncio.get_running_loop()
    arrivals: list[float] = []
    handler.answer = lambda connection, pdu: (arrivals.append(loop.time()), (0, "id"))[1]
    await client.submit(submit_pdu())  # the first send leaves at once: measure from it
    outcomes = await asyncio.gather(*(client.submit(submit_pdu()) for _ in range(300)))
    assert all(outcome.accepted for outcome in outcomes)
    rate = 300 / (arrivals[-1] - arrivals[0])
    # burst = tps / 50 = 4 sends may leave together, which adds at most 3 / 300 to the rate.
    assert 180 <= rate <= 215, rate


async def test_throttled_submits_are_sent_again_after_backing_off(
    smsc: Smsc, make_client: MakeClient
) -> None:
    server, handler = smsc
    answers = iter([CommandStatus.ESME_RTHROTTLED, CommandStatus.ESME_RMSGQFUL, 0])
    handler.answer = lambda connection, pdu: (next(answers), "after-throttle")
    client = await make_client(client_config(server.port))
    assert await client.wait_bound(5)
    loop = asyncio.get_running_loop()
    started = loop.time()
    outcome = await client.submit(submit_pdu())
    assert outcome.accepted
    assert outcome.message_id == "after-throttle"
    assert client.limiter.throttle_events == 2
    assert len(handler.requests) == 3
    assert len({pdu.sequence_number for pdu in handler.requests}) == 3  # each a new request
    assert loop.time() - started >= 0.2  # the limiter paused after each throttling answer


async def test_throttling_that_never_ends_is_reported_as_throttled(
    smsc: Smsc, make_client: MakeClient
) -> None:
    server, handler = smsc
    handler.answer = lambda connection, pdu: (CommandStatus.ESME_RTHROTTLED, "")
    client = await make_client(client_config(server.port, max_throttle_retries=2))
    assert await client.wait_bound(5)
    outcome = await client.submit(submit_pdu())
    assert outcome.kind is SubmitOutcomeKind.REJECTED
    assert outcome.status_class is StatusClass.THROTTLED
    assert len(handler.requests) == 3


@pytest.mark.parametrize(
    ("status", "status_class"),
    [
        (CommandStatus.ESME_RINVDSTADR, StatusClass.PERMANENT),
        (CommandStatus.ESME_RSYSERR, StatusClass.TEMPORARY),
        (0x0000040C, StatusClass.TEMPORARY),  # vendor-specific
    ],
)
async def test_error_answers_are_classified_for_the_channel(
    smsc: Smsc, make_client: MakeClient, status: int, status_class: StatusClass
) -> None:
    server, handler = smsc
    handler.answer = lambda connection, pdu: (status, "")
    client = await make_client(client_config(server.port))
    assert await client.wait_bound(5)
    outcome = await client.submit(submit_pdu())
    assert outcome.kind is SubmitOutcomeKind.REJECTED
    assert outcome.command_status == status
    assert outcome.status_class is status_class


async def test_a_submit_while_not_bound_is_not_sent(smsc: Smsc, make_client: MakeClient) -> None:
    server, handler = smsc
    handler.refuse_binds = 1_000_000
    client = await make_client(client_config(server.port))
    outcome = await client.submit(submit_pdu())
    assert outcome.kind is SubmitOutcomeKind.NOT_SENT
    assert not await client.wait_bound(0.2)
    assert "ESME_RBINDFAIL" in client.last_error
    assert handler.requests == []


async def test_refused_binds_are_asked_again_with_exponential_backoff(
    smsc: Smsc, make_client: MakeClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    server, handler = smsc
    # Take the top of every jitter range, so the delays are the backoff ceiling itself.
    monkeypatch.setattr(client_module.random, "uniform", lambda low, high: high)
    handler.refuse_binds = 5
    client = await make_client(
        client_config(
            server.port,
            reconnect_initial_delay=0.05,
            reconnect_max_delay=0.3,
            probe_max_delay=0.05,  # the probe ceiling is for unreachable carriers only
        )
    )
    assert await client.wait_bound(5)
    gaps = [
        later - earlier
        for earlier, later in zip(handler.bind_times, handler.bind_times[1:], strict=False)
    ]
    assert len(gaps) == 5
    for gap, delay in zip(gaps, [0.05, 0.1, 0.2, 0.3, 0.3], strict=True):
        assert delay <= gap < delay + 0.15, gaps
    assert client.connects == 6


async def test_an_unreachable_smsc_is_probed_at_least_every_probe_interval(
    make_client: MakeClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Connection refused: the client tries again within ``probe_max_delay`` each time,
    however long the outage, so it binds soon after the SMSC comes back."""
    monkeypatch.setattr(client_module.random, "uniform", lambda low, high: high)
    attempts: list[float] = []
    loop = asyncio.get_running_loop()
    with socket.socket() as reserved:
        reserved.bind(("127.0.0.1", 0))
        port = reserved.getsockname()[1]  # nothing listens on it: connects are refused

        def on_state(state: str, detail: str) -> None:
            if state == "connect_failed":
                attempts.append(loop.time())

        client = SmppClient(
            client_config(port, reconnect_initial_delay=0.05, probe_max_delay=0.2),
            on_state=on_state,
        )
        await client.start()
        try:
            async with asyncio.timeout(5):
                while len(attempts) < 7:  # noqa: ASYNC110 - attempts have no event of their own
                    await asyncio.sleep(0.01)
        finally:
            await client.close()
    gaps = [later - earlier for earlier, later in itertools.pairwise(attempts)]
    assert gaps[:2] == pytest.approx([0.05, 0.1], abs=0.05)
    assert all(gap < 0.2 + 0.1 for gap in gaps), gaps  # never longer than the probe ceiling


async def test_the_client_rebinds_after_the_smsc_drops_the_connection(
    smsc: Smsc, make_client: MakeClient
) -> None:
    server, handler = smsc
    client = await make_client(client_config(server.port))
    assert await client.wait_bound(5)
    handler.bound[0].abort()
    await asyncio.wait_for(handler.bound[0].connection.closed, 5)
    async with asyncio.timeout(5):
        while len(handler.binds) < 2:  # noqa: ASYNC110 - the rebind has no event of its own
            await asyncio.sleep(0.01)
    assert await client.wait_bound(5)
    assert (await client.submit(submit_pdu())).accepted
    assert client.connects == 2


async def test_requests_in_flight_when_the_connection_dies_are_unknown(
    smsc: Smsc, make_client: MakeClient
) -> None:
    server, handler = smsc
    handler.answer = lambda connection, pdu: None  # take them, never answer
    client = await make_client(client_config(server.port, window=5))
    assert await client.wait_bound(5)
    submits = [asyncio.ensure_future(client.submit(submit_pdu())) for _ in range(8)]
    async with asyncio.timeout(5):
        while len(handler.requests) < 5:  # noqa: ASYNC110 - waiting for the window to fill
            await asyncio.sleep(0.01)
    handler.bound[0].abort()
    outcomes = await asyncio.wait_for(asyncio.gather(*submits), 5)
    kinds = [outcome.kind for outcome in outcomes]
    # The five in flight are unknown; the three waiting for a slot never left.
    assert kinds.count(SubmitOutcomeKind.UNKNOWN) == 5
    assert kinds.count(SubmitOutcomeKind.NOT_SENT) == 3


@pytest.mark.parametrize("turns", range(10))  # the race hit 5-7 turns on 2 cores
async def test_a_client_closed_as_its_connection_drops_stops_at_once_and_leaves_no_session(
    smsc: Smsc, make_client: MakeClient, turns: int
) -> None:
    """close() a few loop turns after the carrier dropped the connection, while the client
    is connecting again: the cancellation close() sent was lost where the connect completed
    at the same moment (Python 3.11's wait_for), the client bound a new session anyway, and
    close() waited until the carrier's inactivity timer ended it (30 s here)."""
    server, handler = smsc
    client = await make_client(client_config(server.port))
    assert await client.wait_bound(5)
    handler.bound[0].abort()
    async with asyncio.timeout(5):
        while client.is_bound:  # noqa: ASYNC110 - the turn the client sees the loss matters
            await asyncio.sleep(0)
    for _ in range(turns):
        await asyncio.sleep(0)
    loop = asyncio.get_running_loop()
    started = loop.time()
    await client.close(drain_seconds=0.2)
    assert loop.time() - started < 5
    assert not client.is_bound
    async with asyncio.timeout(5):  # the server sees every session it bound end
        while handler.closed < len(handler.bound):  # noqa: ASYNC110 - its own callbacks
            await asyncio.sleep(0.01)


async def test_a_request_never_answered_times_out_as_unknown(
    smsc: Smsc, make_client: MakeClient
) -> None:
    server, handler = smsc
    handler.answer = lambda connection, pdu: None
    timeouts = SmppTimeouts(response=0.3, enquire_link_interval=0, inactivity=30, bind=2)
    client = await make_client(client_config(server.port, timeouts=timeouts))
    assert await client.wait_bound(5)
    loop = asyncio.get_running_loop()
    started = loop.time()
    outcome = await asyncio.wait_for(client.submit(submit_pdu()), 5)
    assert outcome.kind is SubmitOutcomeKind.UNKNOWN
    assert "no response" in outcome.reason
    assert 0.3 <= loop.time() - started < 1.0
    assert client.is_bound  # a lost answer is not a lost bind


async def test_close_unbinds_gracefully(smsc: Smsc, make_client: MakeClient) -> None:
    server, handler = smsc
    client = await make_client(client_config(server.port))
    assert await client.wait_bound(5)
    await client.close()
    assert any(isinstance(event, Unbound) for event in handler.events)
    await asyncio.wait_for(handler.bound[0].connection.closed, 5)
    assert handler.closed == 1
    assert not client.is_bound
    outcome = await client.submit(submit_pdu())
    assert outcome.kind is SubmitOutcomeKind.NOT_SENT


async def test_close_waits_for_answers_in_flight_before_unbinding(
    smsc: Smsc, make_client: MakeClient
) -> None:
    server, handler = smsc
    handler.answer_delay = 0.2
    client = await make_client(client_config(server.port))
    assert await client.wait_bound(5)
    pending = asyncio.ensure_future(client.submit(submit_pdu()))
    await handler.request_arrived.wait()
    await client.close()
    assert (await pending).accepted


async def test_a_deliver_handler_that_raises_is_answered_temporary_error(
    smsc: Smsc, make_client: MakeClient
) -> None:
    server, handler = smsc

    async def failing(pdu: Pdu) -> None:
        raise RuntimeError("database is down")

    client = await make_client(client_config(server.port), failing)
    assert await client.wait_bound(5)
    response = await handler.bound[0].deliver(receipt_pdu("ABC"))
    assert response.command_status == CommandStatus.ESME_RX_T_APPN
    assert "database is down" in client.last_error
    assert client.is_bound


async def test_a_deliver_handler_status_is_the_answer(smsc: Smsc, make_client: MakeClient) -> None:
    server, handler = smsc

    async def refusing(pdu: Pdu) -> int:
        return CommandStatus.ESME_RX_P_APPN

    client = await make_client(client_config(server.port), refusing)
    assert await client.wait_bound(5)
    response = await handler.bound[0].deliver(receipt_pdu("ABC"))
    assert response.command_status == CommandStatus.ESME_RX_P_APPN


async def test_a_receipt_is_acknowledged_only_after_the_handler_returns(
    smsc: Smsc, make_client: MakeClient
) -> None:
    server, handler = smsc
    started = asyncio.Event()
    release = asyncio.Event()

    async def slow_store(pdu: Pdu) -> None:
        started.set()
        await release.wait()

    client = await make_client(client_config(server.port), slow_store)
    assert await client.wait_bound(5)
    answer = asyncio.ensure_future(handler.bound[0].deliver(receipt_pdu("ABC")))
    await asyncio.wait_for(started.wait(), 5)
    # The handler is still storing: nothing may have been acknowledged yet.
    done, _ = await asyncio.wait({answer}, timeout=0.2)
    assert not done
    release.set()
    response = await asyncio.wait_for(answer, 5)
    assert response.command_status == 0


async def test_the_smsc_deliver_window_bounds_receipts_outstanding_at_the_esme(
    make_client: MakeClient,
) -> None:
    handler = ScriptedSmsc()
    server = SmppServer(handler, window=3, timeouts=SmppTimeouts(5, 0, 30, 0))
    await server.start()
    try:
        storing = 0
        most = 0

        async def store(pdu: Pdu) -> None:
            nonlocal storing, most
            storing += 1
            most = max(most, storing)
            await asyncio.sleep(0.01)
            storing -= 1

        client = await make_client(client_config(server.port), store)
        assert await client.wait_bound(5)
        connection: ServerConnection = handler.bound[0]
        answers = await asyncio.gather(
            *(connection.deliver(receipt_pdu(str(n))) for n in range(20))
        )
        assert all(answer.command_status == 0 for answer in answers)
        assert most == 3
    finally:
        await server.close()


async def test_server_close_unbinds_its_esmes(make_client: MakeClient) -> None:
    handler = ScriptedSmsc()
    server = SmppServer(handler, timeouts=SmppTimeouts(5, 0, 30, 0))
    await server.start()
    states: list[str] = []
    client = await make_client(client_config(server.port))
    client._on_state = lambda state, detail: states.append(state)
    assert await client.wait_bound(5)
    await server.close()
    async with asyncio.timeout(5):
        while "disconnected" not in states:  # noqa: ASYNC110 - state callbacks have no event
            await asyncio.sleep(0.01)
    assert not client.is_bound
    assert handler.closed == 1


async def test_garbled_framing_from_the_smsc_drops_the_connection_and_in_flight_is_unknown(
    smsc: Smsc, make_client: MakeClient
) -> None:
    server, handler = smsc
    handler.answer = lambda connection, pdu: None
    client = await make_client(client_config(server.port))
    assert await client.wait_bound(5)
    pending = asyncio.ensure_future(client.submit(submit_pdu()))
    await handler.request_arrived.wait()
    # command_length 4: the client can no longer frame the stream.
    handler.bound[0].connection.send_raw(bytes.fromhex("00000004 80000004 00000000 00000002"))
    outcome = await asyncio.wait_for(pending, 5)
    assert outcome.kind is SubmitOutcomeKind.UNKNOWN
    async with asyncio.timeout(5):
        while len(handler.binds) < 2:  # noqa: ASYNC110 - the rebind has no event of its own
            await asyncio.sleep(0.01)
    assert await client.wait_bound(5)


async def test_a_silent_smsc_is_probed_then_dropped_and_the_client_rebinds(
    make_client: MakeClient,
) -> None:
    """A raw SMSC that answers the bind, then never says another word."""
    received: list[tuple[int, int]] = []  # (connection number, command_id)
    connections = 0

    async def mute_smsc(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        nonlocal connections
        connections += 1
        number = connections
        frames = PduReader()
        try:
            while data := await reader.read(4096):
                frames.feed(data)
                for pdu in frames.read_all():
                    received.append((number, pdu.command_id))
                    if pdu.command_id == CommandId.BIND_TRANSCEIVER:
                        writer.write(
                            encode(
                                make(
                                    CommandId.BIND_TRANSCEIVER_RESP,
                                    pdu.sequence_number,
                                    system_id="MUTE",
                                )
                            )
                        )
        except ConnectionError:
            pass
        finally:
            writer.close()

    listener = await asyncio.start_server(mute_smsc, "127.0.0.1", 0)
    port = listener.sockets[0].getsockname()[1]
    timeouts = SmppTimeouts(response=5, enquire_link_interval=0.3, inactivity=0.8, bind=2)
    try:
        client = await make_client(client_config(port, timeouts=timeouts))
        assert await client.wait_bound(5)
        async with asyncio.timeout(10):
            while connections < 2:  # noqa: ASYNC110 - the reconnect has no event of its own
                await asyncio.sleep(0.02)
        assert await client.wait_bound(5)
        first_connection = [command for number, command in received if number == 1]
        # Probed once after 0.3 s of silence, never answered, dropped at 0.8 s.
        assert first_connection == [CommandId.BIND_TRANSCEIVER, CommandId.ENQUIRE_LINK]
        assert "no data" in client.last_error
    finally:
        listener.close()
        await listener.wait_closed()


async def test_a_generic_nack_to_the_bind_is_a_refusal_even_with_status_zero(
    make_client: MakeClient,
) -> None:
    async def confused_smsc(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        frames = PduReader()
        try:
            while data := await reader.read(4096):
                frames.feed(data)
                for pdu in frames.read_all():
                    writer.write(encode(Pdu(CommandId.GENERIC_NACK, pdu.sequence_number, 0)))
        except ConnectionError:
            pass
        finally:
            writer.close()

    listener = await asyncio.start_server(confused_smsc, "127.0.0.1", 0)
    try:
        client = await make_client(client_config(listener.sockets[0].getsockname()[1]))
        assert not await client.wait_bound(0.3)
        assert "ESME_RBINDFAIL" in client.last_error
        assert client.connects >= 2  # refused, then tried again
        outcome = await client.submit(submit_pdu())
        assert outcome.kind is SubmitOutcomeKind.NOT_SENT
    finally:
        listener.close()
        await listener.wait_closed()


async def test_a_bind_whose_answers_stop_is_recycled_and_bound_again_at_once(
    smsc: Smsc, make_client: MakeClient
) -> None:
    server, handler = smsc
    handler.answer = lambda connection, pdu: None  # submits are never answered
    timeouts = SmppTimeouts(response=0.2, enquire_link_interval=0, inactivity=30.0, bind=2.0)
    client = await make_client(
        client_config(server.port, timeouts=timeouts, recycle_after_timeouts=3)
    )
    assert await client.wait_bound(5)
    first = [await client.submit(submit_pdu()) for _ in range(2)]
    assert [outcome.kind for outcome in first] == [SubmitOutcomeKind.UNKNOWN] * 2
    assert client.recycles == 0  # two in a row: not yet
    assert len(handler.binds) == 1
    loop = asyncio.get_running_loop()
    third = await client.submit(submit_pdu())
    recycled_at = loop.time()
    assert third.kind is SubmitOutcomeKind.UNKNOWN
    assert client.recycles == 1
    async with asyncio.timeout(5):
        while len(handler.binds) < 2:  # noqa: ASYNC110 - the rebind has no event of its own
            await asyncio.sleep(0.005)
    assert handler.bind_times[-1] - recycled_at < 0.2  # the first attempt is made at once
    assert await client.wait_bound(5)
    handler.answer = None  # answering again: a response resets the count
    assert (await client.submit(submit_pdu())).accepted
