"""The carrier-channel port: what the dispatcher needs from a way out to carriers.

The contract, for every implementation (SMPP today, HTTP carriers later):

* ``send`` MUST NOT raise for carrier or network problems: every attempt ends in a
  :class:`ChannelResult`. It MUST return within the channel's response timeout (plus its
  own queueing), never hang on a dead link.
* ``send`` MUST report ``ACCEPTED`` only with a carrier message id for every part it
  reports; ``parts`` lists the segments the carrier accepted, in order.
* ``UNKNOWN`` means the request left this process and no answer came back: the carrier may
  or may not have the message. The dispatcher decides what to do by policy.
* ``NOT_SENT`` means nothing left this process (not bound, shutting down): always safe to
  try elsewhere.
* A channel MUST classify carrier answers once, at its edge, into the
  :class:`~parcelsms.domain.failover.SendResultKind` of its result (THROTTLED, TEMPORARY,
  PERMANENT, UNKNOWN, NOT_SENT, ACCEPTED): the dispatcher never sees protocol codes, and
  decides what follows from the kind alone (:mod:`parcelsms.domain.failover`).
* A channel MUST report every accepted part to its :class:`ReceiptSink` with
  ``responded`` as soon as the response is read — before ``send`` returns and before any
  later PDU of that connection is handled — and carry the returned wire time in the
  part's ``responded_at_us``. It MUST stamp each receipt with ``wire_time()`` when the
  receipt is read, and hand it to ``received`` (or several read in a row, in their order,
  to ``received_many``); it SHOULD acknowledge the receipt to the carrier only after that
  returned, so a receipt not stored is sent again.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from parcelsms.domain.failover import SendResultKind
from parcelsms.pipeline.message_ports import SubmittedPart
from parcelsms.pipeline.receipt_ports import ReceiptRecord


class ReceiptSink(Protocol):
    """Where a channel reports responses and receipts (:mod:`parcelsms.pipeline.receipts`)."""

    def responded(self, channel: str, carrier_id: str) -> int:
        """An accepted submit response with ``carrier_id`` was read now; its wire time."""
        ...

    def wire_time(self) -> int:
        """Now on the wire clock (microseconds since the epoch, never going backwards)."""
        ...

    async def received(self, receipt: ReceiptRecord) -> None:
        """A receipt was read (stamped with :meth:`wire_time`)."""
        ...

    async def received_many(self, receipts: Sequence[ReceiptRecord]) -> None:
        """Receipts read one after another, in that order (each stamped when read)."""
        ...


@dataclass(init=False, frozen=True, slots=True)
class OutboundSms:
    """One message to hand to a carrier (the channel splits and encodes ``body`` itself)."""

    message_id: str
    to_e164: str
    sender_id: str | None
    body: str
    country: str = ""  # ISO code of the destination, for the channel's health figures

    # Written out, not the dataclass's: compiled (parcelsms.compiled_modules).
    def __init__(
        self,
        message_id: str,
        to_e164: str,
        sender_id: str | None,
        body: str,
        country: str = "",
    ) -> None:
        object.__setattr__(self, "message_id", message_id)
        object.__setattr__(self, "to_e164", to_e164)
        object.__setattr__(self, "sender_id", sender_id)
        object.__setattr__(self, "body", body)
        object.__setattr__(self, "country", country)


@dataclass(init=False, frozen=True, slots=True)
class ChannelResult:
    """One attempt's result. ``parts``: the accepted parts, recorded by the dispatcher as is."""

    kind: SendResultKind
    parts: tuple[SubmittedPart, ...] = ()
    detail: str = ""
    status_code: int | None = None  # the carrier's code, for the message history
    partial: bool = False  # ACCEPTED although some later part was refused
    latency_seconds: float | None = None  # the slowest part's answer, when answered

    # Written out, not the dataclass's: compiled (parcelsms.compiled_modules).
    def __init__(
        self,
        kind: SendResultKind,
        parts: tuple[SubmittedPart, ...] = (),
        detail: str = "",
        status_code: int | None = None,
        partial: bool = False,
        latency_seconds: float | None = None,
    ) -> None:
        object.__setattr__(self, "kind", kind)
        object.__setattr__(self, "parts", parts)
        object.__setattr__(self, "detail", detail)
        object.__setattr__(self, "status_code", status_code)
        object.__setattr__(self, "partial", partial)
        object.__setattr__(self, "latency_seconds", latency_seconds)


class Channel(Protocol):
    """One configured carrier channel (possibly several binds)."""

    name: str

    @property
    def is_available(self) -> bool:
        """True while at least one bind can take messages."""
        ...

    @property
    def send_rate(self) -> float | None:
        """Messages per second the channel's bound binds may send now (their TPS as flow
        control has set it); ``None``: no limit."""
        ...

    async def send(self, sms: OutboundSms) -> ChannelResult: ...

    async def start(self) -> None: ...

    async def close(self) -> None: ...


__all__ = [
    "Channel",
    "ChannelResult",
    "OutboundSms",
    "ReceiptSink",
    "SendResultKind",
]
