"""The sans-IO session: bind states, sequence numbers, window and timers, with a fake clock."""

from __future__ import annotations

import pytest

from parcelsms.errors import NotBoundError
from parcelsms.protocol.smpp.codec import PduReader
from parcelsms.protocol.smpp.constants import CommandId, CommandStatus
from parcelsms.protocol.smpp.pdu import Pdu, encode, make
from parcelsms.protocol.smpp.session import Session, WindowFullError
from parcelsms.protocol.smpp.session_events import (
    BindState,
    Bound,
    ConnectionFailed,
    Event,
    RequestReceived,
    RequestTimedOut,
    ResponseReceived,
    Role,
    SmppTimeouts,
    Unbound,
)

TIMEOUTS = SmppTimeouts(response=5.0, enquire_link_interval=30.0, inactivity=90.0, bind=10.0)


def sent_pdus(session: Session) -> list[Pdu]:
    """Decode what the session wants to send (and take it)."""
    reader = PduReader()
    reader.feed(session.data_to_send())
    return reader.read_all()


def bind_pair(
    bind: CommandId = CommandId.BIND_TRANSCEIVER, window: int = 10
) -> tuple[Session, Session]:
    """An ESME and an SMSC session, bound to each other at time 0."""
    esme = Session(Role.ESME, window=window, timeouts=TIMEOUTS)
    smsc = Session(Role.SMSC, window=window, timeouts=TIMEOUTS)
    esme.send_request(make(bind, system_id="shop", password="pw", interface_version=0x34))
    events = smsc.receive_data(esme.data_to_send(), now=0.0)
    assert len(events) == 1
    assert isinstance(events[0], RequestReceived)
    smsc.send_response(events[0].pdu, 0, system_id="SMSC")
    esme_events = esme.receive_data(smsc.data_to_send(), now=0.0)
    assert isinstance(esme_events[0], Bound)
    return esme, smsc


def submit() -> Pdu:
    return make(CommandId.SUBMIT_SM, destination_addr="447700900123", short_message=b"hi")


def deliver_bytes(sequence: int) -> bytes:
    return encode(make(CommandId.DELIVER_SM, sequence, short_message=b"id:1 stat:DELIVRD"))


# ---- binding -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("bind", "state"),
    [
        (CommandId.BIND_TRANSMITTER, BindState.BOUND_TX),
        (CommandId.BIND_RECEIVER, BindState.BOUND_RX),
        (CommandId.BIND_TRANSCEIVER, BindState.BOUND_TRX),
    ],
)
def test_a_bind_handshake_binds_both_sides(bind: CommandId, state: BindState) -> None:
    esme, smsc = bind_pair(bind)
    assert esme.state is state
    assert smsc.state is state
    assert esme.peer_system_id == "SMSC"
    assert smsc.peer_system_id == "shop"


def test_a_refused_bind_returns_the_esme_to_open_and_the_answer_has_no_body() -> None:
    esme = Session(Role.ESME, timeouts=TIMEOUTS)
    smsc = Session(Role.SMSC, timeouts=TIMEOUTS)
    esme.send_request(make(CommandId.BIND_TRANSMITTER, system_id="shop", password="bad"))
    [request] = smsc.receive_data(esme.data_to_send())
    assert isinstance(request, RequestReceived)
    smsc.send_response(request.pdu, CommandStatus.ESME_RINVPASWD)
    answer = smsc.data_to_send()
    assert len(answer) == 16  # section 4.1.2: no body on an error
    [event] = esme.receive_data(answer)
    assert isinstance(event, ResponseReceived)
    assert event.pdu.command_status == CommandStatus.ESME_RINVPASWD
    assert esme.state is BindState.OPEN
    assert smsc.state is BindState.OPEN


def test_a_generic_nack_to_a_bind_returns_the_esme_to_open() -> None:
    esme = Session(Role.ESME, timeouts=TIMEOUTS)
    sequence = esme.send_request(make(CommandId.BIND_TRANSCEIVER, system_id="shop"))
    esme.receive_data(encode(Pdu(CommandId.GENERIC_NACK, sequence, CommandStatus.ESME_RINVCMDID)))
    assert esme.state is BindState.OPEN


def test_a_second_bind_on_a_bound_session_is_answered_already_bound() -> None:
    _, smsc = bind_pair()
    bind_again = make(CommandId.BIND_TRANSMITTER, 77, system_id="shop")
    assert smsc.receive_data(encode(bind_again)) == []
    [answer] = sent_pdus(smsc)
    assert answer.command_id == CommandId.BIND_TRANSMITTER_RESP
    assert answer.command_status == CommandStatus.ESME_RALYBND
    assert answer.sequence_number == 77
    assert smsc.state is BindState.BOUND_TRX


def test_an_esme_cannot_bind_twice_or_send_before_binding() -> None:
    esme = Session(Role.ESME, timeouts=TIMEOUTS)
    with pytest.raises(NotBoundError):
        esme.send_request(submit())
    esme.send_request(make(CommandId.BIND_TRANSCEIVER, system_id="shop"))
    with pytest.raises(NotBoundError):
        esme.send_request(make(CommandId.BIND_TRANSCEIVER, system_id="shop"))


# ---- sequence numbers and window ------------------------------------------------------------


def test_sequence_numbers_start_at_one_and_increase() -> None:
    esme, _ = bind_pair()
    assert [esme.send_request(submit()) for _ in range(3)] == [2, 3, 4]


def test_sequence_numbers_wrap_from_0x7fffffff_back_to_1() -> None:
    session = Session(Role.ESME)
    session._sequence = 0x7FFFFFFE  # the edge, without two billion requests
    assert [session.next_sequence() for _ in range(3)] == [0x7FFFFFFF, 1, 2]


def test_a_request_keeps_a_sequence_number_it_already_has() -> None:
    esme, _ = bind_pair()
    assert esme.send_request(make(CommandId.SUBMIT_SM, 1234)) == 1234


def test_the_window_is_enforced_and_control_requests_pass_a_full_window() -> None:
    esme, smsc = bind_pair(window=2)
    first = esme.send_request(submit())
    esme.send_request(submit())
    assert not esme.window_open
    with pytest.raises(WindowFullError):
        esme.send_request(submit())
    probe = esme.send_request(Pdu(CommandId.ENQUIRE_LINK))
    assert esme.outstanding == 2  # control requests do not take a slot
    smsc.receive_data(esme.data_to_send())
    smsc.send_response(make(CommandId.SUBMIT_SM, first), 0, message_id="a")
    events = esme.receive_data(smsc.data_to_send())
    # enquire_link was answered by the SMSC session itself; one submit answered by us.
    assert {
        event.request.sequence_number for event in events if isinstance(event, ResponseReceived)
    } == {first, probe}
    assert esme.window_open
    esme.send_request(submit())
    esme.send_request(Pdu(CommandId.UNBIND))
    assert esme.state is BindState.UNBINDING


def test_an_smsc_window_counts_its_own_deliver_sm() -> None:
    _, smsc = bind_pair(window=1)
    smsc.send_request(make(CommandId.DELIVER_SM, short_message=b"x"))
    with pytest.raises(WindowFullError):
        smsc.send_request(make(CommandId.DELIVER_SM, short_message=b"y"))


# ---- timers ----------------------------------------------------------------------------------


def test_an_unanswered_request_times_out_and_frees_its_slot() -> None:
    esme, _ = bind_pair(window=1)
    esme.now = 1.0
    sequence = esme.send_request(submit())
    assert esme.tick(5.9) == []
    [event] = esme.tick(6.0)
    assert isinstance(event, RequestTimedOut)
    assert event.request.sequence_number == sequence
    assert esme.outstanding == 0
    # The late answer is ignored: nothing waits for it any more.
    assert (
        esme.receive_data(encode(make(CommandId.SUBMIT_SM_RESP, sequence, message_id="x")), 7.0)
        == []
    )


def test_an_enquire_link_is_sent_after_silence_and_only_once() -> None:
    esme, _ = bind_pair()
    esme.data_to_send()
    assert esme.tick(29.0) == []
    assert esme.data_to_send() == b""
    esme.tick(30.0)
    [probe] = sent_pdus(esme)
    assert probe.command_id == CommandId.ENQUIRE_LINK
    esme.tick(31.0)
    assert esme.data_to_send() == b""  # one probe until the peer says something
    events = esme.receive_data(
        encode(Pdu(CommandId.ENQUIRE_LINK_RESP, probe.sequence_number)), 32.0
    )
    assert [type(event) for event in events] == [ResponseReceived]
    esme.tick(61.0)
    assert esme.data_to_send() == b""
    esme.tick(62.0)
    assert [pdu.command_id for pdu in sent_pdus(esme)] == [CommandId.ENQUIRE_LINK]


def test_a_silent_peer_fails_the_connection_after_the_inactivity_timeout() -> None:
    esme, _ = bind_pair()
    events: list[Event] = []
    for second in range(1, 91):
        events += esme.tick(float(second))
    assert isinstance(events[-1], ConnectionFailed)
    assert "no data" in events[-1].reason
    assert esme.state is BindState.CLOSED
    assert esme.tick(200.0) == []


def test_an_esme_not_bound_within_the_bind_timeout_fails() -> None:
    esme = Session(Role.ESME, timeouts=TIMEOUTS)
    esme.send_request(make(CommandId.BIND_TRANSCEIVER, system_id="shop"))
    events = esme.tick(10.0)
    assert any(isinstance(event, ConnectionFailed) for event in events)
    assert esme.state is BindState.CLOSED


def test_timers_set_to_zero_are_off() -> None:
    session = Session(Role.ESME, timeouts=SmppTimeouts(0, 0, 0, 0))
    assert session.tick(10_000.0) == []
    assert session.state is BindState.OPEN


# ---- what the session answers by itself --------------------------------------------------------


def test_enquire_link_is_answered_by_the_session() -> None:
    esme, _ = bind_pair()
    assert esme.receive_data(encode(Pdu(CommandId.ENQUIRE_LINK, 9))) == []
    assert sent_pdus(esme) == [Pdu(CommandId.ENQUIRE_LINK_RESP, 9)]


def test_an_unbind_from_the_peer_is_answered_and_closes_the_session() -> None:
    esme, _ = bind_pair()
    events = esme.receive_data(encode(Pdu(CommandId.UNBIND, 12)))
    assert [type(event) for event in events] == [Unbound]
    assert sent_pdus(esme) == [Pdu(CommandId.UNBIND_RESP, 12)]
    assert esme.state is BindState.CLOSED
    with pytest.raises(NotBoundError):
        esme.send_request(submit())


def test_our_unbind_answered_closes_the_session() -> None:
    esme, smsc = bind_pair()
    esme.send_request(Pdu(CommandId.UNBIND))
    smsc_events = smsc.receive_data(esme.data_to_send())
    assert [type(event) for event in smsc_events] == [Unbound]
    events = esme.receive_data(smsc.data_to_send())
    assert [type(event) for event in events] == [Unbound, ResponseReceived]
    assert esme.state is BindState.CLOSED
    assert smsc.state is BindState.CLOSED


def test_an_unknown_command_is_nacked_and_the_bind_survives() -> None:
    _, smsc = bind_pair()
    unknown = Pdu(0x00000099, 21, 0, {"body": b"\x01\x02"})
    assert smsc.receive_data(encode(unknown)) == []
    assert sent_pdus(smsc) == [Pdu(CommandId.GENERIC_NACK, 21, CommandStatus.ESME_RINVCMDID)]
    assert smsc.state is BindState.BOUND_TRX
    [event] = smsc.receive_data(encode(make(CommandId.SUBMIT_SM, 22, short_message=b"x")))
    assert isinstance(event, RequestReceived)


@pytest.mark.parametrize("command_id", [CommandId.REPLACE_SM, CommandId.SUBMIT_MULTI])
def test_unsupported_commands_are_nacked_invalid_command_id(command_id: int) -> None:
    _, smsc = bind_pair()
    smsc.receive_data(encode(Pdu(command_id, 5, 0, {"body": b"\x00" * 20})))
    assert sent_pdus(smsc) == [Pdu(CommandId.GENERIC_NACK, 5, CommandStatus.ESME_RINVCMDID)]


def test_a_request_in_the_wrong_direction_is_nacked_invalid_command_id() -> None:
    esme, _ = bind_pair()
    esme.receive_data(encode(make(CommandId.SUBMIT_SM, 5, short_message=b"x")))
    assert sent_pdus(esme) == [Pdu(CommandId.GENERIC_NACK, 5, CommandStatus.ESME_RINVCMDID)]
    assert esme.is_bound


@pytest.mark.parametrize(
    ("bind", "request_pdu", "response_id"),
    [
        (None, make(CommandId.SUBMIT_SM, 5, short_message=b"x"), CommandId.SUBMIT_SM_RESP),
        (CommandId.BIND_RECEIVER, make(CommandId.SUBMIT_SM, 5), CommandId.SUBMIT_SM_RESP),
        (CommandId.BIND_RECEIVER, make(CommandId.QUERY_SM, 5), CommandId.QUERY_SM_RESP),
        (CommandId.BIND_RECEIVER, make(CommandId.CANCEL_SM, 5), CommandId.CANCEL_SM_RESP),
        (None, make(CommandId.DATA_SM, 5), CommandId.DATA_SM_RESP),
    ],
)
def test_an_smsc_answers_requests_in_the_wrong_bind_state_with_invalid_bind_status(
    bind: CommandId | None, request_pdu: Pdu, response_id: int
) -> None:
    if bind is None:
        smsc = Session(Role.SMSC, timeouts=TIMEOUTS)
    else:
        _, smsc = bind_pair(bind)
    assert smsc.receive_data(encode(request_pdu)) == []
    assert sent_pdus(smsc) == [Pdu(response_id, 5, CommandStatus.ESME_RINVBNDSTS)]


def test_an_esme_bound_as_transmitter_answers_deliver_sm_with_invalid_bind_status() -> None:
    esme, _ = bind_pair(CommandId.BIND_TRANSMITTER)
    assert esme.receive_data(deliver_bytes(3)) == []
    assert sent_pdus(esme) == [Pdu(CommandId.DELIVER_SM_RESP, 3, CommandStatus.ESME_RINVBNDSTS)]


def test_a_receiver_hands_deliver_sm_to_the_application() -> None:
    esme, _ = bind_pair(CommandId.BIND_RECEIVER)
    [event] = esme.receive_data(deliver_bytes(3))
    assert isinstance(event, RequestReceived)
    assert event.pdu.bytes_field("short_message") == b"id:1 stat:DELIVRD"
    assert esme.data_to_send() == b""  # the application answers, not the session


def test_requests_without_a_response_get_none_in_the_wrong_state() -> None:
    esme, _ = bind_pair(CommandId.BIND_TRANSMITTER)
    alert = make(CommandId.ALERT_NOTIFICATION, 4, source_addr="1", esme_addr="2")
    outbind = make(CommandId.OUTBIND, 5, system_id="SMSC", password="pw")
    assert esme.receive_data(encode(alert) + encode(outbind)) == []
    assert esme.data_to_send() == b""  # neither has a response PDU in SMPP 3.4


def test_an_outbind_to_an_unbound_esme_is_handed_to_the_application() -> None:
    esme = Session(Role.ESME, timeouts=TIMEOUTS)
    [event] = esme.receive_data(encode(make(CommandId.OUTBIND, 5, system_id="SMSC")))
    assert isinstance(event, RequestReceived)


# ---- malformed input ------------------------------------------------------------------------


def test_a_malformed_request_is_nacked_with_the_decoders_status_and_the_bind_survives() -> None:
    _, smsc = bind_pair()
    # A submit_sm whose body stops inside its first C-string.
    broken = bytes.fromhex("00000013 00000004 00000000 00000031") + b"abc"
    good = encode(make(CommandId.SUBMIT_SM, 50, short_message=b"ok"))
    events = smsc.receive_data(broken + good)
    assert sent_pdus(smsc) == [Pdu(CommandId.GENERIC_NACK, 0x31, CommandStatus.ESME_RINVCMDLEN)]
    assert [type(event) for event in events] == [RequestReceived]
    assert smsc.state is BindState.BOUND_TRX


def test_a_framing_error_is_nacked_and_fails_the_connection() -> None:
    _, smsc = bind_pair()
    events = smsc.receive_data(bytes.fromhex("00000008 00000004 00000000 00000033"))
    assert sent_pdus(smsc) == [Pdu(CommandId.GENERIC_NACK, 0x33, CommandStatus.ESME_RINVCMDLEN)]
    [event] = events
    assert isinstance(event, ConnectionFailed)
    assert event.error is not None
    assert event.error.fatal
    assert smsc.state is BindState.CLOSED


def test_a_malformed_response_resolves_its_request_instead_of_timing_out() -> None:
    esme, _ = bind_pair()
    sequence = esme.send_request(submit())
    esme.data_to_send()
    # submit_sm_resp whose message_id has no NUL within its 65 octets.
    body = b"9" * 70
    broken = (16 + len(body)).to_bytes(4, "big") + bytes.fromhex("80000004 00000000")
    events = esme.receive_data(broken + sequence.to_bytes(4, "big") + body)
    [event] = events
    assert isinstance(event, ResponseReceived)
    assert event.request.sequence_number == sequence
    assert event.pdu.command_id == CommandId.GENERIC_NACK
    assert event.pdu.command_status == CommandStatus.ESME_RINVPARLEN
    assert event.error is not None
    assert event.error.command_status == CommandStatus.ESME_RINVPARLEN
    assert esme.outstanding == 0
    assert esme.data_to_send() == b""  # a response is never answered
    assert not any(isinstance(event, RequestTimedOut) for event in esme.tick(6.0))


def test_a_response_nobody_waits_for_is_dropped() -> None:
    esme, _ = bind_pair()
    assert esme.receive_data(encode(make(CommandId.SUBMIT_SM_RESP, 999, message_id="x"))) == []
    assert esme.data_to_send() == b""


def test_close_returns_the_requests_that_never_got_an_answer() -> None:
    esme, _ = bind_pair()
    first = esme.send_request(submit())
    esme.send_request(Pdu(CommandId.ENQUIRE_LINK))
    pending = esme.close()
    assert {pdu.sequence_number for pdu in pending} == {first, first + 1}
    assert esme.outstanding == 0
    assert esme.state is BindState.CLOSED
    with pytest.raises(NotBoundError):
        esme.send_request(Pdu(CommandId.ENQUIRE_LINK))
