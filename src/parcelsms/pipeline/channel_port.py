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
* A channel SHOULD classify carrier answers once, at its edge, into THROTTLED, TEMPORARY
  and PERMANENT: the dispatcher never sees protocol codes.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from typing import Protocol


class SendResultKind(Enum):
    ACCEPTED = "accepted"
    THROTTLED = "throttled"
    TEMPORARY = "temporary"
    PERMANENT = "permanent"
    UNKNOWN = "unknown"
    NOT_SENT = "not_sent"


@dataclass(frozen=True, slots=True)
class OutboundSms:
    """One message to hand to a carrier."""

    message_id: str
    to_e164: str
    sender_id: str | None
    body: str
    encoding: str  # "GSM7" | "UCS2"
    segments: int


@dataclass(frozen=True, slots=True)
class AcceptedPart:
    part_no: int
    carrier_id_raw: str
    carrier_id: str  # canonical form used to correlate receipts


@dataclass(frozen=True, slots=True)
class ChannelResult:
    kind: SendResultKind
    parts: tuple[AcceptedPart, ...] = ()
    detail: str = ""
    status_code: int | None = None  # the carrier's code, for the message history
    partial: bool = False  # ACCEPTED although some later part was refused


class Channel(Protocol):
    """One configured carrier channel (possibly several binds)."""

    name: str

    @property
    def is_available(self) -> bool:
        """True while at least one bind can take messages."""
        ...

    async def send(self, sms: OutboundSms) -> ChannelResult: ...

    async def start(self) -> None: ...

    async def close(self) -> None: ...
