"""The asyncio SMPP client (ESME): bind, submit, receive, reconnect.

Contract of :class:`SmppClient`:

* ``await start()`` returns at once; a supervisor task connects, binds and keeps the bind
  up. After a lost connection the first attempt is made at once; then attempts back off
  exponentially with jitter. A carrier that cannot be reached (connection refused, timed
  out) is probed at least every ``probe_max_delay`` seconds, so a channel is bound again
  within about that long of its SMSC coming back; a carrier that refuses the bind itself is
  asked less and less often, up to ``reconnect_max_delay``.
  ``await wait_bound(timeout)`` waits for a bind.
* A bind whose responses stop coming is recycled: after ``recycle_after_timeouts``
  consecutive response timeouts the connection is closed (its requests in flight resolve
  as ``UNKNOWN``) and bound again, instead of being fed more submits.
* ``await submit(pdu)`` MUST always return a :class:`SubmitOutcome`; it never raises for a
  network problem and never hangs beyond the response timeout. It waits for a window slot
  (the window is enforced: never more than ``window`` requests in flight) and for the rate
  limiter. A request in flight when the connection dies resolves as ``UNKNOWN``; a submit
  made while not bound resolves as ``NOT_SENT`` at once, so the caller can fail over.
  Throttling answers (ESME_RTHROTTLED, ESME_RMSGQFUL) slow the limiter down and the same
  PDU is sent again, up to ``max_throttle_retries`` times, before ``REJECTED/THROTTLED``.
* Received deliver_sm / data_sm are passed to ``on_deliver`` and acknowledged only after it
  returns: with its status (``None`` = OK), or ``ESME_RX_T_APPN`` (temporary error, the SMSC
  redelivers later) when it raises — a receipt the platform could not store is never
  acknowledged as received.
* With ``on_deliver_batch`` instead, the deliver_sm / data_sm read one after another with no
  response between them are handed over together (:class:`_DeliverBatch`): one task and one
  call for a burst of receipts rather than one each. The handler returns one result per PDU,
  in order, each answered as above (an exception in its place: ``ESME_RX_T_APPN``; the
  handler raising: all of them). A batch ends at a response read after its first PDU: the
  handler runs when the loop gets to it, after what the responses before it started and
  before what those after it start, as a task per PDU did, so a channel that stamps
  responses and receipts in that order (:mod:`parcelsms.pipeline.receipts`) sees them in
  their order on the wire.
* ``await close()`` unbinds gracefully (waiting briefly for in-flight responses first).
"""

from __future__ import annotations

import asyncio
import contextlib
import random
from collections.abc import Awaitable, Callable, Coroutine, Sequence
from dataclasses import dataclass, field
from typing import Any

from parcelsms.errors import (
    BindRejectedError,
    ConnectionLostError,
    NotBoundError,
    ProtocolError,
    ResponseTimeoutError,
)
from parcelsms.protocol.smpp.connection import SmppConnection
from parcelsms.protocol.smpp.constants import (
    INTERFACE_VERSION_34,
    BindType,
    CommandId,
    CommandStatus,
    status_name,
)
from parcelsms.protocol.smpp.outcome import (
    StatusClass,
    SubmitOutcome,
    SubmitOutcomeKind,
    classify_status,
)
from parcelsms.protocol.smpp.pdu import Pdu
from parcelsms.protocol.smpp.rate_limit import RateLimiter
from parcelsms.protocol.smpp.session import Session, WindowFullError
from parcelsms.protocol.smpp.session_events import Role, SmppTimeouts
from parcelsms.task_cancellation import cancel_and_wait

DeliverHandler = Callable[[Pdu], Awaitable[int | None]]
DeliverBatchHandler = Callable[[Sequence[Pdu]], Awaitable[Sequence[int | Exception | None]]]
"""Answers deliver_sm / data_sm read together: one result per PDU, in order (a status,
``None`` = OK, or the exception that kept it from being handled)."""


class _DeliverBatch:
    """deliver_sm / data_sm of one connection read since the last response: handled together."""

    __slots__ = ("connection", "pdus", "responses")

    def __init__(self, connection: SmppConnection) -> None:
        self.connection = connection
        self.pdus: list[Pdu] = []
        self.responses = connection.responses_received


@dataclass(frozen=True, slots=True)
class SmppClientConfig:
    """Everything an ESME needs to bind to one SMSC."""

    host: str
    port: int
    system_id: str
    password: str
    system_type: str = ""
    bind_type: BindType = BindType.TRANSCEIVER
    window: int = 100
    tps: float | None = None
    timeouts: SmppTimeouts = field(default_factory=SmppTimeouts)
    reconnect_initial_delay: float = 0.05
    reconnect_max_delay: float = 30.0
    probe_max_delay: float = 0.5
    recycle_after_timeouts: int = 3
    max_throttle_retries: int = 20
    status_overrides: dict[int, StatusClass] = field(default_factory=dict)
    address_range: str = ""
    name: str = ""  # for logs: the channel name


class SmppClient:
    """One bind to one SMSC, kept up until :meth:`close`."""

    def __init__(
        self,
        config: SmppClientConfig,
        on_deliver: DeliverHandler | None = None,
        *,
        on_state: Callable[[str, str], None] | None = None,
        on_deliver_batch: DeliverBatchHandler | None = None,
    ) -> None:
        self.config = config
        self._on_deliver = on_deliver
        self._on_deliver_batch = on_deliver_batch
        self._open_batch: _DeliverBatch | None = None
        self._on_state = on_state
        self._connection: SmppConnection | None = None
        self._bound = asyncio.Event()
        self._stopping = False
        self._supervisor: asyncio.Task[None] | None = None
        self._handler_tasks: set[asyncio.Task[None]] = set()
        # Kept: asyncio.get_running_loop() costs a getpid() system call on Python 3.11.
        self._loop = asyncio.get_running_loop()
        self.limiter = RateLimiter(config.tps, burst=max(1.0, (config.tps or 1) / 50))
        # The window: every request future resolves (response, timeout or connection loss),
        # and each releases its slot, so the count stays right across reconnects.
        self._window = asyncio.Semaphore(config.window)
        self.connects = 0
        self.recycles = 0
        self.last_error = ""
        self._consecutive_timeouts = 0

    # ---- lifecycle -----------------------------------------------------------------

    async def start(self) -> None:
        """Start the connect/bind/reconnect supervisor (returns at once)."""
        if self._supervisor is None:
            self._stopping = False
            self._supervisor = asyncio.create_task(
                self._supervise(), name=f"smpp-client-{self.config.name}"
            )

    async def wait_bound(self, timeout: float | None = None) -> bool:
        """True once bound; False if ``timeout`` passes first."""
        try:
            await asyncio.wait_for(self._bound.wait(), timeout)
        except TimeoutError:
            return False
        return True

    @property
    def is_bound(self) -> bool:
        return self._bound.is_set()

    @property
    def requests_in_flight(self) -> int:
        """Requests sent on the current connection and not yet answered (window in use)."""
        connection = self._connection
        return 0 if connection is None else connection.session.outstanding

    async def close(self, drain_seconds: float = 2.0) -> None:
        """Unbind and disconnect; stop reconnecting."""
        self._stopping = True
        connection = self._connection
        if connection is not None and connection.is_open:
            deadline = asyncio.get_running_loop().time() + drain_seconds
            # Polling is fine here: it runs once, at shutdown, for at most drain_seconds.
            while connection.session.outstanding and asyncio.get_running_loop().time() < deadline:  # noqa: ASYNC110
                await asyncio.sleep(0.01)
            with contextlib.suppress(Exception):
                if connection.session.is_bound:
                    future = connection.send_request(Pdu(CommandId.UNBIND))
                    await asyncio.wait_for(future, 2.0)
            connection.close()
            with contextlib.suppress(Exception):
                await asyncio.wait_for(asyncio.shield(connection.closed), 2.0)
        if self._supervisor is not None:
            await cancel_and_wait(self._supervisor)
            self._supervisor = None
        for task in list(self._handler_tasks):
            with contextlib.suppress(Exception):
                await asyncio.wait_for(task, drain_seconds)
        self._bound.clear()  # a closed client may be started again (a channel's lease back)

    async def _supervise(self) -> None:
        config = self.config
        delay = 0.0  # the first attempt after a lost connection is made at once
        while not self._stopping:
            ceiling = config.probe_max_delay
            try:
                connection = await self._connect_and_bind()
            except BindRejectedError as error:
                # The carrier is up and says no: asking again every half second would not
                # change its mind, and may get the account barred.
                ceiling = config.reconnect_max_delay
                self.last_error = f"{type(error).__name__}: {error}"
                self._notify("connect_failed", self.last_error)
            except (OSError, ConnectionLostError, ResponseTimeoutError, NotBoundError) as error:
                self.last_error = f"{type(error).__name__}: {error}"
                self._notify("connect_failed", self.last_error)
            else:
                if self._stop_requested():
                    # close() came while this bind was under way, and the cancellation it
                    # sent may have been lost where an await completed at the same moment:
                    # leave now, never holding a session until the carrier times it out.
                    self._connection = None
                    self._bound.clear()
                    connection.close()
                    return
                self._consecutive_timeouts = 0
                self._notify("bound", "")
                await connection.closed
                self._bound.clear()
                self._connection = None
                if self._stop_requested():
                    return
                self._notify("disconnected", self.last_error)
                delay = 0.0
                continue
            if self._stop_requested():
                return
            delay = min(ceiling, max(config.reconnect_initial_delay, delay * 2))
            # Jitter over the upper half: channels reconnecting to one carrier after an
            # outage do not arrive in lockstep, and no gap exceeds the ceiling.
            await asyncio.sleep(random.uniform(delay / 2, delay))

    async def _connect_and_bind(self) -> SmppConnection:
        loop = asyncio.get_running_loop()
        config = self.config
        session = Session(Role.ESME, window=config.window, timeouts=config.timeouts)
        connect = loop.create_connection(
            lambda: SmppConnection(session, self._handle_request, self._handle_closed),
            config.host,
            config.port,
        )
        # asyncio.timeout, not wait_for: on Python 3.11, wait_for drops a cancellation that
        # arrives as the connection completes, and close() would then wait on a live session.
        async with asyncio.timeout(config.timeouts.bind or None):
            transport, protocol = await connect
        assert isinstance(protocol, SmppConnection)
        self.connects += 1
        try:
            bind = Pdu(
                int(config.bind_type),
                fields={
                    "system_id": config.system_id,
                    "password": config.password,
                    "system_type": config.system_type,
                    "interface_version": INTERFACE_VERSION_34,
                    "addr_ton": 0,
                    "addr_npi": 0,
                    "address_range": config.address_range,
                },
            )
            response = await protocol.send_request(bind)
        except BaseException:
            transport.abort()
            raise
        if response.command_status != 0 or not protocol.session.is_bound:
            # A generic_nack (even one claiming success) does not bind the session.
            status = response.command_status or CommandStatus.ESME_RBINDFAIL
            transport.abort()
            raise BindRejectedError(f"bind refused: {status_name(status)}", status)
        self._connection = protocol
        self._bound.set()
        return protocol

    def _stop_requested(self) -> bool:
        return self._stopping

    def _handle_closed(self, connection: SmppConnection, exc: Exception | None) -> None:
        if connection is self._connection:
            self._bound.clear()
            if exc is not None:
                self.last_error = str(exc)

    def _notify(self, state: str, detail: str) -> None:
        if self._on_state is not None:
            self._on_state(state, detail)

    # ---- submitting ----------------------------------------------------------------

    async def submit(self, pdu: Pdu) -> SubmitOutcome:
        """Send a submit_sm (or data_sm) and classify its answer. Never raises."""
        retries = 0
        while True:
            outcome = await self._submit_once(pdu)
            if (
                outcome.kind is SubmitOutcomeKind.REJECTED
                and outcome.status_class is StatusClass.THROTTLED
                and retries < self.config.max_throttle_retries
            ):
                retries += 1
                pdu.sequence_number = 0  # a resend is a new request
                continue
            return outcome

    async def _submit_once(self, pdu: Pdu) -> SubmitOutcome:
        if not self.is_bound:
            return SubmitOutcome(SubmitOutcomeKind.NOT_SENT, reason="not bound")
        async with self._window:
            # Book a rate slot only once a window slot is ours: thousands of waiting callers
            # must not each book a slot at a throttled rate and leave a long tail behind.
            await self.limiter.acquire()
            connection = self._connection
            if connection is None or not connection.session.is_bound:
                return SubmitOutcome(SubmitOutcomeKind.NOT_SENT, reason="not bound")
            try:
                future = connection.send_request(pdu)
            except (WindowFullError, NotBoundError) as error:
                return SubmitOutcome(SubmitOutcomeKind.NOT_SENT, reason=str(error))
            sent_at = self._loop.time()
            try:
                response = await future
            except ResponseTimeoutError as error:
                self._response_timed_out(connection)
                return SubmitOutcome(SubmitOutcomeKind.UNKNOWN, reason=str(error))
            except ConnectionLostError as error:
                return SubmitOutcome(SubmitOutcomeKind.UNKNOWN, reason=str(error))
            except ProtocolError as error:
                # The carrier answered but the answer is unreadable: it may have taken
                # the message, so this is neither an acceptance nor a rejection.
                return SubmitOutcome(
                    SubmitOutcomeKind.UNKNOWN, reason=f"unreadable response: {error}"
                )
        self._consecutive_timeouts = 0
        latency = self._loop.time() - sent_at
        status = response.command_status
        if status == 0 and response.command_id != CommandId.GENERIC_NACK:
            self.limiter.succeeded()
            return SubmitOutcome(
                SubmitOutcomeKind.ACCEPTED,
                message_id=response.str_field("message_id"),
                response=response,
                latency=latency,
            )
        if status == 0:
            status = CommandStatus.ESME_RUNKNOWNERR  # a generic_nack claiming success
        status_class = classify_status(status, self.config.status_overrides)
        if status_class is StatusClass.THROTTLED:
            self.limiter.throttled()
        return SubmitOutcome(
            SubmitOutcomeKind.REJECTED,
            command_status=status,
            status_class=status_class,
            reason=status_name(status),
            response=response,
            latency=latency,
        )

    def _response_timed_out(self, connection: SmppConnection) -> None:
        """Count a response timeout; recycle the bind after too many in a row."""
        self._consecutive_timeouts += 1
        limit = self.config.recycle_after_timeouts
        if limit <= 0 or self._consecutive_timeouts < limit or connection is not self._connection:
            return
        self._consecutive_timeouts = 0
        self.recycles += 1
        self.last_error = f"{limit} submits in a row unanswered: bind recycled"
        self._notify("recycled", self.last_error)
        # The supervisor sees the connection close and binds again at once; the requests
        # still in flight on it resolve as UNKNOWN.
        connection.close()

    async def request(self, pdu: Pdu) -> Pdu:
        """Send any other request (query_sm, cancel_sm, enquire_link) and await its answer.

        Raises :class:`NotBoundError`, :class:`ConnectionLostError`,
        :class:`ResponseTimeoutError`, or :class:`ProtocolError` for an unreadable answer.
        """
        async with self._window:
            connection = self._connection
            if connection is None:
                raise NotBoundError("not bound")
            return await connection.send_request(pdu)

    # ---- receiving -----------------------------------------------------------------

    def _handle_request(self, connection: SmppConnection, pdu: Pdu) -> None:
        if pdu.command_id == CommandId.OUTBIND:
            return  # we bind on our own schedule; an outbind changes nothing
        if pdu.command_id == CommandId.ALERT_NOTIFICATION:
            return  # no response defined; nothing to do for a notification sender
        if self._on_deliver_batch is not None:
            batch = self._open_batch
            if (
                batch is None
                or batch.connection is not connection
                or batch.responses != connection.responses_received
            ):
                batch = self._open_batch = _DeliverBatch(connection)
                self._start_handler(self._run_batch(batch))
            batch.pdus.append(pdu)
            return
        if self._on_deliver is None:
            connection.respond(pdu)
            return
        self._start_handler(self._run_handler(connection, pdu))

    def _start_handler(self, handler: Coroutine[Any, Any, None]) -> None:
        # Created now, in the order the PDUs were read: its first step runs in that order
        # among the other callbacks the read scheduled (see the module docstring).
        task = asyncio.create_task(handler)
        self._handler_tasks.add(task)
        task.add_done_callback(self._handler_tasks.discard)

    async def _run_batch(self, batch: _DeliverBatch) -> None:
        assert self._on_deliver_batch is not None
        if self._open_batch is batch:
            self._open_batch = None  # what is read from now on goes in the next batch
        pdus = batch.pdus
        connection = batch.connection
        results: Sequence[int | Exception | None]
        try:
            results = await self._on_deliver_batch(pdus)
            if len(results) != len(pdus):
                raise ValueError(f"{len(results)} results for {len(pdus)} PDUs")
        except Exception as error:  # the handler's failure must become SMPP answers
            results = [error] * len(pdus)
        for pdu, result in zip(pdus, results, strict=True):
            self._answer(connection, pdu, result)

    async def _run_handler(self, connection: SmppConnection, pdu: Pdu) -> None:
        assert self._on_deliver is not None
        result: int | Exception | None
        try:
            result = await self._on_deliver(pdu)
        except Exception as error:  # the handler's failure must become an SMPP answer
            result = error
        self._answer(connection, pdu, result)

    def _answer(self, connection: SmppConnection, pdu: Pdu, result: int | Exception | None) -> None:
        """Acknowledge a deliver_sm with the handler's status (``None``: OK); one it could
        not handle with ``ESME_RX_T_APPN``, so that the SMSC sends it again later."""
        if isinstance(result, Exception):
            self.last_error = f"deliver handler failed: {type(result).__name__}: {result}"
            connection.respond(pdu, CommandStatus.ESME_RX_T_APPN)
        else:
            connection.respond(pdu, result or 0)
