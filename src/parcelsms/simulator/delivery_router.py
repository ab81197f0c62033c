"""Where a simulated carrier's deliver_sm go, and what happens when they cannot.

A :class:`Delivery` (receipt, MO reply or deliberate garbage) is due at a time; the
:class:`DeliveryRouter` keeps it in a :class:`BatchSchedule` until then, and then queues it
on a bound receiver or transceiver of its system_id — the preferred bind (the submitter's,
when it can receive) if it is still up, else the binds in turn — and sends it through that
connection's window, never more outstanding than the window allows.

What a real SMSC does when delivery fails, done here too: a deliver_sm whose connection dies
or goes unanswered is routed again (another receiver, or held until one binds, at most
``max_held`` per system_id, oldest dropped first); one answered with an error status is
sent again ``retry_delay`` seconds later; after ``max_attempts`` sends it is given up.

No task and no timer per message: deliveries leave from the schedule's batch timer and from
the response futures' callbacks.
"""

from __future__ import annotations

import asyncio
from collections import deque
from enum import IntEnum
from functools import partial

from parcelsms.errors import NotBoundError
from parcelsms.protocol.smpp.constants import CommandId
from parcelsms.protocol.smpp.pdu import Pdu
from parcelsms.protocol.smpp.server import ServerConnection
from parcelsms.protocol.smpp.session import WindowFullError
from parcelsms.simulator.schedule import BatchSchedule
from parcelsms.simulator.stats import SimulatorStats

__all__ = ["Bind", "Delivery", "DeliveryKind", "DeliveryRouter"]


class DeliveryKind(IntEnum):
    """What a deliver_sm carries (it decides what is counted and what is retried)."""

    RECEIPT = 1
    MO = 2
    MALFORMED = 3


class Delivery:
    """One deliver_sm on its way to the ESME."""

    __slots__ = ("attempts", "kind", "pdu", "preferred", "system_id", "then_respond")

    def __init__(
        self, kind: DeliveryKind, system_id: str, pdu: Pdu, preferred: Bind | None
    ) -> None:
        self.kind = kind
        self.system_id = system_id
        self.pdu = pdu
        self.preferred = preferred
        self.attempts = 0
        # (connection, submit_sm, message_id): answer that submit right after this PDU is
        # written, so a receipt-before-response really is ahead of the response on the wire.
        self.then_respond: tuple[ServerConnection, Pdu, str] | None = None


class Bind:
    """The simulator's state for one bound connection: its delivery queue (used here) and
    its submit counters (used by the carrier for throttling and dropping)."""

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
        self.queue: deque[Delivery] = deque()
        self.closed = False
        self.dropped = False
        self.submit_count = 0
        self.throttle_windows: dict[str, deque[float]] = {}


class DeliveryRouter:
    """Routes, sends and re-sends the deliver_sm of one simulator (see the module doc)."""

    def __init__(
        self,
        stats: SimulatorStats,
        *,
        max_held: int,
        tick: float,
        retry_delay: float = 1.0,
        max_attempts: int = 10,
    ) -> None:
        self.stats = stats
        self.max_held = max_held
        self.retry_delay = retry_delay
        self.max_attempts = max_attempts
        self._loop = asyncio.get_running_loop()
        self._schedule: BatchSchedule[Delivery] = BatchSchedule(
            self._release, tick=tick, loop=self._loop
        )
        self._receivers: dict[str, list[Bind]] = {}
        self._round_robin = 0
        self._held: dict[str, deque[Delivery]] = {}

    @property
    def scheduled(self) -> int:
        return len(self._schedule)

    @property
    def held(self) -> int:
        return sum(len(queue) for queue in self._held.values())

    def close(self) -> None:
        """Stop the timer; what was still scheduled is dropped."""
        self._schedule.close()

    def add_bind(self, bind: Bind) -> None:
        """A bind came up: a receiver gets what was held for its system_id."""
        if not bind.can_receive:
            return
        self._receivers.setdefault(bind.system_id, []).append(bind)
        held = self._held.pop(bind.system_id, None)
        if held:
            for delivery in held:
                delivery.preferred = bind
            bind.queue.extend(held)
            self._pump(bind)

    def send_at(self, due: float, delivery: Delivery) -> None:
        """Route ``delivery`` at loop time ``due``."""
        self._schedule.add(due, delivery)

    def _release(self, due: list[Delivery]) -> None:
        for delivery in due:
            self.route(delivery)

    def route(self, delivery: Delivery) -> None:
        """Queue a delivery on a receiver of its system_id, or hold it until one binds."""
        bind = delivery.preferred
        if bind is None or bind.closed:
            bind = self._pick_receiver(delivery.system_id)
        if bind is None:
            self._hold(delivery)
            return
        bind.queue.append(delivery)
        self._pump(bind)

    def _pick_receiver(self, system_id: str) -> Bind | None:
        receivers = self._receivers.get(system_id)
        if not receivers:
            return None
        self._round_robin += 1
        return receivers[self._round_robin % len(receivers)]

    def _hold(self, delivery: Delivery) -> None:
        _answer_submit(delivery)
        if delivery.kind is DeliveryKind.MALFORMED:
            return  # garbage is not worth keeping for a later bind
        held = self._held.get(delivery.system_id)
        if held is None:
            held = self._held[delivery.system_id] = deque()
        if len(held) >= self.max_held:
            self.stats.deliveries_dropped += 1
            if not held:
                return
            held.popleft()
        delivery.preferred = None
        held.append(delivery)

    def _pump(self, bind: Bind) -> None:
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
                self.retire(bind)
                return
            if delivery.attempts:
                stats.deliveries_retried += 1
            elif delivery.kind is DeliveryKind.RECEIPT:
                stats.receipts_sent += 1
            elif delivery.kind is DeliveryKind.MO:
                stats.mo_sent += 1
            else:
                stats.malformed_sent += 1
            delivery.attempts += 1
            future.add_done_callback(partial(self._answered, bind, delivery))
            _answer_submit(delivery)

    def _answered(self, bind: Bind, delivery: Delivery, future: asyncio.Future[Pdu]) -> None:
        error = None if future.cancelled() else future.exception()
        if error is None and not future.cancelled():
            response = future.result()
            ok = response.command_status == 0 and response.command_id != CommandId.GENERIC_NACK
            if delivery.kind is DeliveryKind.MALFORMED:
                pass  # a nack is the right answer to garbage
            elif ok:
                if delivery.kind is DeliveryKind.RECEIPT:
                    self.stats.receipts_acked += 1
                else:
                    self.stats.mo_acked += 1
            elif delivery.attempts < self.max_attempts:
                # The ESME could not take it now (say ESME_RX_T_APPN): redeliver later.
                self.send_at(self._loop.time() + self.retry_delay, delivery)
            else:
                self.stats.deliveries_dropped += 1
        elif delivery.kind is not DeliveryKind.MALFORMED:
            # Connection lost or no answer in time: the ESME may or may not have it; a
            # carrier sends it again, elsewhere if it can.
            if delivery.attempts < self.max_attempts:
                self.route(delivery)
            else:
                self.stats.deliveries_dropped += 1
        self._pump(bind)

    def retire(self, bind: Bind) -> None:
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
            self.route(delivery)


def _answer_submit(delivery: Delivery) -> None:
    """Send the submit_sm_resp that waited for this receipt (a no-op if its connection
    is gone)."""
    answer = delivery.then_respond
    if answer is not None:
        delivery.then_respond = None
        connection, submit, message_id = answer
        connection.respond(submit, 0, message_id=message_id)
