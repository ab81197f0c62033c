"""The simulator's memory of what it was sent: one :class:`SubmitRecord` per submit_sm.

Recording sits on the hot path (every submit), so a record keeps references to the
decoded PDU's values and decodes the text and the concatenation header only when a test
reads them.
"""

from __future__ import annotations

from dataclasses import dataclass

from parcelsms.protocol.smpp.constants import EsmClass
from parcelsms.protocol.text.ucs2 import decode_short_message

__all__ = ["Concatenation", "SubmitRecord"]

_SAR_REFERENCE, _SAR_TOTAL, _SAR_SEQUENCE = 0x020C, 0x020E, 0x020F
_MESSAGE_PAYLOAD = 0x0424
_IE_CONCAT_8BIT, _IE_CONCAT_16BIT = 0x00, 0x08


@dataclass(frozen=True, slots=True)
class Concatenation:
    """Which part of which concatenated message a submit carries.

    ``method`` is ``"udh8"``, ``"udh16"`` (user data header with an 8- or 16-bit
    reference) or ``"sar"`` (the sar_* TLVs).
    """

    method: str
    reference: int
    total: int
    sequence: int


@dataclass(slots=True)
class SubmitRecord:
    """One submit_sm as the simulated carrier saw it and what it did with it.

    ``message_id`` is the id given in the submit_sm_resp ("" when refused, unanswered or
    dropped); ``command_status`` the status answered (``None``: never answered);
    ``state`` the final state its receipt reports and ``receipt_message_id`` the id the
    receipt names (``None`` and "" when it gets none; the id differs from ``message_id``
    in the styles that write receipts in decimal).
    ``received_at`` is on the event loop's clock.
    """

    system_id: str
    source: str
    destination: str
    short_message: bytes
    data_coding: int
    esm_class: int
    registered_delivery: int
    tlvs: list[tuple[int, bytes]]
    received_at: float
    message_id: str = ""
    command_status: int | None = None
    state: str | None = None
    receipt_message_id: str = ""

    @property
    def user_data(self) -> bytes:
        """The message's octets without any user data header (message_payload if used)."""
        data = self.short_message
        if not data:
            for tag, value in self.tlvs:
                if tag == _MESSAGE_PAYLOAD:
                    data = value
                    break
        if self.esm_class & EsmClass.UDHI and data:
            return data[1 + data[0] :]
        return data

    @property
    def text(self) -> str:
        """The message text, decoded by its data_coding (never raises)."""
        return decode_short_message(self.user_data, self.data_coding)

    @property
    def concatenation(self) -> Concatenation | None:
        """The concatenation header (UDH or SAR TLVs), or ``None`` for a single part."""
        data = self.short_message
        if self.esm_class & EsmClass.UDHI and data:
            header = data[1 : 1 + data[0]]
            position = 0
            while position + 2 <= len(header):
                element, length = header[position], header[position + 1]
                value = header[position + 2 : position + 2 + length]
                if element == _IE_CONCAT_8BIT and len(value) == 3:
                    return Concatenation("udh8", value[0], value[1], value[2])
                if element == _IE_CONCAT_16BIT and len(value) == 4:
                    reference = int.from_bytes(value[:2], "big")
                    return Concatenation("udh16", reference, value[2], value[3])
                position += 2 + length
        sar = {tag: value for tag, value in self.tlvs if tag in _SAR_TAGS}
        if len(sar) == len(_SAR_TAGS):
            return Concatenation(
                "sar",
                int.from_bytes(sar[_SAR_REFERENCE], "big"),
                int.from_bytes(sar[_SAR_TOTAL], "big"),
                int.from_bytes(sar[_SAR_SEQUENCE], "big"),
            )
        return None


_SAR_TAGS = frozenset({_SAR_REFERENCE, _SAR_TOTAL, _SAR_SEQUENCE})
