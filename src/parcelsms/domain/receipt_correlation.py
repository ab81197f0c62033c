"""Which submitted part a delivery receipt belongs to: the rules, with no I/O.

A receipt names its part by the carrier's message id on one channel. Three things make that
harder than a dictionary lookup, and each has a rule here:

1. **Writings.** A channel writes its ids one way in the submit_sm_resp and one way in the
   receipt (:class:`MessageIdFormat`). Which reading relates the two is a property of the
   channel: configured, or learned by :class:`IdFormatLearner` from unambiguous evidence.
   Until it is known only the *same* writing matches, and only when no other reading points
   to a different submission (see :mod:`parcelsms.protocol.smpp.message_id` for why an id
   such as ``"26"`` is ambiguous).
2. **Reused ids.** Carriers restart and count from 1 again, so one id can name several
   parts. A receipt goes to the part with that id whose response came most recently
   *before* the receipt arrived (both times stamped by the channel as they come off the
   wire), or, for SMSCs that write the receipt before the response, to the first response
   with that id within the *early window* after it (:func:`choose_part`).
3. **Order of recording.** The writer may record a receipt before the submission it
   belongs to. A receipt whose part is not recorded yet waits; it is never given to an
   older part that is already final while a newer one may still come.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import Enum, StrEnum

from parcelsms.protocol.smpp.message_id import (
    IdWriting,
    decimal_value,
    exact_key,
    hex_value,
    id_writing,
)

__all__ = [
    "Apply",
    "Candidate",
    "Choice",
    "Duplicate",
    "IdFormatLearner",
    "MessageIdFormat",
    "Reading",
    "Wait",
    "choose_part",
    "micros",
    "reading_for_format",
    "receipt_key",
]


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)


def micros(at: datetime) -> int:
    """``at`` (timezone-aware) as whole microseconds since the epoch: the wire-time unit."""
    return (at - _EPOCH) // _MICROSECOND


class MessageIdFormat(StrEnum):
    """How a channel writes its message ids (the per-channel ``message_id_format``).

    ``decimal``, ``hex`` and ``opaque``: the same writing in the response and the receipt.
    ``hex_response_decimal_receipt`` / ``decimal_response_hex_receipt``: one number, written
    in hex in one place and in decimal in the other. ``auto``: learned from the traffic.
    """

    AUTO = "auto"
    DECIMAL = "decimal"
    HEX = "hex"
    OPAQUE = "opaque"
    HEX_RESPONSE_DECIMAL_RECEIPT = "hex_response_decimal_receipt"
    DECIMAL_RESPONSE_HEX_RECEIPT = "decimal_response_hex_receipt"


class Reading(Enum):
    """How a receipt's id relates to the response's id of the same part."""

    SAME = "same"
    HEX_TO_DECIMAL = "hex_response_decimal_receipt"
    DECIMAL_TO_HEX = "decimal_response_hex_receipt"


_FORMAT_READINGS: dict[MessageIdFormat, Reading | None] = {
    MessageIdFormat.AUTO: None,
    MessageIdFormat.DECIMAL: Reading.SAME,
    MessageIdFormat.HEX: Reading.SAME,
    MessageIdFormat.OPAQUE: Reading.SAME,
    MessageIdFormat.HEX_RESPONSE_DECIMAL_RECEIPT: Reading.HEX_TO_DECIMAL,
    MessageIdFormat.DECIMAL_RESPONSE_HEX_RECEIPT: Reading.DECIMAL_TO_HEX,
}


def reading_for_format(id_format: MessageIdFormat) -> Reading | None:
    """The reading a configured format fixes; ``None`` for ``auto``."""
    return _FORMAT_READINGS[id_format]


_MAX_DECIMAL_DIGITS = 80  # longer "numbers" are not converted (no carrier id is that long)


def receipt_key(raw: str, reading: Reading) -> str | None:
    """The exact key (:func:`~parcelsms.protocol.smpp.message_id.exact_key`) of the response
    id a receipt id names under ``reading``; ``None`` when it cannot name one.

    A part is stored under the exact key of its response id alone: a hex-written response
    ``0000001A`` is ``1a``, so the decimal receipt ``26`` names ``format(26, "x")``; a
    decimal-written response ``0026`` is ``26``, the value of the hex receipt ``1a``.
    """
    if reading is Reading.SAME:
        return exact_key(raw) or None
    if reading is Reading.HEX_TO_DECIMAL:
        value = decimal_value(raw)
        if value is None or len(value) > _MAX_DECIMAL_DIGITS:
            return None
        return format(int(value), "x")
    return hex_value(raw)


class IdFormatLearner:
    """Learns a channel's reading from evidence that admits one answer only.

    Evidence of two kinds: *writings* (a response id with a hex letter is not written in
    decimal; a receipt id with one is not; an opaque id is neither) remove readings outright;
    *votes* (a receipt that only one reading relates to a recent submission) count. A
    reading is learned when it is the only one left, or when it has ``min_votes`` and at
    least ``dominance`` times as many votes as all other readings together (stray votes
    come from duplicated or very late receipts).
    """

    def __init__(self, *, min_votes: int = 8, dominance: int = 10) -> None:
        self.possible: set[Reading] = set(Reading)
        self.votes: Counter[Reading] = Counter()
        self._min_votes = min_votes
        self._dominance = dominance

    def saw_response(self, raw: str) -> None:
        writing = id_writing(raw)
        if writing is IdWriting.HEX:
            self.possible.discard(Reading.DECIMAL_TO_HEX)
        elif writing is IdWriting.OPAQUE:
            self.possible &= {Reading.SAME}

    def saw_receipt(self, raw: str) -> None:
        writing = id_writing(raw)
        if writing is IdWriting.HEX:
            self.possible.discard(Reading.HEX_TO_DECIMAL)
        elif writing is IdWriting.OPAQUE:
            self.possible &= {Reading.SAME}

    def vote(self, reading: Reading) -> None:
        self.votes[reading] += 1

    @property
    def learned(self) -> Reading | None:
        if len(self.possible) == 1:
            return next(iter(self.possible))
        if not self.possible:
            return None  # contradictory evidence: an operator must configure the format
        leader = max(self.possible, key=lambda reading: self.votes[reading])
        leading = self.votes[leader]
        others = sum(self.votes[reading] for reading in self.possible if reading is not leader)
        if leading >= self._min_votes and leading >= self._dominance * others:
            return leader
        return None


@dataclass(init=False, frozen=True, slots=True)
class Candidate:
    """A stored part a receipt could belong to: when its response came, and whether its
    status is already final."""

    responded_at_us: int
    final: bool

    # Written out, not the dataclass's: compiled (parcelsms.compiled_modules).
    def __init__(
        self,
        responded_at_us: int,
        final: bool,
    ) -> None:
        object.__setattr__(self, "responded_at_us", responded_at_us)
        object.__setattr__(self, "final", final)


@dataclass(init=False, frozen=True, slots=True)
class Apply:
    """Apply the receipt to ``candidates[index]``."""

    index: int

    # Written out, not the dataclass's: compiled (parcelsms.compiled_modules).
    def __init__(
        self,
        index: int,
    ) -> None:
        object.__setattr__(self, "index", index)


@dataclass(frozen=True, slots=True)
class Duplicate:
    """The receipt repeats one already applied to ``candidates[index]``: record, change nothing."""

    index: int


@dataclass(frozen=True, slots=True)
class Wait:
    """No decision yet: keep the receipt pending."""


Choice = Apply | Duplicate | Wait


def choose_part(
    candidates: Sequence[Candidate],
    received_at_us: int,
    now_us: int,
    early_window_us: int,
) -> Choice:
    """Pick the part a receipt with no known response belongs to (module docstring, rule 2).

    * The first response after the receipt, within the early window: the SMSC wrote the
      receipt first.
    * Else the latest response before the receipt, if its part is still open.
    * If that part is already final, the receipt is either its duplicate or belongs to a
      newer submission not recorded yet: it waits until the early window has closed, then
      counts as a duplicate.
    * With no candidate at all, the receipt keeps waiting.
    """
    after = [
        index
        for index, candidate in enumerate(candidates)
        if received_at_us < candidate.responded_at_us <= received_at_us + early_window_us
    ]
    if after:
        return Apply(min(after, key=lambda index: candidates[index].responded_at_us))
    before = [
        index
        for index, candidate in enumerate(candidates)
        if candidate.responded_at_us <= received_at_us
    ]
    if not before:
        return Wait()
    latest = max(before, key=lambda index: candidates[index].responded_at_us)
    if not candidates[latest].final:
        return Apply(latest)
    if now_us < received_at_us + early_window_us:
        return Wait()
    return Duplicate(latest)
