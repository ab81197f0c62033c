"""The thin asyncio layer over a :class:`Session`: one TCP connection, either side.

:class:`SmppConnection` is an ``asyncio.Protocol``: bytes from the socket go into the
session, the session's output goes to the socket. Writes are coalesced: every PDU queued
during one pass of the event loop leaves in a single ``transport.write`` (at thousands of
PDUs per second, one syscall per PDU is the bottleneck). Requests return futures that
always resolve — with the response, or with :class:`ResponseTimeoutError` or
:class:`ConnectionLostError` — so nothing waits forever on a dead link.

Received requests (submit_sm at an SMSC, deliver_sm at an ESME, binds at an SMSC) go to
the owner's ``on_request`` callback, which answers with :meth:`SmppConnection.respond`.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any, cast

from parcelsms.errors import ConnectionLostError, NotBoundError, ResponseTimeoutError
from parcelsms.protocol.smpp.pdu import Pdu
from parcelsms.protocol.smpp.session import Session
from parcelsms.protocol.smpp.session_events import (
    Bound,
    ConnectionFailed,
    Event,
    RequestReceived,
    RequestTimedOut,
    ResponseReceived,
    Unbound,
)

TICK_SECONDS = 0.25


class SmppConnection(asyncio.Protocol):
    """One SMPP connection. Owners: the ESME client and the SMSC server."""

    def __init__(
        self,
        session: Session,
        on_request: Callable[[SmppConnection, Pdu], None],
        on_closed: Callable[[SmppConnection, Exception | None], None] | None = None,
        on_bound: Callable[[SmppConnection], None] | None = None,
    ) -> None:
        self.session = session
        self._on_request = on_request
        self._on_closed = on_closed
        self._on_bound = on_bound
        self._loop = asyncio.get_running_loop()
        self._transport: asyncio.Transport | None = None
        self._futures: dict[int, asyncio.Future[Pdu]] = {}
        self._flush_scheduled = False
        self._ticker: asyncio.TimerHandle | None = None
        self.closed: asyncio.Future[None] = self._loop.create_future()
        self.peername: Any = None
        self._abort_reason: Exception | None = None
        # Responses read so far: an owner tells by it whether one came between two requests.
        self.responses_received = 0
        # Sees every event the session reports, before they are handled (tests and protocol
        # traces: the session's methods cannot be wrapped once the module is compiled).
        self.observer: Callable[[Event], None] | None = None

    # ---- asyncio.Protocol ----------------------------------------------------------

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        # uvloop's transports do not subclass asyncio.Transport, but provide its API.
        self._transport = cast(asyncio.Transport, transport)
        self.peername = transport.get_extra_info("peername")
        now = self._loop.time()
        self.session.now = now
        self.session._last_received = now  # timers count from the connection's start
        self.session._opened_at = now
        self._ticker = self._loop.call_later(TICK_SECONDS, self._tick)

    def data_received(self, data: bytes) -> None:
        events = self.session.receive_data(data, self._loop.time())
        if self.observer is not None:
            for event in events:
                self.observer(event)
        for event in events:
            if isinstance(event, ResponseReceived):
                self.responses_received += 1
                future = self._futures.pop(event.request.sequence_number, None)
                if future is not None and not future.done():
                    if event.error is not None:
                        future.set_exception(event.error)  # answered, but unreadably
                    else:
                        future.set_result(event.pdu)
            elif isinstance(event, RequestReceived):
                self._on_request(self, event.pdu)
            elif isinstance(event, Bound):
                if self._on_bound is not None:
                    self._on_bound(self)
            elif isinstance(event, Unbound):
                self._schedule_flush()
                self._loop.call_soon(self.close)
            elif isinstance(event, ConnectionFailed):
                self._flush()
                self.abort(ConnectionLostError(event.reason))
                return
        self._schedule_flush()

    def connection_lost(self, exc: Exception | None) -> None:
        self._transport = None
        if self._ticker is not None:
            self._ticker.cancel()
        pending = self.session.close()
        # asyncio reports an abort as a clean loss (exc None); keep why we aborted.
        cause = exc or self._abort_reason
        error = ConnectionLostError(
            f"connection lost with {len(pending)} request(s) in flight: outcome unknown"
            + (f" ({cause})" if cause is not None else "")
        )
        for future in self._futures.values():
            if not future.done():
                future.set_exception(error)
        self._futures.clear()
        if not self.closed.done():
            self.closed.set_result(None)
        if self._on_closed is not None:
            self._on_closed(self, cause)

    # ---- sending -------------------------------------------------------------------

    @property
    def is_open(self) -> bool:
        return self._transport is not None and not self._transport.is_closing()

    def send_request(self, pdu: Pdu) -> asyncio.Future[Pdu]:
        """Send a request now; the future resolves with its response.

        Raises ``WindowFullError`` / ``NotBoundError`` synchronously, like the session.
        """
        if self._transport is None:
            raise NotBoundError("connection is closed")
        self.session.now = self._loop.time()
        sequence = self.session.send_request(pdu)
        future: asyncio.Future[Pdu] = self._loop.create_future()
        self._futures[sequence] = future
        self._schedule_flush()
        return future

    def respond(self, request: Pdu, command_status: int = 0, **fields: int | str | bytes) -> None:
        """Answer a received request (no-op when the connection is gone)."""
        if self._transport is None:
            return
        self.session.now = self._loop.time()
        self.session.send_response(request, command_status, **fields)
        self._schedule_flush()

    def send_raw(self, data: bytes) -> None:
        """Write bytes as they are (fault injection in tests and the simulator)."""
        if self._transport is not None:
            self._flush()
            self._transport.write(data)

    def _schedule_flush(self) -> None:
        if not self._flush_scheduled:
            self._flush_scheduled = True
            self._loop.call_soon(self._flush)

    def _flush(self) -> None:
        self._flush_scheduled = False
        data = self.session.data_to_send()
        if data and self._transport is not None:
            self._transport.write(data)

    def _tick(self) -> None:
        for event in self.session.tick(self._loop.time()):
            if isinstance(event, RequestTimedOut):
                future = self._futures.pop(event.request.sequence_number, None)
                if future is not None and not future.done():
                    future.set_exception(
                        ResponseTimeoutError(f"no response to {event.request.name}")
                    )
            elif isinstance(event, ConnectionFailed):
                self.abort(ConnectionLostError(event.reason))
                return
        self._flush()
        if self._transport is not None:
            self._ticker = self._loop.call_later(TICK_SECONDS, self._tick)

    # ---- closing -------------------------------------------------------------------

    def close(self) -> None:
        """Flush what is queued and close the socket."""
        if self._transport is not None:
            self._flush()
            self._transport.close()

    def abort(self, reason: Exception | None = None) -> None:
        """Drop the connection at once (what a crashed peer looks like).

        ``reason`` is handed to the owner's ``on_closed`` callback.
        """
        if self._transport is not None:
            if self._abort_reason is None:
                self._abort_reason = reason
            self._transport.abort()
