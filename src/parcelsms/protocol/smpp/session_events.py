"""What an SMPP session reports, and the states and timers it is configured with.

:class:`~parcelsms.protocol.smpp.session.Session` returns these events from
``receive_data`` and ``tick``; the asyncio connection turns them into futures and callbacks.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

from parcelsms.errors import ProtocolError
from parcelsms.protocol.smpp.pdu import Pdu


class Role(Enum):
    ESME = "esme"  # the platform's side: binds, submits
    SMSC = "smsc"  # the carrier's side: accepts binds, delivers receipts


class BindState(Enum):
    OPEN = "open"  # connected, not bound
    BINDING = "binding"  # bind sent (ESME) and not yet answered
    BOUND_TX = "bound_tx"
    BOUND_RX = "bound_rx"
    BOUND_TRX = "bound_trx"
    UNBINDING = "unbinding"
    CLOSED = "closed"


@dataclass(frozen=True, slots=True)
class SmppTimeouts:
    """Timers of a session, in seconds. ``0`` switches a timer off."""

    response: float = 10.0  # a request not answered by then resolves as timed out
    enquire_link_interval: float = 30.0  # probe the link after this much silence
    inactivity: float = 120.0  # give up a connection silent for this long
    bind: float = 10.0  # an ESME must be bound this soon after connecting


@dataclass(init=False, slots=True)
class RequestReceived:
    """The peer sent a request the application must answer (or deliberately not)."""

    pdu: Pdu

    # Written out, not the dataclass's: compiled (parcelsms.compiled_modules).
    def __init__(
        self,
        pdu: Pdu,
    ) -> None:
        self.pdu = pdu


@dataclass(init=False, slots=True)
class ResponseReceived:
    """A response (or generic_nack) matched to the request it answers.

    ``error`` is set when the response could not be decoded: ``pdu`` is then a
    generic_nack made up from the decoder's status, and the request's outcome at the
    peer is unknown (the peer answered, but what it said is unreadable).
    """

    pdu: Pdu
    request: Pdu
    error: ProtocolError | None = None

    # Written out, not the dataclass's: compiled (parcelsms.compiled_modules).
    def __init__(
        self,
        pdu: Pdu,
        request: Pdu,
        error: ProtocolError | None = None,
    ) -> None:
        self.pdu = pdu
        self.request = request
        self.error = error


@dataclass(slots=True)
class RequestTimedOut:
    request: Pdu


@dataclass(slots=True)
class Bound:
    """The bind completed (either side). ``system_id`` is the peer's (or ours, on SMSC)."""

    state: BindState
    system_id: str


@dataclass(slots=True)
class Unbound:
    """The peer asked to unbind (already answered) or answered our unbind."""


@dataclass(slots=True)
class ConnectionFailed:
    """The connection must be closed: a framing error or an inactivity timeout."""

    reason: str
    error: ProtocolError | None = None


Event = RequestReceived | ResponseReceived | RequestTimedOut | Bound | Unbound | ConnectionFailed
