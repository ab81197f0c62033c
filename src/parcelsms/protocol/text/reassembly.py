"""Reassembly of concatenated incoming messages (MO ``deliver_sm`` parts).

A part names its message by a reference, the total number of parts and its own
sequence number, carried either in the user data header (``esm_class`` bit 0x40 set;
information element 0x00 with an 8-bit reference or 0x08 with a 16-bit one) or in the
SAR TLVs, which the SMPP layer passes as a tuple. Parts of one message are grouped by
``(source, destination, reference, total)``; they may arrive in any order, and a part
already received is ignored.

Hostile or broken input never raises: a header whose lengths run past the data, or a
concatenation element with impossible numbers (total 0, sequence 0 or above total),
makes the part a plain, non-concatenated message; other information elements (port
addressing 0x05, ...) are skipped. Text is decoded with
:func:`~parcelsms.protocol.text.ucs2.decode_short_message`, which never raises.

Groups whose parts stop arriving are handed back by :meth:`Reassembler.expire` once
``timeout_seconds`` have passed since their last part, with what was received.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Final

from parcelsms.protocol.text.ucs2 import decode_short_message

__all__ = [
    "ESM_CLASS_UDHI",
    "IncompleteMessage",
    "ReassembledMessage",
    "Reassembler",
    "UserDataHeader",
    "parse_user_data_header",
]

ESM_CLASS_UDHI: Final = 0x40
"""``esm_class`` bit saying ``short_message`` starts with a user data header."""

_IEI_CONCATENATION_8BIT: Final = 0x00
_IEI_CONCATENATION_16BIT: Final = 0x08

DEFAULT_MAX_PENDING_GROUPS: Final = 10_000


@dataclass(frozen=True, slots=True)
class UserDataHeader:
    """What a user data header says: where the text starts, and the concatenation
    element's ``(reference, total, sequence)`` when it has a usable one."""

    text_offset: int
    concatenation: tuple[int, int, int] | None


@dataclass(frozen=True, slots=True)
class ReassembledMessage:
    """A complete incoming message.

    ``reference`` and ``total`` are None for a message that came in one piece (or
    whose header was unusable); ``data_coding`` is that of the first part.
    """

    source: str
    destination: str
    text: str
    data_coding: int
    reference: int | None = None
    total: int | None = None


@dataclass(frozen=True, slots=True)
class IncompleteMessage:
    """The parts of a concatenated message that never completed.

    ``parts`` holds ``(sequence, text)`` pairs in sequence order.
    """

    source: str
    destination: str
    reference: int
    total: int
    parts: tuple[tuple[int, str], ...]

    @property
    def text(self) -> str:
        """The received parts' text joined in sequence order (gaps left out)."""
        return "".join(text for _, text in self.parts)

    @property
    def missing(self) -> tuple[int, ...]:
        """Sequence numbers never received."""
        received = {sequence for sequence, _ in self.parts}
        return tuple(seq for seq in range(1, self.total + 1) if seq not in received)


@dataclass(slots=True)
class _Group:
    first_data_coding: int
    last_arrival: float
    payloads: dict[int, tuple[bytes, int]] = field(default_factory=dict)


_GroupKey = tuple[str, str, int, int]


def parse_user_data_header(short_message: bytes) -> UserDataHeader | None:
    """Read the user data header at the start of ``short_message``; never raises.

    Returns None when the header is malformed (its length or an element's runs past the
    data). Otherwise the text starts at ``text_offset``, and ``concatenation`` is set
    when a well-formed concatenation element (IEI 0x00 of length 3, IEI 0x08 of
    length 4) with 1 <= sequence <= total is present; the last such element wins.
    """
    if not short_message:
        return None
    end = 1 + short_message[0]
    if end > len(short_message):
        return None
    concatenation: tuple[int, int, int] | None = None
    position = 1
    while position < end:
        if position + 2 > end:
            return None
        identifier = short_message[position]
        length = short_message[position + 1]
        value = short_message[position + 2 : position + 2 + length]
        position += 2 + length
        if position > end:
            return None
        if identifier == _IEI_CONCATENATION_8BIT and length == 3:
            candidate = (value[0], value[1], value[2])
        elif identifier == _IEI_CONCATENATION_16BIT and length == 4:
            candidate = ((value[0] << 8) | value[1], value[2], value[3])
        else:
            continue
        if 1 <= candidate[2] <= candidate[1]:
            concatenation = candidate
    return UserDataHeader(end, concatenation)


class Reassembler:
    """Collects parts of concatenated messages until each message is complete.

    Not thread-safe; meant to be owned by one channel's receive path. ``clock``
    returns seconds, must never go backwards (monotonic by default) and is injectable
    for tests. At most
    ``max_pending_groups`` incomplete messages are held; beyond that the group
    with the oldest last part is evicted and reported by the next :meth:`expire`.
    """

    def __init__(
        self,
        timeout_seconds: float,
        clock: Callable[[], float] = time.monotonic,
        *,
        max_pending_groups: int = DEFAULT_MAX_PENDING_GROUPS,
    ) -> None:
        if timeout_seconds <= 0:
            raise ValueError("timeout_seconds must be positive")
        if max_pending_groups < 1:
            raise ValueError("max_pending_groups must be at least 1")
        self._timeout = timeout_seconds
        self._clock = clock
        self._max_pending = max_pending_groups
        self._groups: dict[_GroupKey, _Group] = {}
        self._evicted: list[IncompleteMessage] = []

    @property
    def pending_count(self) -> int:
        """Number of messages waiting for parts."""
        return len(self._groups)

    def add(
        self,
        source: str,
        destination: str,
        short_message: bytes,
        esm_class: int,
        data_coding: int,
        sar: tuple[int, int, int] | None,
    ) -> ReassembledMessage | None:
        """Take one received part; return the message when it is (now) complete.

        ``sar`` is ``(sar_msg_ref_num, sar_total_segments, sar_segment_seqnum)`` when
        the PDU carried those TLVs. Returns None while parts are missing and for a
        duplicate part; a completed message is returned exactly once.
        """
        body = short_message
        concatenation: tuple[int, int, int] | None = None
        if esm_class & ESM_CLASS_UDHI:
            header = parse_user_data_header(short_message)
            if header is not None:
                body = short_message[header.text_offset :]
                concatenation = header.concatenation
        if concatenation is None and sar is not None and 1 <= sar[2] <= sar[1]:
            concatenation = sar
        if concatenation is None or concatenation[1] == 1:
            return ReassembledMessage(
                source, destination, decode_short_message(body, data_coding), data_coding
            )
        reference, total, sequence = concatenation
        key = (source, destination, reference, total)
        now = self._clock()
        group = self._groups.get(key)
        if group is None:
            self._make_room()
            group = _Group(first_data_coding=data_coding, last_arrival=now)
            self._groups[key] = group
        if sequence in group.payloads:
            return None
        group.payloads[sequence] = (body, data_coding)
        group.last_arrival = now
        # Keep the dict ordered by last arrival, oldest first: expiry and eviction
        # then look only at its front.
        self._groups[key] = self._groups.pop(key)
        if len(group.payloads) < total:
            return None
        del self._groups[key]
        return ReassembledMessage(
            source,
            destination,
            _decode_parts([group.payloads[seq] for seq in range(1, total + 1)]),
            group.first_data_coding,
            reference,
            total,
        )

    def expire(self) -> list[IncompleteMessage]:
        """Remove and return groups with no part for more than ``timeout_seconds``.

        Also returns groups evicted because too many were pending.
        """
        deadline = self._clock() - self._timeout
        expired, self._evicted = self._evicted, []
        while self._groups:
            oldest = next(iter(self._groups))
            if self._groups[oldest].last_arrival >= deadline:
                break
            expired.append(_incomplete(oldest, self._groups.pop(oldest)))
        return expired

    def drain(self) -> list[IncompleteMessage]:
        """Remove and return every pending group, however recent (at shutdown)."""
        drained, self._evicted = self._evicted, []
        drained.extend(_incomplete(key, group) for key, group in self._groups.items())
        self._groups.clear()
        return drained

    def _make_room(self) -> None:
        if len(self._groups) >= self._max_pending:
            oldest = next(iter(self._groups))
            self._evicted.append(_incomplete(oldest, self._groups.pop(oldest)))


def _decode_parts(payloads: list[tuple[bytes, int]]) -> str:
    # Decoding the joined bytes keeps a surrogate pair or an escape pair that a sender
    # split across parts intact; parts with differing data_coding are decoded alone.
    codings = {data_coding for _, data_coding in payloads}
    if len(codings) == 1:
        return decode_short_message(b"".join(body for body, _ in payloads), codings.pop())
    return "".join(decode_short_message(body, data_coding) for body, data_coding in payloads)


def _incomplete(key: _GroupKey, group: _Group) -> IncompleteMessage:
    source, destination, reference, total = key
    parts = tuple(
        (sequence, decode_short_message(body, data_coding))
        for sequence, (body, data_coding) in sorted(group.payloads.items())
    )
    return IncompleteMessage(source, destination, reference, total, parts)
