"""An SMPP carrier channel: one or more binds to one SMSC, behind the channel port.

``send`` splits the text (``protocol.text``), submits every part through one of the
channel's bound sessions (round robin) and translates the protocol's outcome (its kind
and, for a refusal, the class of its ``command_status``) into the port's
:class:`~parcelsms.domain.failover.SendResultKind` — the one translation: the dispatcher
decides from the kind alone. Each accepted part is reported to the receipt sink the moment its
response is read (in the task that awaited it, before the connection's next PDU is
handled), so the sink knows every response that precedes a receipt on the wire. Incoming
deliver_sm are either delivery receipts — parsed, stamped, turned into a ``ReceiptRecord``
and handed to the receipt sink — or replies from handsets, reassembled when concatenated and
handed to the inbound sink. The SMSC is acknowledged only after the sink returned, so a
receipt the platform could not store is redelivered by the carrier.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from parcelsms.adapters.metrics.instruments import SUBMIT_LATENCY
from parcelsms.domain.status import MessageStatus, status_for_receipt_state
from parcelsms.pipeline.channel_health import ChannelHealthBoard, ChannelLiveState
from parcelsms.pipeline.channel_port import (
    ChannelResult,
    OutboundSms,
    ReceiptSink,
    SendResultKind,
)
from parcelsms.pipeline.message_ports import InboundMessage, SubmittedPart
from parcelsms.pipeline.receipt_ports import ReceiptRecord
from parcelsms.protocol.smpp.client import SmppClient, SmppClientConfig
from parcelsms.protocol.smpp.constants import CommandId, EsmClass, RegisteredDelivery
from parcelsms.protocol.smpp.message_id import clean_message_id
from parcelsms.protocol.smpp.outcome import StatusClass, SubmitOutcome, SubmitOutcomeKind
from parcelsms.protocol.smpp.pdu import Pdu
from parcelsms.protocol.smpp.receipt import parse_receipt
from parcelsms.protocol.text.concatenation import ConcatenationMethod, split_for_submit
from parcelsms.protocol.text.reassembly import IncompleteMessage, Reassembler
from parcelsms.protocol.text.ucs2 import decode_short_message

_log = logging.getLogger(__name__)

InboundSink = Callable[[InboundMessage], Awaitable[None]]

# Address type of number and numbering plan (SMPP 3.4 section 5.2.5/5.2.6).
_TON_INTERNATIONAL, _TON_ALPHANUMERIC, _NPI_ISDN = 1, 5, 1

_OUTCOME_KINDS = {
    StatusClass.THROTTLED: SendResultKind.THROTTLED,
    StatusClass.TEMPORARY: SendResultKind.TEMPORARY,
    StatusClass.PERMANENT: SendResultKind.PERMANENT,
}
# When no part was accepted, the message's result is the most cautious of its parts'.
_SEVERITY = [
    SendResultKind.UNKNOWN,
    SendResultKind.PERMANENT,
    SendResultKind.TEMPORARY,
    SendResultKind.THROTTLED,
    SendResultKind.NOT_SENT,
]


@dataclass(frozen=True, slots=True)
class SmppChannelSettings:
    name: str
    sessions: Sequence[SmppClientConfig]
    concatenation: ConcatenationMethod = ConcatenationMethod.UDH8
    default_sender_id: str | None = None
    reassembly_timeout_seconds: float = 300.0
    configured_tps: float | None = None
    # Accepted submits remembered for their receipt's latency and country (oldest dropped).
    remembered_submits: int = 100_000


class SmppChannel:
    """A carrier channel over SMPP 3.4 (see the module docstring)."""

    def __init__(
        self,
        settings: SmppChannelSettings,
        receipt_sink: ReceiptSink,
        inbound_sink: InboundSink | None = None,
        *,
        clock: Callable[[], datetime] | None = None,
        health: ChannelHealthBoard | None = None,
    ) -> None:
        self.name = settings.name
        self._settings = settings
        # Labelled once: a labels() lookup per submit costs more than the observation.
        self._submit_latency = SUBMIT_LATENCY.labels(settings.name)
        self._receipt_sink = receipt_sink
        self._inbound_sink = inbound_sink
        self._clock = clock or (lambda: datetime.now(UTC))
        self.clients = [
            SmppClient(
                config,
                on_state=self._state_logger(index),
                on_deliver_batch=self._on_deliver_many,
            )
            for index, config in enumerate(settings.sessions)
        ]
        self._round_robin = itertools.cycle(range(len(self.clients)))
        self._references = itertools.count(1)
        loop_time = asyncio.get_running_loop().time
        self._reassembler = Reassembler(settings.reassembly_timeout_seconds, loop_time)
        self.receipts = 0
        self.inbound = 0
        self._expiry: asyncio.Task[None] | None = None
        self._health = health
        self._loop_time = loop_time
        # carrier id -> (loop time of the response, destination country)
        self._submitted: OrderedDict[str, tuple[float, str]] = OrderedDict()

    def _state_logger(self, index: int) -> Callable[[str, str], None]:
        def log_state(state: str, detail: str) -> None:
            level = logging.INFO if state == "bound" else logging.WARNING
            _log.log(
                level,
                "smpp session %s",
                state,
                extra={"channel": self.name, "session": index, "detail": detail},
            )

        return log_state

    @property
    def is_available(self) -> bool:
        return any(client.is_bound for client in self.clients)

    @property
    def send_rate(self) -> float | None:
        rates = [client.limiter.rate for client in self.clients if client.is_bound]
        if not rates or None in rates:
            return None
        return sum(rate or 0.0 for rate in rates)

    def live_state(self) -> ChannelLiveState:
        """The binds right now, for the health snapshot."""
        rates = [client.limiter.rate for client in self.clients]
        return ChannelLiveState(
            binds=len(self.clients),
            bound=sum(client.is_bound for client in self.clients),
            configured_tps=self._settings.configured_tps,
            current_tps=None if None in rates else round(sum(r or 0.0 for r in rates), 2),
            reconnects=sum(max(0, client.connects - 1) for client in self.clients),
            recycles=sum(client.recycles for client in self.clients),
            last_error=next((c.last_error for c in self.clients if c.last_error), ""),
        )

    async def start(self) -> None:
        for client in self.clients:
            await client.start()
        self._expiry = asyncio.create_task(self._expire_replies(), name=f"reassembly-{self.name}")

    async def _expire_replies(self) -> None:
        """Hand on, as incomplete, concatenated replies whose other parts never came."""
        while True:
            await asyncio.sleep(min(60.0, self._settings.reassembly_timeout_seconds))
            await self._store_incomplete(self._reassembler.expire())

    async def _store_incomplete(self, incomplete: Sequence[IncompleteMessage]) -> None:
        if self._inbound_sink is None:
            return
        for message in incomplete:
            _log.warning(
                "incomplete concatenated reply stored",
                extra={"channel": self.name, "missing_parts": list(message.missing)},
            )
            await self._inbound_sink(
                InboundMessage(
                    channel=self.name,
                    source=_international(message.source),
                    destination=message.destination,
                    text=message.text,
                    received_at=self._clock(),
                    complete=False,
                    missing_parts=message.missing,
                )
            )

    async def wait_bound(self, timeout: float) -> bool:
        results = await asyncio.gather(*(c.wait_bound(timeout) for c in self.clients))
        return any(results)

    async def close(self) -> None:
        if self._expiry is not None:
            self._expiry.cancel()
        await asyncio.gather(*(client.close() for client in self.clients))
        # Parts already acknowledged to the carrier are not sent again: store what came.
        await self._store_incomplete(self._reassembler.drain())

    def _pick_client(self) -> SmppClient | None:
        for _ in range(len(self.clients)):
            client = self.clients[next(self._round_robin)]
            if client.is_bound:
                return client
        return None

    # ---- sending -------------------------------------------------------------------

    async def send(self, sms: OutboundSms) -> ChannelResult:
        client = self._pick_client()
        if client is None:
            return ChannelResult(SendResultKind.NOT_SENT, detail="no bound session")
        reference = next(self._references)
        method = self._settings.concatenation
        reference &= 0xFFFF if method is ConcatenationMethod.UDH16 else 0xFF
        parts = split_for_submit(sms.body, method, reference or 1)
        source, source_ton, source_npi = self._source(sms.sender_id)
        destination = sms.to_e164.lstrip("+")
        pdus = []
        for part in parts:
            pdu = Pdu(
                CommandId.SUBMIT_SM,
                fields={
                    "source_addr_ton": source_ton,
                    "source_addr_npi": source_npi,
                    "source_addr": source,
                    "dest_addr_ton": _TON_INTERNATIONAL,
                    "dest_addr_npi": _NPI_ISDN,
                    "destination_addr": destination,
                    "esm_class": EsmClass.UDHI if part.esm_class_udhi else 0,
                    "registered_delivery": RegisteredDelivery.SUCCESS_OR_FAILURE,
                    "data_coding": part.data_coding,
                    "short_message": part.short_message,
                },
            )
            if part.sar is not None:
                pdu.set_tlv("sar_msg_ref_num", part.sar[0])
                pdu.set_tlv("sar_total_segments", part.sar[1])
                pdu.set_tlv("sar_segment_seqnum", part.sar[2])
            if part.message_payload is not None:
                pdu.set_tlv("message_payload", part.message_payload)
            pdus.append(pdu)
        if len(pdus) == 1:
            # Inlined for the usual single part: one coroutine less per message.
            outcome = await client.submit(pdus[0])
            responded_at_us = (
                self._receipt_sink.responded(self.name, outcome.message_id)
                if outcome.kind is SubmitOutcomeKind.ACCEPTED
                else 0
            )
            outcomes: Sequence[tuple[SubmitOutcome, int]] = [(outcome, responded_at_us)]
        else:
            outcomes = await asyncio.gather(*(self._submit(client, pdu) for pdu in pdus))
        if self._health is not None:
            self._remember(outcomes, sms.country)
        return self._combine(outcomes)

    def _remember(self, outcomes: Sequence[tuple[SubmitOutcome, int]], country: str) -> None:
        submitted = self._submitted
        now = self._loop_time()
        for outcome, _ in outcomes:
            if outcome.kind is SubmitOutcomeKind.ACCEPTED:
                submitted[clean_message_id(outcome.message_id)] = (now, country)
        while len(submitted) > self._settings.remembered_submits:
            submitted.popitem(last=False)

    async def _submit(self, client: SmppClient, pdu: Pdu) -> tuple[SubmitOutcome, int]:
        """Submit one part; an accepted one is reported to the receipt sink at once."""
        outcome = await client.submit(pdu)
        self._submit_latency.observe(outcome.latency)
        if outcome.kind is not SubmitOutcomeKind.ACCEPTED:
            return outcome, 0
        return outcome, self._receipt_sink.responded(self.name, outcome.message_id)

    def _combine(self, outcomes: Sequence[tuple[SubmitOutcome, int]]) -> ChannelResult:
        answered = [o.latency for o, _ in outcomes if o.kind is not SubmitOutcomeKind.UNKNOWN]
        accepted = tuple(
            SubmittedPart(
                part_no=index + 1,
                carrier_id_raw=clean_message_id(outcome.message_id),
                responded_at_us=responded_at_us,
            )
            for index, (outcome, responded_at_us) in enumerate(outcomes)
            if outcome.kind is SubmitOutcomeKind.ACCEPTED
        )
        return _result(
            accepted,
            [outcome for outcome, _ in outcomes],
            max(answered) if answered else None,
        )

    def _source(self, sender_id: str | None) -> tuple[str, int, int]:
        sender = sender_id or self._settings.default_sender_id or ""
        if not sender:
            return "", 0, 0
        if sender.isdigit():
            return sender, _TON_INTERNATIONAL, _NPI_ISDN
        return sender, _TON_ALPHANUMERIC, 0

    # ---- receiving -----------------------------------------------------------------

    async def _on_deliver_many(self, pdus: Sequence[Pdu]) -> list[int | Exception | None]:
        """deliver_sm / data_sm read together (:class:`SmppClient`): the receipts stamped in
        the order they were read and stored with one call; replies one by one after them.
        Every receipt among them fails together, each reply alone."""
        results: list[int | Exception | None] = [None] * len(pdus)
        receipts: list[ReceiptRecord] = []
        receipt_indexes: list[int] = []
        replies: list[int] = []
        for index, pdu in enumerate(pdus):
            esm_class = pdu.int_field("esm_class")
            if _is_receipt(pdu, esm_class):
                try:
                    record = self._receipt_record(pdu, esm_class)
                except Exception as error:  # an unreadable receipt fails alone
                    results[index] = error
                    continue
                if record is not None:
                    receipts.append(record)
                    receipt_indexes.append(index)
            else:
                replies.append(index)
        if receipts:
            try:
                await self._receipt_sink.received_many(receipts)
            except Exception as error:
                for index in receipt_indexes:
                    results[index] = error
        for index in replies:
            pdu = pdus[index]
            try:
                await self._on_reply(pdu, pdu.int_field("esm_class"))
            except Exception as error:
                results[index] = error
        return results

    def _receipt_record(self, pdu: Pdu, esm_class: int) -> ReceiptRecord | None:
        """The receipt in ``pdu``, stamped now on the wire clock; ``None`` (logged) when it
        names no message id."""
        received_at_us = self._receipt_sink.wire_time()
        receipted = pdu.tlv("receipted_message_id")
        state_value = pdu.tlv("message_state")
        network = pdu.tlv("network_error_code")
        receipt = parse_receipt(
            pdu.bytes_field("short_message") or pdu.tlv_raw("message_payload") or b"",
            receipted_message_id=receipted if isinstance(receipted, str) else None,
            message_state=state_value if isinstance(state_value, int) else None,
            network_error_code=network if isinstance(network, bytes) else None,
            esm_class=esm_class,
        )
        if receipt.message_id is None:
            _log.warning("receipt without a message id", extra={"channel": self.name})
            return None
        final = None if receipt.intermediate else status_for_receipt_state(receipt.state)
        self.receipts += 1
        if final is not None and self._health is not None:
            self._record_receipt(receipt.message_id, final is MessageStatus.DELIVERED)
        return ReceiptRecord(
            channel=self.name,
            carrier_id=receipt.message_id,
            state=final,
            stat=receipt.stat,
            err=receipt.err,
            raw=receipt.raw[:500],
            received_at=self._clock(),
            received_at_us=received_at_us,
        )

    def _record_receipt(self, carrier_id: str, delivered: bool) -> None:
        assert self._health is not None
        # Carriers that write the receipt's id differently from the response's are not
        # matched here: the receipt still counts, under "??" and without a latency.
        submitted = self._submitted.pop(clean_message_id(carrier_id), None)
        if submitted is None:
            self._health.record_receipt(self.name, "??", delivered, None)
            return
        sent_at, country = submitted
        self._health.record_receipt(self.name, country, delivered, self._loop_time() - sent_at)

    async def _on_reply(self, pdu: Pdu, esm_class: int) -> None:
        if self._inbound_sink is None:
            return
        sar = None
        ref, total, seq = (
            pdu.tlv("sar_msg_ref_num"),
            pdu.tlv("sar_total_segments"),
            pdu.tlv("sar_segment_seqnum"),
        )
        if isinstance(ref, int) and isinstance(total, int) and isinstance(seq, int):
            sar = (ref, total, seq)
        source = pdu.str_field("source_addr")
        destination = pdu.str_field("destination_addr")
        payload = pdu.tlv_raw("message_payload")
        if payload is not None:
            text = decode_short_message(payload, pdu.int_field("data_coding"))
        else:
            message = self._reassembler.add(
                source,
                destination,
                pdu.bytes_field("short_message"),
                esm_class,
                pdu.int_field("data_coding"),
                sar,
            )
            if message is None:
                return  # a part of a longer reply; the rest is on its way
            text = message.text
        self.inbound += 1
        await self._inbound_sink(
            InboundMessage(
                channel=self.name,
                source=_international(source),
                destination=destination,
                text=text,
                received_at=self._clock(),
            )
        )


def _is_receipt(pdu: Pdu, esm_class: int) -> bool:
    """A delivery receipt or intermediate notification, not a handset's reply."""
    message_type = esm_class & EsmClass.TYPE_MASK
    return message_type in (EsmClass.DELIVERY_RECEIPT, EsmClass.INTERMEDIATE_NOTIFICATION) or (
        pdu.tlv_raw("receipted_message_id") is not None
    )


def _international(source: str) -> str:
    """A handset's address as stored: ``+`` and digits when it is a number."""
    return "+" + source if source.isdigit() else source


def _result(
    accepted: tuple[SubmittedPart, ...],
    outcomes: Sequence[SubmitOutcome],
    latency_seconds: float | None,
) -> ChannelResult:
    if len(accepted) == len(outcomes):
        return ChannelResult(
            SendResultKind.ACCEPTED, tuple(accepted), latency_seconds=latency_seconds
        )
    refused = [outcome for outcome in outcomes if outcome.kind is not SubmitOutcomeKind.ACCEPTED]
    kinds = [_result_kind(outcome) for outcome in refused]
    worst = min(kinds, key=_SEVERITY.index)
    first = refused[kinds.index(worst)]
    detail = first.reason
    status = first.command_status or None
    if accepted:
        return ChannelResult(
            SendResultKind.ACCEPTED,
            tuple(accepted),
            detail=f"{len(refused)} of {len(outcomes)} parts refused: {detail}",
            status_code=status,
            partial=True,
            latency_seconds=latency_seconds,
        )
    return ChannelResult(worst, detail=detail, status_code=status, latency_seconds=latency_seconds)


def _result_kind(outcome: SubmitOutcome) -> SendResultKind:
    if outcome.kind is SubmitOutcomeKind.UNKNOWN:
        return SendResultKind.UNKNOWN
    if outcome.kind is SubmitOutcomeKind.NOT_SENT:
        return SendResultKind.NOT_SENT
    return _OUTCOME_KINDS.get(outcome.status_class, SendResultKind.TEMPORARY)
