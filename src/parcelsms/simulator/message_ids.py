"""How the simulated SMSC numbers its message ids and writes them on the wire.

Carriers differ here, and correlation must cope with every habit, so the simulator offers
each as a named :class:`MessageIdStyle` (the scenario's ``message_id_style``):

* ``hex_padded`` (the default): ``A0000000``, ``A0000001`` … in the submit_sm_resp and
  in the receipt;
* ``hex_padded_decimal_receipt``: the same responses, the receipt writes the same number in
  decimal (``2684354560``), a common carrier quirk;
* ``hex_sequential``: ``1`` … ``9``, ``a`` … ``f``, ``10`` … ``1a`` … (lower-case, unpadded)
  in both;
* ``decimal_sequential``: ``1``, ``2``, ``3`` … in both;
* ``hex_response_decimal_receipt``: the response as ``hex_sequential``, the receipt the same
  number in decimal (response ``1a``, receipt ``26``);
* ``uuid``: a version-4 UUID, the same in both.

The padded styles count from :data:`FIRST_MESSAGE_ID` so every id begins with a hex letter
and reads only one way. The sequential styles count from 1 as many SMSCs do: an all-digit
id such as ``26`` then reads as hex or as decimal, and ``1a`` and ``26`` name one message
(``hex_response_decimal_receipt``) or two (``hex_sequential``). UUIDs are drawn from the
scenario's seed, so a run is reproducible; a restart draws new ones.

A :class:`MessageIdIssuer` hands out ids in a style. :meth:`MessageIdIssuer.restart`
numbers from the first id again, as an SMSC without persistent counters does after a
restart: ids then repeat.
"""

from __future__ import annotations

import hashlib
import uuid
from dataclasses import dataclass
from enum import StrEnum

__all__ = ["FIRST_MESSAGE_ID", "IssuedId", "MessageIdIssuer", "MessageIdStyle", "hex_message_id"]

FIRST_MESSAGE_ID = 0xA000_0000
"""Where the padded styles start, so their 8-digit hex form always begins with a letter:
``A0000000`` can only be read as hex."""


class MessageIdStyle(StrEnum):
    """How message ids are numbered and written (see the module documentation)."""

    HEX_PADDED = "hex_padded"
    HEX_PADDED_DECIMAL_RECEIPT = "hex_padded_decimal_receipt"
    HEX_SEQUENTIAL = "hex_sequential"
    DECIMAL_SEQUENTIAL = "decimal_sequential"
    HEX_RESPONSE_DECIMAL_RECEIPT = "hex_response_decimal_receipt"
    UUID = "uuid"


_PADDED = frozenset({MessageIdStyle.HEX_PADDED, MessageIdStyle.HEX_PADDED_DECIMAL_RECEIPT})


@dataclass(frozen=True, slots=True)
class IssuedId:
    """One id: ``number`` keys the message's random choices (``decide``), ``response`` is
    written in the submit_sm_resp and ``receipt`` in the delivery receipt."""

    number: int
    response: str
    receipt: str


def hex_message_id(message_id: int) -> str:
    """An id as the ``hex_padded`` style writes it (8+ upper-case hex digits)."""
    return f"{message_id:08X}"


class MessageIdIssuer:
    """Issues the ids of one simulator, in order, in one style."""

    def __init__(self, style: MessageIdStyle, seed: int) -> None:
        self.style = style
        self._seed_key = seed.to_bytes(8, "big")
        self._first = FIRST_MESSAGE_ID if style in _PADDED else 1
        self._next = self._first
        self.restarts = 0

    def issue(self) -> IssuedId:
        """The next id."""
        number = self._next
        self._next += 1
        style = self.style
        if style is MessageIdStyle.HEX_PADDED:
            text = hex_message_id(number)
            return IssuedId(number, text, text)
        if style is MessageIdStyle.HEX_PADDED_DECIMAL_RECEIPT:
            return IssuedId(number, hex_message_id(number), str(number))
        if style is MessageIdStyle.HEX_SEQUENTIAL:
            text = f"{number:x}"
            return IssuedId(number, text, text)
        if style is MessageIdStyle.DECIMAL_SEQUENTIAL:
            text = str(number)
            return IssuedId(number, text, text)
        if style is MessageIdStyle.HEX_RESPONSE_DECIMAL_RECEIPT:
            return IssuedId(number, f"{number:x}", str(number))
        text = self._uuid(number)
        return IssuedId(number, text, text)

    def restart(self) -> None:
        """Number from the first id again (UUIDs: a fresh, still reproducible series)."""
        self._next = self._first
        self.restarts += 1

    def _uuid(self, number: int) -> str:
        digest = hashlib.blake2b(
            f"{self.restarts}|{number}".encode(), digest_size=16, key=self._seed_key
        ).digest()
        return str(uuid.UUID(bytes=digest, version=4))
