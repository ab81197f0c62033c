"""The simulated carrier: an SMSC on :class:`SmppServer` that follows a :class:`Scenario`.

How it behaves, as a real SMSC does:

* binds are checked against the scenario's accounts (any login when it has none);
* each submit_sm is throttled, dropped, refused, ignored or accepted per its rule, and an
  accepted one gets a fresh id in the scenario's ``message_id_style``
  (:mod:`parcelsms.simulator.message_ids`) and, if asked for, a delivery receipt;
* receipts and MO replies go to a bound receiver of the submitter's system_id when due,
  through that connection's window, and are sent again elsewhere or later when delivery
  fails (:mod:`parcelsms.simulator.delivery_router`);
* :meth:`CarrierSimulator.restart` is a maintenance restart: new submits are turned away
  while what is due is delivered, the connections close, and the SMSC listens again on
  the same port, numbering ids from the first one again.

Nothing here creates a task per message: submits are answered inside the protocol
callback, deliveries leave from a batch timer and from response callbacks.
"""

from __future__ import annotations

import asyncio
import dataclasses
import hmac
import itertools
import os
import time
from collections import deque
from collections.abc import Callable, Sequence

from parcelsms.protocol.smpp.constants import CommandId, CommandStatus, RegisteredDelivery
from parcelsms.protocol.smpp.pdu import Pdu
from parcelsms.protocol.smpp.server import ServerConnection, SmppServer
from parcelsms.protocol.smpp.session_events import SmppTimeouts
from parcelsms.protocol.text.concatenation import ConcatenationMethod
from parcelsms.simulator.behaviours import resolve_scenario
from parcelsms.simulator.confirmation_codes import ConfirmationCodes
from parcelsms.simulator.decisions import Decision, decide
from parcelsms.simulator.deliveries import copy_request, malformed_copy, mo_pdus, receipt_pdu
from parcelsms.simulator.delivery_router import Bind, Delivery, DeliveryKind, DeliveryRouter
from parcelsms.simulator.message_ids import MessageIdIssuer, MessageIdStyle
from parcelsms.simulator.scenario import MoReply, Rule, Scenario
from parcelsms.simulator.scenario_parsing import parse_message_id_style
from parcelsms.simulator.stats import SimulatorStats
from parcelsms.simulator.submit_log import SubmitRecord

__all__ = ["CarrierSimulator"]

_UNSUPPORTED_ANSWERS: dict[int, int] = {
    CommandId.QUERY_SM: CommandStatus.ESME_RQUERYFAIL,
    CommandId.CANCEL_SM: CommandStatus.ESME_RCANCELFAIL,
}
_RECEIPT_REQUESTED = RegisteredDelivery.SUCCESS_OR_FAILURE
_FAILURE_RECEIPT_ONLY = RegisteredDelivery.FAILURE_ONLY


class CarrierSimulator:
    """A carrier's SMSC for tests, demos and benchmarks. Runs on the current event loop.

    ``scenario``: a :class:`Scenario`, a behaviour name, a TOML path, or ``None`` (accept
    every login and submit, DELIVRD receipts after 50 ms). ``message_id_style``, when
    given, replaces the scenario's. ``submits`` keeps the last ``submit_log_size`` submits
    received, oldest first: the ground truth of what was answered and receipted.
    ``confirmation_codes`` logs and keeps the test-number verification codes of accepted
    submits, their numbers hidden by ``number_mask`` (every digit by default).
    """

    def __init__(
        self,
        scenario: Scenario | str | os.PathLike[str] | None = None,
        *,
        window: int = 100,
        submit_log_size: int = 100_000,
        system_id: str = "parcelsms-sim",
        timeouts: SmppTimeouts | None = None,
        tick: float = 0.005,
        message_id_style: MessageIdStyle | str | None = None,
        number_mask: Callable[[str], str] | None = None,
    ) -> None:
        self.scenario = resolve_scenario(scenario)
        if message_id_style is not None:
            self.scenario = dataclasses.replace(
                self.scenario, message_id_style=parse_message_id_style(message_id_style)
            )
        self.stats = SimulatorStats()
        self.confirmation_codes = (
            ConfirmationCodes() if number_mask is None else ConfirmationCodes(number_mask)
        )
        self.submits: deque[SubmitRecord] = deque(maxlen=submit_log_size)
        self.host = ""
        self.port = 0
        self._server = SmppServer(self, system_id=system_id, window=window, timeouts=timeouts)
        self._tick = tick
        self._binds: dict[ServerConnection, Bind] = {}
        self._ids = MessageIdIssuer(self.scenario.message_id_style, self.scenario.seed)
        # References tying the parts of a concatenated reply together (UDH8 holds one octet).
        self._mo_references = itertools.cycle(range(1, 256))
        self._restarting = False
        self._router: DeliveryRouter | None = None
        self._loop: asyncio.AbstractEventLoop | None = None

    # ---- lifecycle -----------------------------------------------------------------

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> int:
        """Listen on ``host:port`` (``0``: a free port); returns the port."""
        self._loop = asyncio.get_running_loop()
        self._router = DeliveryRouter(
            self.stats, max_held=self.scenario.max_held_deliveries, tick=self._tick
        )
        self.port = await self._server.start(host, port)
        self.host = host
        return self.port

    async def close(self) -> None:
        """Ask bound ESMEs to unbind, close every connection, stop the timers."""
        if self._router is not None:
            self._router.close()
        await self._server.close()

    async def restart(self, *, drain_timeout: float = 10.0) -> None:
        """Restart the SMSC on the same port; ids are numbered from the first one again.

        As a carrier's maintenance restart goes: from now on every submit_sm is answered
        ESME_RTHROTTLED (try again later; no id is used); the receipts and MO already due
        are delivered and answered (at most ``drain_timeout`` seconds; what is left then is
        kept and delivered after the restart); bound ESMEs are asked to unbind and every
        connection closes; then the simulator listens again on the same host and port.
        Every id given before the restart was thus answered and receipted before any id is
        given again, so each receipt belongs to exactly one submit_sm_resp.
        """
        if self._loop is None:
            raise RuntimeError("start() the simulator first")
        self._restarting = True
        try:
            deadline = self._loop.time() + drain_timeout
            # Deliveries end in timers, windows and responses: no one event says "drained".
            while self._deliverable() and self._loop.time() < deadline:  # noqa: ASYNC110
                await asyncio.sleep(self._tick)
            await self._server.close()
            self._ids.restart()
            self.stats.restarts += 1
        finally:
            self._restarting = False
        await self._server.start(self.host, self.port)

    # ---- what tests look at -------------------------------------------------------

    def bind_count(self, system_id: str | None = None) -> int:
        """Binds currently up (of one system_id, or all)."""
        return sum(
            1
            for bind in self._binds.values()
            if not bind.closed and (system_id is None or bind.system_id == system_id)
        )

    @property
    def restarting(self) -> bool:
        """A :meth:`restart` is under way (submits are answered ESME_RTHROTTLED)."""
        return self._restarting

    @property
    def pending_deliveries(self) -> int:
        """deliver_sm not yet answered: scheduled, queued on a bind, or held."""
        scheduled = self._router.scheduled if self._router is not None else 0
        queued = sum(len(bind.queue) for bind in self._binds.values())
        in_flight = sum(bind.connection.session.outstanding for bind in self._binds.values())
        return scheduled + queued + in_flight + self.held_deliveries

    @property
    def held_deliveries(self) -> int:
        """deliver_sm waiting for a receiver of their system_id to bind."""
        return self._router.held if self._router is not None else 0

    @property
    def retry_delay(self) -> float:
        """Seconds before a deliver_sm answered with an error is sent again (default 1)."""
        return self._deliveries.retry_delay

    @retry_delay.setter
    def retry_delay(self, seconds: float) -> None:
        self._deliveries.retry_delay = seconds

    def _deliverable(self) -> int:
        """Deliveries due or under way on a bind (not held for an absent receiver)."""
        return self.pending_deliveries - self.held_deliveries

    @property
    def _deliveries(self) -> DeliveryRouter:
        if self._router is None:
            raise RuntimeError("start() the simulator first")
        return self._router

    def send_mo(
        self,
        system_id: str,
        source: str,
        destination: str,
        text: str,
        *,
        delay: float = 0.0,
        concatenation: ConcatenationMethod = ConcatenationMethod.PAYLOAD,
        parts: Sequence[int] | None = None,
    ) -> None:
        """Send an MO message from ``source`` (a handset) to ``destination`` (the ESME's
        address) to a receiver of ``system_id``, ``delay`` seconds from now; a long text in
        parts by ``concatenation``. ``parts`` (1-based) sends only those parts, in that
        order: a reply whose other parts get lost."""
        assert self._loop is not None, "start() the simulator first"
        pdus = mo_pdus(
            source,
            destination,
            text,
            concatenation=concatenation,
            reference=next(self._mo_references),
        )
        chosen = [pdus[number - 1] for number in parts] if parts is not None else pdus
        for pdu in chosen:
            delivery = Delivery(DeliveryKind.MO, system_id, pdu, None)
            self._deliveries.send_at(self._loop.time() + delay, delivery)

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
        bind = Bind(connection)
        self._binds[connection] = bind
        self.stats.binds += 1
        self._deliveries.add_bind(bind)

    def on_closed(self, connection: ServerConnection) -> None:
        bind = self._binds.pop(connection, None)
        if bind is not None:
            self._deliveries.retire(bind)

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
        if self._restarting or (rule.throttle_tps is not None and self._over_rate(bind, rule, now)):
            stats.throttled += 1
            record.command_status = CommandStatus.ESME_RTHROTTLED
            connection.respond(pdu, CommandStatus.ESME_RTHROTTLED)
            return
        if rule.drop_connection_every is not None:
            bind.submit_count += 1
            if bind.submit_count % rule.drop_connection_every == 0:
                self._drop(bind)
                return
        issued = self._ids.issue()
        decision = decide(rule, self.scenario.seed, destination, issued.number)
        if decision.submit_status:
            stats.submit_errors_injected += 1
            record.command_status = decision.submit_status
            connection.respond(pdu, decision.submit_status)
            return
        if not decision.respond:
            stats.unanswered += 1
            return
        stats.submits_accepted += 1
        self.confirmation_codes.inspect(record)
        response_id = issued.response
        record.message_id = response_id
        record.command_status = 0
        delivered = decision.state == "DELIVRD"
        wanted = record.registered_delivery & 0x03
        respond_now = True
        if wanted == _RECEIPT_REQUESTED or (wanted == _FAILURE_RECEIPT_ONLY and not delivered):
            record.state = decision.state
            record.receipt_message_id = issued.receipt
            respond_now = self._send_receipt(connection, bind, pdu, record, decision)
        if respond_now:
            connection.respond(pdu, 0, message_id=response_id)
        if delivered and decision.mo_replies:
            self._schedule_replies(bind, pdu, now + decision.receipt_delay, decision.mo_replies)

    def _send_receipt(
        self,
        connection: ServerConnection,
        bind: Bind,
        submit: Pdu,
        record: SubmitRecord,
        decision: Decision,
    ) -> bool:
        """Schedule the receipt (and its faults); False when the submit_sm_resp must wait
        until the receipt is written (receipt before response)."""
        deliveries = self._deliveries
        wall = time.time()
        delay = decision.receipt_delay
        receipt = receipt_pdu(
            submit,
            record.receipt_message_id,
            decision.state,
            decision.error,
            wall,
            wall + delay,
            record.text,
        )
        due = record.received_at + delay
        system_id = bind.system_id
        preferred = bind if bind.can_receive else None
        if decision.malformed:
            garbage = malformed_copy(receipt)
            deliveries.send_at(due, Delivery(DeliveryKind.MALFORMED, system_id, garbage, preferred))
        if decision.duplicate_receipt:
            duplicate = copy_request(receipt)
            deliveries.send_at(due, Delivery(DeliveryKind.RECEIPT, system_id, duplicate, None))
        delivery = Delivery(DeliveryKind.RECEIPT, system_id, receipt, preferred)
        if not decision.receipt_before_response:
            deliveries.send_at(due, delivery)
            return True
        if preferred is None:  # the receipt leaves on a receiver bind: order cannot matter
            deliveries.route(delivery)
            return True
        delivery.then_respond = (connection, submit, record.message_id)
        deliveries.route(delivery)
        return False

    def _schedule_replies(
        self, bind: Bind, submit: Pdu, delivered_at: float, replies: tuple[MoReply, ...]
    ) -> None:
        for reply in replies:
            pdus = mo_pdus(
                submit.str_field("destination_addr"),
                submit.str_field("source_addr"),
                reply.text,
                concatenation=ConcatenationMethod(reply.concatenation),
                reference=next(self._mo_references),
                source_ton=submit.int_field("dest_addr_ton"),
                source_npi=submit.int_field("dest_addr_npi"),
                destination_ton=submit.int_field("source_addr_ton"),
                destination_npi=submit.int_field("source_addr_npi"),
            )
            for pdu in pdus:
                delivery = Delivery(DeliveryKind.MO, bind.system_id, pdu, None)
                self._deliveries.send_at(delivered_at + reply.after, delivery)

    def _over_rate(self, bind: Bind, rule: Rule, now: float) -> bool:
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

    def _drop(self, bind: Bind) -> None:
        """Abort the TCP connection, as a carrier's crashing front end would.

        Answers already queued are flushed first (they were sent before the crash); the
        submit that triggered the drop, and everything after it, is never answered.
        """
        self.stats.dropped_connections += 1
        bind.dropped = True
        connection = bind.connection.connection
        connection.send_raw(b"")  # flushes what is queued
        connection.abort()
        self._deliveries.retire(bind)
