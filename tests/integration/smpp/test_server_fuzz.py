"""Fuzzing a live SmppServer over TCP with hypothesis-generated and mutated byte streams.

Each example opens a raw socket, optionally binds, sends the fuzzed bytes, then an
enquire_link marker. A sans-IO SMSC ``Session`` fed the same bytes is the model of what
the server must answer, octet for octet; on top of that the answers are checked against
the specification on their own terms (only responses; generic_nack only with a decoder
status; a framing error answered and the connection closed). After every example a NEW
connection must bind and submit, and the event loop must not have seen one exception.
"""

from __future__ import annotations

import asyncio
import contextlib
import struct
from collections.abc import AsyncIterator
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import event as note_event
from hypothesis import strategies as st

from parcelsms.errors import ProtocolError
from parcelsms.protocol.smpp.codec import PduReader
from parcelsms.protocol.smpp.constants import CommandId, CommandStatus, is_response
from parcelsms.protocol.smpp.pdu import Pdu, encode, make
from parcelsms.protocol.smpp.server import ServerConnection, SmppServer
from parcelsms.protocol.smpp.session import Session
from parcelsms.protocol.smpp.session_events import (
    ConnectionFailed,
    RequestReceived,
    Role,
    SmppTimeouts,
    Unbound,
)

SERVER_TIMEOUTS = SmppTimeouts(response=5.0, enquire_link_interval=0, inactivity=60.0, bind=0)
SMSC_ID = "FUZZSMSC"
MARKER_SEQUENCE = 0x7FFFFF00
DECODER_STATUSES = {
    CommandStatus.ESME_RINVCMDLEN,
    CommandStatus.ESME_RINVCMDID,
    CommandStatus.ESME_RINVPARLEN,
    CommandStatus.ESME_RINVOPTPARSTREAM,
    CommandStatus.ESME_RINVMSGLEN,
}
MAX_FILLER = 8192
READ_DEADLINE = 5.0  # a server that stops answering fails the example, it never hangs it


class EchoSmsc:
    """Accepts every bind; answers every request at once with a message id from its seq."""

    def authenticate(
        self, connection: ServerConnection, system_id: str, password: str, bind_command: int
    ) -> int:
        return 0

    def on_bound(self, connection: ServerConnection) -> None:
        pass

    def on_request(self, connection: ServerConnection, pdu: Pdu) -> None:
        connection.respond(pdu, 0, message_id=message_id_for(pdu))

    def on_closed(self, connection: ServerConnection) -> None:
        pass


def message_id_for(pdu: Pdu) -> str:
    return f"m{pdu.sequence_number}"


class ModelSmsc:
    """The same decisions as EchoSmsc, on a sans-IO session: what the server must send."""

    def __init__(self) -> None:
        self.session = Session(Role.SMSC, timeouts=SERVER_TIMEOUTS)
        self.closed_by: str | None = None
        self.marker_answered = False

    def feed(self, data: bytes) -> bytes:
        if self.closed_by is not None:
            return b""
        for event in self.session.receive_data(data):
            if isinstance(event, RequestReceived):
                pdu = event.pdu
                if pdu.command_id in (
                    CommandId.BIND_TRANSMITTER,
                    CommandId.BIND_RECEIVER,
                    CommandId.BIND_TRANSCEIVER,
                ):
                    self.session.send_response(pdu, 0, system_id=SMSC_ID)
                else:
                    self.session.send_response(pdu, 0, message_id=message_id_for(pdu))
            elif isinstance(event, ConnectionFailed) and self.closed_by is None:
                self.closed_by = "framing"
            elif isinstance(event, Unbound) and self.closed_by is None:
                self.closed_by = "unbind"
        output = self.session.data_to_send()
        self.marker_answered = self.marker_answered or (
            encode(Pdu(CommandId.ENQUIRE_LINK_RESP, MARKER_SEQUENCE)) in output
        )
        return output


def bind_bytes(sequence: int = 1) -> bytes:
    return encode(
        make(
            CommandId.BIND_TRANSCEIVER,
            sequence,
            system_id="fuzzer",
            password="pw",
            interface_version=0x34,
        )
    )


# ---- what the fuzzer sends -------------------------------------------------------------------

sequences = st.integers(0, 0xFFFFFFFF)
short_messages = st.binary(max_size=160)
request_templates = st.one_of(
    st.builds(
        lambda seq, text: make(
            CommandId.SUBMIT_SM, seq, destination_addr="447700900123", short_message=text
        ),
        sequences,
        short_messages,
    ),
    st.builds(lambda seq: Pdu(CommandId.ENQUIRE_LINK, seq), sequences),
    st.builds(lambda seq: make(CommandId.QUERY_SM, seq, message_id="m1"), sequences),
    st.builds(lambda seq: make(CommandId.CANCEL_SM, seq, message_id="m1"), sequences),
    st.builds(
        lambda seq: make(CommandId.DATA_SM, seq, tlvs={"message_payload": b"payload"}), sequences
    ),
    st.builds(lambda seq: make(CommandId.DELIVER_SM_RESP, seq), sequences),
    st.builds(lambda seq: make(CommandId.ALERT_NOTIFICATION, seq, source_addr="1"), sequences),
    st.builds(lambda seq: make(CommandId.OUTBIND, seq, system_id="x"), sequences),
    st.builds(lambda seq: Pdu(CommandId.GENERIC_NACK, seq, 3), sequences),
    st.builds(lambda seq: decode_or_self(bind_bytes(seq)), sequences),
    st.builds(
        lambda command_id, seq, body: Pdu(command_id, seq, 0, {"body": body}),
        st.integers(0, 0xFFFFFFFF),
        sequences,
        st.binary(max_size=32),
    ),
    st.builds(lambda seq: Pdu(CommandId.UNBIND, seq), sequences),
)


def decode_or_self(data: bytes) -> Pdu:
    reader = PduReader()
    reader.feed(data)
    pdu = reader.read()
    assert pdu is not None
    return pdu


@st.composite
def fuzzed_streams(draw: st.DrawFn) -> bytes:
    """Well-formed requests, then bit flips, cuts, splices, garbage and odd lengths."""
    if draw(st.integers(0, 9)) == 0:
        return draw(st.binary(min_size=1, max_size=300))
    stream = bytearray(
        b"".join(encode(pdu) for pdu in draw(st.lists(request_templates, min_size=1, max_size=5)))
    )
    for _ in range(draw(st.integers(0, 4))):
        position = draw(st.integers(0, max(0, len(stream) - 1)))
        operation = draw(st.sampled_from(["flip", "cut", "insert", "length"]))
        if operation == "flip" and stream:
            stream[position] ^= 1 << draw(st.integers(0, 7))
        elif operation == "cut":
            del stream[position : draw(st.integers(position, len(stream)))]
        elif operation == "insert":
            stream[position:position] = draw(st.binary(min_size=1, max_size=8))
        else:
            stream[position : position + 4] = struct.pack(">I", draw(st.integers(0, 400)))
    return bytes(stream) or b"\x00"


def filler_to_complete(stream: bytes) -> bytes:
    """Zero octets that complete a PDU the stream leaves half-sent (so the marker is read)."""
    mirror = PduReader()
    filler = b""
    data = stream
    while True:
        mirror.feed(data)
        while True:
            try:
                if mirror.read() is None:
                    break
            except ProtocolError as error:
                if error.fatal:
                    return filler
        left = mirror.buffered
        if left == 0:
            return filler
        pending = (stream + filler)[-left:]
        need = 16 - left if left < 16 else struct.unpack(">I", pending[:4])[0] - left
        if len(filler) + need > MAX_FILLER:
            return filler  # a huge claimed length: the marker is swallowed, as the model knows
        data = b"\x00" * need
        filler += data


# ---- the live server ---------------------------------------------------------------------------


@pytest.fixture
async def fuzz_server() -> AsyncIterator[tuple[SmppServer, list[dict[str, Any]]]]:
    loop_errors: list[dict[str, Any]] = []
    loop = asyncio.get_running_loop()
    previous = loop.get_exception_handler()
    loop.set_exception_handler(lambda _loop, context: loop_errors.append(context))
    server = SmppServer(EchoSmsc(), system_id=SMSC_ID, timeouts=SERVER_TIMEOUTS)
    await server.start("127.0.0.1", 0)
    yield server, loop_errors
    await server.close()
    loop.set_exception_handler(previous)


async def read_until_closed(reader: asyncio.StreamReader) -> bytes:
    received = b""
    try:
        while chunk := await reader.read(65536):
            received += chunk
    except ConnectionResetError:
        pass  # an abort after the answer; what arrived before it is in ``received``
    return received


async def exchange(port: int, bind_first: bool, fuzz: bytes) -> tuple[bytes, bytes, ModelSmsc]:
    """Send ``fuzz`` (and the marker) on a new connection.

    Returns what the server sent, what the model says it must send, and the model.
    """
    model = ModelSmsc()
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        expected = b""
        received = b""
        if bind_first:
            expected = model.feed(bind_bytes())
            writer.write(bind_bytes())
            received = await asyncio.wait_for(reader.readexactly(len(expected)), READ_DEADLINE)
        tail = fuzz + filler_to_complete(fuzz)
        tail += encode(Pdu(CommandId.ENQUIRE_LINK, MARKER_SEQUENCE))
        # One chunk, as the server most likely reads one write on loopback.
        expected += model.feed(tail)
        writer.write(tail)
        writer.write_eof()  # the server answers what it read, then closes
        received += await asyncio.wait_for(read_until_closed(reader), READ_DEADLINE)
        return received, expected, model
    finally:
        writer.close()
        with contextlib.suppress(ConnectionError):  # the server may have dropped it already
            await writer.wait_closed()


def check_answers_follow_the_specification(answers: bytes, model: ModelSmsc) -> None:
    reader = PduReader()
    reader.feed(answers)
    pdus = reader.read_all()  # a ProtocolError here: the server sent garbage
    assert reader.buffered == 0
    for pdu in pdus:
        assert is_response(pdu.command_id), pdu
        if pdu.command_id == CommandId.GENERIC_NACK:
            assert pdu.command_status in DECODER_STATUSES, pdu
    if model.closed_by is None and model.marker_answered:
        assert Pdu(CommandId.ENQUIRE_LINK_RESP, MARKER_SEQUENCE) in pdus


def sorted_pdus(data: bytes) -> list[bytes]:
    reader = PduReader()
    reader.feed(data)
    return sorted(encode(pdu) for pdu in reader.read_all())


async def check_a_new_client_is_served(port: int) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        writer.write(bind_bytes(1))
        bind_answer = await asyncio.wait_for(
            reader.readexactly(16 + len(SMSC_ID) + 1), READ_DEADLINE
        )
        writer.write(encode(make(CommandId.SUBMIT_SM, 2, short_message=b"still alive")))
        writer.write(encode(Pdu(CommandId.UNBIND, 3)))
        answers = PduReader()
        answers.feed(bind_answer + await asyncio.wait_for(read_until_closed(reader), READ_DEADLINE))
        # The session answers unbind itself, before the handler answers the submit.
        by_command = {pdu.command_id: pdu for pdu in answers.read_all()}
        assert by_command[CommandId.BIND_TRANSCEIVER_RESP].command_status == 0
        assert by_command[CommandId.SUBMIT_SM_RESP].str_field("message_id") == "m2"
        assert by_command[CommandId.UNBIND_RESP] == Pdu(CommandId.UNBIND_RESP, 3)
        assert len(by_command) == 3
    finally:
        writer.close()
        await writer.wait_closed()


@settings(
    max_examples=500,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(bind_first=st.booleans(), fuzz=fuzzed_streams())
async def test_a_live_server_answers_fuzzed_streams_per_the_spec_and_keeps_serving(
    fuzz_server: tuple[SmppServer, list[dict[str, Any]]], bind_first: bool, fuzz: bytes
) -> None:
    server, loop_errors = fuzz_server
    answers, expected, model = await exchange(server.port, bind_first, fuzz)
    note_event(f"closed by {model.closed_by}" if model.closed_by else "connection kept")
    note_event("marker answered" if model.marker_answered else "marker swallowed")
    check_answers_follow_the_specification(answers, model)
    # Answers may leave in another order than their requests (the session answers
    # enquire_link at once, the handler answers the rest just after): compare as sets.
    assert sorted_pdus(answers) == sorted_pdus(expected)
    await check_a_new_client_is_served(server.port)
    assert loop_errors == []


async def test_a_framing_error_is_answered_then_the_connection_closed(
    fuzz_server: tuple[SmppServer, list[dict[str, Any]]],
) -> None:
    server, loop_errors = fuzz_server
    bad_length = struct.pack(">IIII", 8, CommandId.SUBMIT_SM, 0, 77)
    answers, expected, model = await exchange(server.port, True, bad_length + b"trailing")
    assert answers == expected
    assert model.closed_by == "framing"
    pdus = PduReader()
    pdus.feed(answers)
    assert pdus.read_all()[-1] == Pdu(CommandId.GENERIC_NACK, 77, CommandStatus.ESME_RINVCMDLEN)
    await check_a_new_client_is_served(server.port)
    assert loop_errors == []


async def test_an_oversized_command_length_closes_the_connection_before_the_body(
    fuzz_server: tuple[SmppServer, list[dict[str, Any]]],
) -> None:
    server, loop_errors = fuzz_server
    reader, writer = await asyncio.open_connection("127.0.0.1", server.port)
    writer.write(struct.pack(">IIII", 0x7FFFFFFF, CommandId.SUBMIT_SM, 0, 5))
    answers = PduReader()
    answers.feed(await asyncio.wait_for(read_until_closed(reader), READ_DEADLINE))
    assert answers.read_all() == [Pdu(CommandId.GENERIC_NACK, 5, CommandStatus.ESME_RINVCMDLEN)]
    writer.close()
    await writer.wait_closed()
    await check_a_new_client_is_served(server.port)
    assert loop_errors == []


async def test_an_unknown_command_on_a_bound_session_is_nacked_and_the_bind_survives(
    fuzz_server: tuple[SmppServer, list[dict[str, Any]]],
) -> None:
    server, _ = fuzz_server
    vendor_command = Pdu(0x00010099, 40, 0, {"body": b"\x01\x02\x03"})
    submit = make(CommandId.SUBMIT_SM, 41, short_message=b"after")
    answers, _, _ = await exchange(server.port, True, encode(vendor_command) + encode(submit))
    pdus = PduReader()
    pdus.feed(answers)
    bind, *rest = pdus.read_all()
    assert bind.command_id == CommandId.BIND_TRANSCEIVER_RESP
    by_command = {pdu.command_id: pdu for pdu in rest}
    assert len(rest) == len(by_command) == 3
    assert by_command[CommandId.GENERIC_NACK] == Pdu(
        CommandId.GENERIC_NACK, 40, CommandStatus.ESME_RINVCMDID
    )
    assert by_command[CommandId.SUBMIT_SM_RESP].str_field("message_id") == "m41"
    assert by_command[CommandId.ENQUIRE_LINK_RESP].sequence_number == MARKER_SEQUENCE
