"""The simulated carrier: an SMSC on :class:`SmppServer` that follows a :class:`Scenario`.

How it behaves, as a real SMSC does:

* binds are checked against the scenario's accounts (any login when it has none);
* each submit_sm is throttled, dropped, refused, ignored or accepted per its rule, and an
  accepted one gets a fresh id (8 hex digits) and, if asked for, a delivery receipt;
* receipts and MO replies wait in a :class:`BatchSchedule` and, when due, go to a bound
  receiver of the submitter's system_id — the submitting bind when it can receive — through
  that connection's window (never more outstanding deliver_sm than the window);
* a deliver_sm whose connection dies is sent again on another receiver of the same
  system_id, or held (bounded) until one binds; one answered with an error is sent again
  later, up to :attr:`CarrierSimulator.max_attempts` times.

Nothing here creates a task per message: submits are answered inside the protocol
callback, deliveries leave from the schedule's timer and from response callbacks.
"""

from __future__ import annotations

import asyncio
import hmac
import os
import time
from collections import deque
from enum import IntEnum
from functools import partial

from parcelsms.errors import NotBoundError
from parcelsms.protocol.smpp.constants import CommandId, CommandStatus, RegisteredDelivery
from parcelsms.protocol.smpp.pdu import Pdu
from parcelsms.protocol.smpp.server import ServerConnection, SmppServer
from parcelsms.protocol.smpp.session import SmppTimeouts, WindowFullError
from parcelsms.simulator.behaviours import resolve_scenario
from parcelsms.simulator.decisions import FIRST_MESSAGE_ID, decide, hex_message_id
from parcelsms.simulator.deliveries import copy_request, malformed_copy, mo_pdu, receipt_pdu
from parcelsms.simulator.scenario import MoReply, Rule, Scenario
from parcelsms.simulator.schedule import BatchSchedule
from parcelsms.simulator.stats import SimulatorStats
from parcelsms.simulator.submit_log import SubmitRecord

__all__ = ["CarrierSimulator"]

_UNSUPPORTED_ANSWERS: dict[int, int] = {
    CommandId.QUERY_SM: CommandStatus.ESME_RQUERYFAIL,
    CommandId.CANCEL_SM: CommandStatus.ESME_RCANCELFAIL,
}
_RECEIPT_REQUESTED = RegisteredDelivery.SUCCESS_OR_FAILURE
_FAILURE_RECEIPT_ONLY = RegisteredDelivery.FAILURE_ONLY


class _Kind(IntEnum):
    RECEIPT = 1
    MO = 2
    MALFORMED = 3


class _Delivery:
    """One deliver_sm on its way to the ESME."""

    __slots__ = ("attempts", "kind", "pdu", "preferred", "system_id", "then_respond")

    def __init__(self, kind: _Kind, system_id: str, pdu: Pdu, preferred: _Bind | None) -> None:
        self.kind = kind
        self.system_id = system_id
        self.pdu = pdu
        self.preferred = preferred
        self.attempts = 0
        # (connection, submit_sm, message_id): answer that submit right after this PDU is
        # written, so a receipt-before-response really is ahead of the response on the wire.
        self.then_respond: tuple[ServerConnection, Pdu, str] | None = None


class _Bind:
    """The simulator's state for one bound connection."""

    __slots__ = (
        "can_receive",
        "closed",
        "connection",
        "dropped",
        "queue",
        "submit_count",
        "system_id",
        "throttle_windows",
    )

    def __init__(self, connection: ServerConnection) -> None:
        self.connection = connection
        self.system_id = connection.system_id
        self.can_receive = connection.can_receive
        self.queue: deque[_Delivery] = deque()
        self.closed = False
        self.dropped = False
        self.submit_count = 0
        self.throttle_windows: dict[str, deque[float]] = {}


class CarrierSimulator:
    """A carrier's SMSC for tests, demos and benchmarks. Runs on the current event loop.

    ``scenario``: a :class:`Scenario`, a behaviour name, a TOML path, or ``None`` (accept
    every login and submit, DELIVRD receipts after 50 ms). ``submits`` keeps the last
    ``submit_log_size`` submits received, oldest first.
    """

    retry_delay = 1.0
    """Seconds before a deliver_sm answered with an error is sent again."""
    max_attempts = 10
    """Sends of one deliver_sm before it is given up (``deliveries_dropped``)."""

    def __init__(
        self,
        scenario: Scenario | str | os.PathLike[str] | None = None,
        *,
        window: int = 100,
        submit_log_size: int = 100_000,
        system_id: str = "parcelsms-sim",
        timeouts: SmppTimeouts | None = None,
        tick: float = 0.005,
    ) -> None:
        self.scenario = resolve_scenario(scenario)
        self.stats = SimulatorStats()
        self.submits: deque[SubmitRecord] = deque(maxlen=submit_log_size)
        self.host = ""
        self.port = 0
        self._server = SmppServer(self, system_id=system_id, window=window, timeouts=timeouts)
        self._tick = tick
        self._binds: dict[ServerConnection, _Bind] = {}
        self._receivers: dict[str, list[_Bind]] = {}
        self._round_robin = 0
        self._held: dict[str, deque[_Delivery]] = {}
        self._next_id = FIRST_MESSAGE_ID
        self._schedule: BatchSchedule[_Delivery] | None = None
        self._loop: asyncio.AbstractEventLoop | None = None

    # ---- lifecycle -----------------------------------------------------------------

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> int:
        """Listen on ``host:port`` (``0``: a free port); returns the port."""
        self._loop = asyncio.get_running_loop()
        self._schedule = BatchSchedule(self._release, tick=self._tick, loop=self._loop)
        self.port = await self._server.start(host, port)
        self.host = host
        return self.port

    async def close(self) -> None:
        """Ask bound ESMEs to unbind, close every connection, stop the timers."""
        if self._schedule is not None:
            self._schedule.close()
        await self._server.close()

    # ---- what tests look at -------------------------------------------------------

    def bind_count(self, system_id: str | None = None) -> int:
        """Binds currently up (of one system_id, or all)."""
        return sum(
            1
            for bind in self._binds.values()
            if not bind.closed and (system_id is None or bind.system_id == system_id)
        )

    @property
    def pending_deliveries(self) -> int:
        """deliver_sm not yet answered: scheduled, queued on a bind, or held."""
        scheduled = len(self._schedule) if self._schedule is not None else 0
        queued = sum(len(bind.queue) for bind in self._binds.values())
        in_flight = sum(bind.connection.session.outstanding for bind in self._binds.values())
        return scheduled + queued + in_flight + self.held_deliveries

    @property
    def held_deliveries(self) -> int:
        """deliver_sm waiting for a receiver of their system_id to bind."""
        return sum(len(queue) for queue in self._held.values())

    def send_mo(
        self, system_id: str, source: str, destination: str, text: str, *, delay: float = 0.0
    ) -> None:
        """Send an MO message from ``source`` (a handset) to ``destination`` (the ESME's
        address) to a receiver of ``system_id``, ``delay`` seconds from now."""
        assert self._loop is not None, "start() the simulator first"
        delivery = _Delivery(_Kind.MO, system_id, mo_pdu(source, destination, text), None)
        self._at(self._loop.time() + delay, delivery)

    # ---- SmscHandler ---------------------------------------------------------------

    def authenticate(
        self, connection: ServerConnection, system_id: str, password: str, bind_command: int
    ) -> int:
        status = 0
        if self.scenario.accounts:
            account = self.scenario.account(system_id)
            if account is None:
                status = CommandStatus.ESME_RINVSYSID
            elif not hmac.compare_digest(account.password.encode(), password.encode()):
                status = CommandStatus.ESME_RINVPASWD
            elif account.max_binds is not None and self.bind_count(system_id) >= account.max_binds:
                status = CommandStatus.ESME_RBINDFAIL
        if status:
            self.stats.binds_rejected += 1
        return status

    def on_bound(self, connection: ServerConnection) -> None:
        bind = _Bind(connection)
        self._binds[connection] = bind
        self.stats.binds += 1
        if not bind.can_receive:
            return
        self._receivers.setdefault(bind.system_id, []).append(bind)
        held = self._held.pop(bind.system_id, None)
        if held:
            for delivery in held:
                delivery.preferred = bind
            bind.queue.extend(held)
            self._pump(bind)

    def on_closed(self, connection: ServerConnection) -> None:
        bind = self._binds.pop(connection, None)
        if bind is not None:
            self._retire(bind)

    def on_request(self, connection: ServerConnection, pdu: Pdu) -> None:
        if pdu.command_id == CommandId.SUBMIT_SM:
            self._on_submit(connection, pdu)
        else:
            connection.respond(
                pdu, _UNSUPPORTED_ANSWERS.get(pdu.command_id, CommandStatus.ESME_RINVCMDID)
            )

    # ---- submits -------------------------------------------------------------------

    def _on_submit(self, connection: ServerConnection, pdu: Pdu) -> None:
        bind = self._binds.get(connection)
        if bind is None or bind.dropped:
            return  # the rest of a batch read just before we dropped the connection
        stats = self.stats
        stats.submits += 1
        destination = pdu.str_field("destination_addr")
        rule = self.scenario.rule_for(destination)
        assert self._loop is not None
        now = self._loop.time()
        record = SubmitRecord(
            bind.system_id,
            pdu.str_field("source_addr"),
            destination,
            pdu.bytes_field("short_message"),
            pdu.int_field("data_coding"),
            pdu.int_field("esm_class"),
            pdu.int_field("registered_delivery"),
            pdu.tlvs,
            now,
        )
        self.submits.append(record)
        if rule.throttle_tps is not None and self._over_rate(bind, rule, now):
            stats.throttled += 1
            record.command_status = CommandStatus.ESME_RTHROTTLED
            connection.respond(pdu, CommandStatus.ESME_RTHROTTLED)
            return
        if rule.drop_connection_every is not None:
            bind.submit_count += 1
            if bind.submit_count % rule.drop_connection_every == 0:
                self._drop(bind)
                return
        message_id = self._next_id
        self._next_id += 1
        decision = decide(rule, self.scenario.seed, destination, message_id)
        if decision.submit_status:
            stats.submit_errors_injected += 1
            record.command_status = decision.submit_status
            connection.respond(pdu, decision.submit_status)
            return
        if not decision.respond:
            stats.unanswered += 1
            return
        stats.submits_accepted += 1
        response_id = hex_message_id(message_id)
        record.message_id = response_id
        record.command_status = 0
        delivered = decision.state == "DELIVRD"
        wanted = record.registered_delivery & 0x03
        respond_now = True
        if wanted == _RECEIPT_REQUESTED or (wanted == _FAILURE_RECEIPT_ONLY and not delivered):
            record.state = decision.state
            receipt_id = (
                str(message_id) if rule.receipt_message_id_format == "decimal" else response_id
            )
            wall = time.time()
            receipt = receipt_pdu(
                pdu,
                receipt_id,
                decision.state,
                decision.error,
                wall,
                wall + decision.receipt_delay,
                record.text,
            )
            due = now + decision.receipt_delay
            preferred = bind if bind.can_receive else None
            if decision.malformed:
                malformed = malformed_copy(receipt)
                self._at(due, _Delivery(_Kind.MALFORMED, bind.system_id, malformed, preferred))
            delivery = _Delivery(_Kind.RECEIPT, bind.system_id, receipt, preferred)
            if decision.receipt_before_response:
                if preferred is not None:
                    delivery.then_respond = (connection, pdu, response_id)
                    respond_now = False
                self._route(delivery)
            else:
                self._at(due, delivery)
            if decision.duplicate_receipt:
                duplicate = _Delivery(_Kind.RECEIPT, bind.system_id, copy_request(receipt), None)
                self._at(due, duplicate)
        if respond_now:
            connection.respond(pdu, 0, message_id=response_id)
        if delivered and decision.mo_replies:
            self._schedule_replies(bind, pdu, now + decision.receipt_delay, decision.mo_replies)

    def _schedule_replies(
        self, bind: _Bind, submit: Pdu, delivered_at: float, replies: tuple[MoReply, ...]
    ) -> None:
        for reply in replies:
            pdu = mo_pdu(
                submit.str_field("destination_addr"),
                submit.str_field("source_addr"),
                reply.text,
                source_ton=submit.int_field("dest_addr_ton"),
                source_npi=submit.int_field("dest_addr_npi"),
                destination_ton=submit.int_field("source_addr_ton"),
                destination_npi=submit.int_field("source_addr_npi"),
            )
            delivery = _Delivery(_Kind.MO, bind.system_id, pdu, None)
            self._at(delivered_at + reply.after, delivery)

    def _over_rate(self, bind: _Bind, rule: Rule, now: float) -> bool:
        """Sliding one-second window of accepted submits, per bind and rule."""
        assert rule.throttle_tps is not None
        window = bind.throttle_windows.get(rule.prefix)
        if window is None:
            window = bind.throttle_windows[rule.prefix] = deque()
        horizon = now - 1.0
        while window and window[0] <= horizon:
            window.popleft()
        if len(window) >= rule.throttle_tps:
            return True
        window.append(now)
        return False

    def _drop(self, bind: _Bind) -> None:
        """Abort the TCP connection, as a carrier's crashing front end would.

        Answers already queued are flushed first (they were sent before the crash); the
        submit that triggered the drop, and everything after it, is never answered.
        """
        self.stats.dropped_connections += 1
        bind.dropped = True
        connection = bind.connection.connection
        connection.send_raw(b"")  # flushes what is queued
        connection.abort()
        self._retire(bind)

    # ---- deliveries ----------------------------------------------------------------

    def _at(self, due: float, delivery: _Delivery) -> None:
        assert self._schedule is not None
        self._schedule.add(due, delivery)

    def _release(self, due: list[_Delivery]) -> None:
        for delivery in due:
            self._route(delivery)

    def _route(self, delivery: _Delivery) -> None:
        """Queue a delivery on a receiver of its system_id, or hold it until one binds."""
        bind = delivery.preferred
        if bind is None or bind.closed:
            bind = self._pick_receiver(delivery.system_id)
        if bind is None:
            self._hold(delivery)
            return
        bind.queue.append(delivery)
        self._pump(bind)

    def _pick_receiver(self, system_id: str) -> _Bind | None:
        receivers = self._receivers.get(system_id)
        if not receivers:
            return None
        self._round_robin += 1
        return receivers[self._round_robin % len(receivers)]

    def _hold(self, delivery: _Delivery) -> None:
        _answer_submit(delivery)
        if delivery.kind is _Kind.MALFORMED:
            return  # garbage is not worth keeping for a later bind
        held = self._held.get(delivery.system_id)
        if held is None:
            held = self._held[delivery.system_id] = deque()
        if len(held) >= self.scenario.max_held_deliveries:
            self.stats.deliveries_dropped += 1
            if not held:
                return
            held.popleft()
        delivery.preferred = None
        held.append(delivery)

    def _pump(self, bind: _Bind) -> None:
        """Send queued deliveries while the bind's window has room."""
        if bind.closed:
            return
        queue = bind.queue
        connection = bind.connection.connection
        session = connection.session
        stats = self.stats
        while queue and session.window_open:
            delivery = queue.popleft()
            pdu = delivery.pdu
            pdu.sequence_number = 0  # a re-send is a new request
            try:
                future = connection.send_request(pdu)
            except (NotBoundError, WindowFullError):
                queue.appendleft(delivery)
                self._retire(bind)
                return
            if delivery.attempts:
                stats.deliveries_retried += 1
            elif delivery.kind is _Kind.RECEIPT:
                stats.receipts_sent += 1
            elif delivery.kind is _Kind.MO:
                stats.mo_sent += 1
            else:
                stats.malformed_sent += 1
            delivery.attempts += 1
            future.add_done_callback(partial(self._answered, bind, delivery))
            _answer_submit(delivery)

    def _answered(self, bind: _Bind, delivery: _Delivery, future: asyncio.Future[Pdu]) -> None:
        error = None if future.cancelled() else future.exception()
        if error is None and not future.cancelled():
            response = future.result()
            ok = response.command_status == 0 and response.command_id != CommandId.GENERIC_NACK
            if delivery.kind is _Kind.MALFORMED:
                pass  # a nack is the right answer to garbage
            elif ok:
                if delivery.kind is _Kind.RECEIPT:
                    self.stats.receipts_acked += 1
                else:
                    self.stats.mo_acked += 1
            elif delivery.attempts < self.max_attempts:
                # The ESME could not take it now (say ESME_RX_T_APPN): redeliver later.
                assert self._loop is not None
                self._at(self._loop.time() + self.retry_delay, delivery)
            else:
                self.stats.deliveries_dropped += 1
        elif delivery.kind is not _Kind.MALFORMED:
            # Connection lost or no answer in time: the ESME may or may not have it; a
            # carrier sends it again, elsewhere if it can.
            if delivery.attempts < self.max_attempts:
                self._route(delivery)
            else:
                self.stats.deliveries_dropped += 1
        self._pump(bind)

    def _retire(self, bind: _Bind) -> None:
        """The bind is gone: forget it and move its queued deliveries elsewhere."""
        if bind.closed:
            return
        bind.closed = True
        receivers = self._receivers.get(bind.system_id)
        if receivers is not None and bind in receivers:
            receivers.remove(bind)
            if not receivers:
                del self._receivers[bind.system_id]
        queue, bind.queue = bind.queue, deque()
        for delivery in queue:
            _answer_submit(delivery)
            self._route(delivery)


def _answer_submit(delivery: _Delivery) -> None:
    """Send the submit_sm_resp that waited for this receipt (a no-op if its connection
    is gone)."""
    answer = delivery.then_respond
    if answer is not None:
        delivery.then_respond = None
        connection, submit, message_id = answer
        connection.respond(submit, 0, message_id=message_id)
