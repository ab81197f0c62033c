"""A sans-IO SMPP session: bind state, sequence numbers, window, timers. No sockets.

The session is fed received bytes with :meth:`Session.receive_data` and returns events;
what it wants sent accumulates and is taken with :meth:`Session.data_to_send`. Time is
passed in (``now``, seconds on any monotonic clock), so the whole state machine is tested
without a network or a real clock.

What the session does by itself, because the specification leaves no choice:

* answers ``enquire_link`` and ``unbind``;
* answers a request that is not allowed in the current bind state with
  ``ESME_RINVBNDSTS``, and an unknown or wrong-direction command with ``generic_nack``
  ``ESME_RINVCMDID`` — the bind survives both;
* answers a malformed request with ``generic_nack`` carrying the decoder's status; after a
  framing error (bad command_length) it answers and reports :class:`ConnectionFailed`,
  since nothing later on the stream can be read.

Everything else (a submit_sm to an SMSC, a deliver_sm to an ESME, a bind to an SMSC) is
handed to the application as :class:`RequestReceived`, which answers it with
:meth:`Session.send_response` whenever it is ready.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from parcelsms.errors import NotBoundError, ProtocolError
from parcelsms.protocol.smpp.codec import DEFAULT_MAX_PDU_LENGTH, PduReader
from parcelsms.protocol.smpp.constants import (
    CommandId,
    CommandStatus,
    is_response,
    response_id_for,
)
from parcelsms.protocol.smpp.pdu import Pdu, encode
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
from parcelsms.protocol.smpp.tables import LAYOUTS

# Which requests each role may receive, and in which bind states.
_TX = frozenset({BindState.BOUND_TX, BindState.BOUND_TRX})
_RX = frozenset({BindState.BOUND_RX, BindState.BOUND_TRX})
_ANY_BOUND = _TX | _RX
_ACCEPTED_BY_SMSC: dict[int, frozenset[BindState]] = {
    CommandId.SUBMIT_SM: _TX,
    CommandId.DATA_SM: _ANY_BOUND,
    CommandId.QUERY_SM: _TX,
    CommandId.CANCEL_SM: _TX,
    CommandId.REPLACE_SM: _TX,
    CommandId.SUBMIT_MULTI: _TX,
}
_ACCEPTED_BY_ESME: dict[int, frozenset[BindState]] = {
    CommandId.DELIVER_SM: _RX,
    CommandId.DATA_SM: _ANY_BOUND,
    CommandId.ALERT_NOTIFICATION: _RX,
    CommandId.OUTBIND: frozenset({BindState.OPEN}),
}
_BINDS: dict[int, BindState] = {
    CommandId.BIND_TRANSMITTER: BindState.BOUND_TX,
    CommandId.BIND_RECEIVER: BindState.BOUND_RX,
    CommandId.BIND_TRANSCEIVER: BindState.BOUND_TRX,
}
_BIND_RESPONSES = {response_id_for(k): v for k, v in _BINDS.items()}
# Requests that pass through a full window: a session must always be able to probe its link
# and to leave.
_CONTROL = frozenset({CommandId.ENQUIRE_LINK, CommandId.UNBIND})
_MAX_SEQUENCE = 0x7FFFFFFF
_NO_RESPONSE = frozenset({CommandId.ALERT_NOTIFICATION, CommandId.OUTBIND})


class WindowFullError(Exception):
    """The window of outstanding requests is full. Callers wait for a slot first."""


@dataclass(init=False)
class _Outstanding:
    pdu: Pdu
    deadline: float

    # Written out, not the dataclass's: compiled (parcelsms.compiled_modules).
    def __init__(self, pdu: Pdu, deadline: float) -> None:
        self.pdu = pdu
        self.deadline = deadline


@dataclass
class Session:
    """One SMPP session, either side. Not thread-safe; drive it from one task."""

    role: Role
    window: int = 100
    timeouts: SmppTimeouts = field(default_factory=SmppTimeouts)
    max_pdu_length: int = DEFAULT_MAX_PDU_LENGTH
    now: float = 0.0
    state: BindState = BindState.OPEN
    peer_system_id: str = ""

    def __post_init__(self) -> None:
        self._reader = PduReader(self.max_pdu_length)
        self._outgoing: list[bytes] = []
        self._outstanding: dict[int, _Outstanding] = {}
        self._sequence = 0
        self._last_received = self.now
        self._last_sent = self.now
        self._opened_at = self.now
        self._probe_outstanding = False
        self._control_in_flight = 0

    # ---- sending -------------------------------------------------------------------

    @property
    def outstanding(self) -> int:
        """Requests sent and not yet answered (control requests excluded)."""
        return len(self._outstanding) - self._control_in_flight

    @property
    def window_open(self) -> bool:
        return self.outstanding < self.window

    @property
    def is_bound(self) -> bool:
        return self.state in _ANY_BOUND

    def next_sequence(self) -> int:
        self._sequence = 1 if self._sequence >= _MAX_SEQUENCE else self._sequence + 1
        return self._sequence

    def send_request(self, pdu: Pdu) -> int:
        """Queue a request; assigns its sequence number (returned) when it has none.

        Raises :class:`WindowFullError` when the window is full and
        :class:`NotBoundError` when the session is closed or not bound for this request.
        """
        command_id = pdu.command_id
        if self.state is BindState.CLOSED:
            raise NotBoundError("session is closed")
        control = command_id in _CONTROL
        if command_id in _BINDS:
            if self.state is not BindState.OPEN:
                raise NotBoundError(f"cannot bind in state {self.state.value}")
            self.state = BindState.BINDING
        elif not control and not self.is_bound:
            raise NotBoundError(f"not bound (state {self.state.value})")
        if not control and len(self._outstanding) - self._control_in_flight >= self.window:
            raise WindowFullError(f"{self.window} requests outstanding")
        if pdu.sequence_number == 0:
            pdu.sequence_number = self.next_sequence()
        if command_id == CommandId.UNBIND:
            self.state = BindState.UNBINDING
        if control:
            self._control_in_flight += 1
        timeout = self.timeouts.response or float("inf")
        self._outstanding[pdu.sequence_number] = _Outstanding(pdu, self.now + timeout)
        self._write(pdu)
        return pdu.sequence_number

    def send_response(
        self, request: Pdu, command_status: int = 0, **fields: int | str | bytes
    ) -> None:
        """Answer ``request``. For an SMSC answering a bind, status 0 completes the bind."""
        response = Pdu(
            response_id_for(request.command_id),
            request.sequence_number,
            command_status,
            dict(fields),
        )
        bind_state = _BINDS.get(request.command_id)
        if bind_state is not None and self.role is Role.SMSC:
            if command_status == 0:
                self.state = bind_state
                self.peer_system_id = request.str_field("system_id")
            elif "system_id" not in fields:
                response.fields = {}
        self._write(response)

    def send_pdu(self, pdu: Pdu) -> None:
        """Write any PDU as it is (tests and fault injection use this)."""
        self._write(pdu)

    def _write(self, pdu: Pdu) -> None:
        self._outgoing.append(encode(pdu))
        self._last_sent = self.now

    def data_to_send(self) -> bytes:
        """Everything queued for the peer since the last call."""
        if not self._outgoing:
            return b""
        data = b"".join(self._outgoing)
        self._outgoing.clear()
        return data

    def close(self) -> list[Pdu]:
        """Mark the session closed; returns the requests that never got an answer."""
        self.state = BindState.CLOSED
        pending = [entry.pdu for entry in self._outstanding.values()]
        self._outstanding.clear()
        self._control_in_flight = 0
        return pending

    # ---- receiving -----------------------------------------------------------------

    def receive_data(self, data: bytes, now: float | None = None) -> list[Event]:
        """Feed received bytes; returns the events they produced, in order."""
        if now is not None:
            self.now = now
        self._last_received = self.now
        self._probe_outstanding = False
        reader = self._reader
        reader.feed(data)
        events: list[Event] = []
        while True:
            try:
                pdu = reader.read()
            except ProtocolError as error:
                if self._on_malformed(error, events):
                    continue
                return events
            if pdu is None:
                return events
            if is_response(pdu.command_id):
                self._on_response(pdu, events)
            else:
                self._on_request(pdu, events)

    def _on_malformed(self, error: ProtocolError, events: list[Event]) -> bool:
        """Answer a malformed PDU. Returns False when the stream is lost."""
        command_id = error.command_id or 0
        sequence = error.sequence_number or 0
        if is_response(command_id):
            # A garbled response still answers its request: resolve it as failed with
            # the decoder's status instead of leaving it to time out.
            entry = self._outstanding.pop(sequence, None)
            if entry is not None:
                self._note_answered(entry.pdu)
                nack = Pdu(CommandId.GENERIC_NACK, sequence, error.command_status)
                events.append(ResponseReceived(nack, entry.pdu, error))
        else:
            self._write(Pdu(CommandId.GENERIC_NACK, sequence, error.command_status))
        if error.fatal:
            self.state = BindState.CLOSED
            events.append(ConnectionFailed(str(error), error))
            return False
        return True

    def _nack(self, sequence_number: int, command_status: int) -> None:
        self._write(Pdu(CommandId.GENERIC_NACK, sequence_number, command_status))

    def _note_answered(self, request: Pdu) -> None:
        if request.command_id in _CONTROL:
            self._control_in_flight -= 1

    def _on_response(self, pdu: Pdu, events: list[Event]) -> None:
        entry = self._outstanding.pop(pdu.sequence_number, None)
        if entry is None:
            return  # late (already timed out) or unsolicited: nothing waits for it
        request = entry.pdu
        self._note_answered(request)
        command_id = pdu.command_id
        if command_id in _BIND_RESPONSES and self.state is BindState.BINDING:
            if pdu.command_status == 0:
                self.state = _BIND_RESPONSES[command_id]
                self.peer_system_id = pdu.str_field("system_id")
                events.append(Bound(self.state, self.peer_system_id))
            else:
                self.state = BindState.OPEN
        elif command_id == CommandId.GENERIC_NACK and request.command_id in _BINDS:
            self.state = BindState.OPEN
        elif command_id == CommandId.UNBIND_RESP:
            self.state = BindState.CLOSED
            events.append(Unbound())
        events.append(ResponseReceived(pdu, request))

    def _on_request(self, pdu: Pdu, events: list[Event]) -> None:
        command_id = pdu.command_id
        if command_id == CommandId.ENQUIRE_LINK:
            self.send_response(pdu)
            return
        if command_id == CommandId.UNBIND:
            self.send_response(pdu)
            self.state = BindState.CLOSED
            events.append(Unbound())
            return
        if command_id not in LAYOUTS:
            self._write(
                Pdu(CommandId.GENERIC_NACK, pdu.sequence_number, CommandStatus.ESME_RINVCMDID)
            )
            return
        if self.role is Role.SMSC:
            if command_id in _BINDS:
                if self.state is not BindState.OPEN:
                    self.send_response(pdu, CommandStatus.ESME_RALYBND)
                    return
                events.append(RequestReceived(pdu))
                return
            allowed = _ACCEPTED_BY_SMSC.get(command_id)
        else:
            allowed = _ACCEPTED_BY_ESME.get(command_id)
        if allowed is None:
            self._write(
                Pdu(CommandId.GENERIC_NACK, pdu.sequence_number, CommandStatus.ESME_RINVCMDID)
            )
            return
        if self.state not in allowed:
            if command_id in _NO_RESPONSE:
                return  # SMPP 3.4 defines no response PDU to answer them with
            self.send_response(pdu, CommandStatus.ESME_RINVBNDSTS)
            return
        events.append(RequestReceived(pdu))

    # ---- timers --------------------------------------------------------------------

    def tick(self, now: float) -> list[Event]:
        """Advance time: response timeouts, enquire_link probes, inactivity, bind timer."""
        self.now = now
        events: list[Event] = []
        if self.state is BindState.CLOSED:
            return events
        expired = [seq for seq, entry in self._outstanding.items() if entry.deadline <= now]
        for seq in expired:
            entry = self._outstanding.pop(seq)
            self._note_answered(entry.pdu)
            events.append(RequestTimedOut(entry.pdu))
        timeouts = self.timeouts
        silent_for = now - self._last_received
        if timeouts.inactivity and silent_for >= timeouts.inactivity:
            self.state = BindState.CLOSED
            events.append(ConnectionFailed(f"no data from the peer for {silent_for:.0f} s"))
            return events
        if (
            self.role is Role.ESME
            and timeouts.bind
            and self.state in (BindState.OPEN, BindState.BINDING)
            and now - self._opened_at >= timeouts.bind
        ):
            self.state = BindState.CLOSED
            events.append(ConnectionFailed("not bound within the bind timeout"))
            return events
        if (
            self.is_bound
            and timeouts.enquire_link_interval
            and not self._probe_outstanding
            and silent_for >= timeouts.enquire_link_interval
        ):
            self._probe_outstanding = True
            self.send_request(Pdu(CommandId.ENQUIRE_LINK))
        return events
