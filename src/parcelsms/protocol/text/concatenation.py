"""Splitting a text into the ``submit_sm`` parts an SMPP channel sends.

A text that fits one SMS (160 septets / 70 UCS-2 code units) is always one part with
no header, whatever the method. A longer text is sent by one of four methods:

=========  ===========================================================  ==========
method     how the parts are tied together                              part size
=========  ===========================================================  ==========
UDH8       UDH ``05 00 03 ref total seq`` in ``short_message``,         153 / 67
           8-bit reference; ``esm_class`` needs UDHI (0x40)
UDH16      UDH ``06 08 04 ref_hi ref_lo total seq``, 16-bit reference   152 / 66
SAR        no UDH; the SMSC builds it from the ``sar_msg_ref_num``,     153 / 67
           ``sar_total_segments``, ``sar_segment_seqnum`` TLVs
PAYLOAD    one ``submit_sm`` with the whole text in ``message_payload``  whole text
=========  ===========================================================  ==========

Part sizes are GSM-7 septets / UCS-2 code units. GSM-7 is sent unpacked (one septet
per octet, ``data_coding`` 0); the SMSC packs it behind the header for the air, where
a 6-octet UDH plus one fill bit takes 7 septets of 160 (153 left) and a 7-octet UDH
takes exactly 8 (152 left). UCS-2 (``data_coding`` 8) has 140 octets: 134 after a
6-octet UDH (67 units), 133 after 7 (66 units, the odd octet unused). SAR parts are
sized for the 6-octet header most SMSCs build from the TLVs, so SAR splits exactly as
UDH8 does and as :func:`~parcelsms.protocol.text.segments.count_segments` counts.

Parts are filled greedily and never divide an escape pair or a grapheme cluster
(hence never a surrogate pair), exactly like the segment counter.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Final

from parcelsms.errors import TextEncodingError
from parcelsms.protocol.text.gsm7 import encode_gsm7
from parcelsms.protocol.text.segments import Encoding, choose_encoding, split_units
from parcelsms.protocol.text.ucs2 import encode_ucs2

__all__ = [
    "MAX_PARTS",
    "MESSAGE_PAYLOAD_MAX_OCTETS",
    "ConcatenationMethod",
    "SubmitPart",
    "part_limit",
    "split_for_submit",
]

MAX_PARTS: Final = 255
"""The total-parts field of the UDH and ``sar_total_segments`` are one octet."""

MESSAGE_PAYLOAD_MAX_OCTETS: Final = 0xFFFF
"""The ``message_payload`` TLV has a 16-bit length."""

IEI_CONCATENATION_8BIT: Final = 0x00
IEI_CONCATENATION_16BIT: Final = 0x08


class ConcatenationMethod(StrEnum):
    """How a channel sends a text longer than one SMS (channel configuration value)."""

    UDH8 = "udh8"
    UDH16 = "udh16"
    SAR = "sar"
    PAYLOAD = "payload"


@dataclass(init=False, frozen=True, slots=True)
class SubmitPart:
    """One ``submit_sm`` worth of a text.

    * ``short_message``: the bytes for the ``short_message`` field, UDH first when
      ``esm_class_udhi`` is set (the SMPP layer then ORs 0x40 into ``esm_class``);
      empty for the PAYLOAD method.
    * ``message_payload``: the whole encoded text for the PAYLOAD method (the SMPP
      layer sends it as the ``message_payload`` TLV), else None.
    * ``data_coding``: 0 (GSM-7 unpacked) or 8 (UCS-2).
    * ``sar``: ``(sar_msg_ref_num, sar_total_segments, sar_segment_seqnum)`` for the
      SAR method, else None.
    * ``text``: the part of the text this part carries.
    """

    short_message: bytes
    data_coding: int
    esm_class_udhi: bool
    sar: tuple[int, int, int] | None
    text: str
    message_payload: bytes | None = None

    # Written out, not the dataclass's: compiled (parcelsms.compiled_modules).
    def __init__(
        self,
        short_message: bytes,
        data_coding: int,
        esm_class_udhi: bool,
        sar: tuple[int, int, int] | None,
        text: str,
        message_payload: bytes | None = None,
    ) -> None:
        object.__setattr__(self, "short_message", short_message)
        object.__setattr__(self, "data_coding", data_coding)
        object.__setattr__(self, "esm_class_udhi", esm_class_udhi)
        object.__setattr__(self, "sar", sar)
        object.__setattr__(self, "text", text)
        object.__setattr__(self, "message_payload", message_payload)


def part_limit(method: ConcatenationMethod, encoding: Encoding) -> int:
    """Return the units one concatenated part carries for this method and encoding.

    PAYLOAD has no parts; its limit is reported as the UDH8 one, for previews.
    """
    if method is ConcatenationMethod.UDH16:
        return encoding.concatenated_segment_limit - 1
    return encoding.concatenated_segment_limit


def split_for_submit(text: str, method: ConcatenationMethod, reference: int) -> list[SubmitPart]:
    """Split ``text`` into the parts to submit with ``method``.

    ``reference`` ties the parts together (0..255 for UDH8, 0..65535 for UDH16 and
    SAR; ignored for PAYLOAD and single-part texts); the caller keeps it unique per
    destination among messages in flight.

    Raises :class:`~parcelsms.errors.TextEncodingError` when the text cannot be sent:
    more than 255 parts, a payload above 65,535 octets, or a lone surrogate. Raises
    ``ValueError`` for a ``reference`` out of range for the method (a caller bug).
    """
    encoding = choose_encoding(text)
    data_coding = encoding.data_coding
    encode = encode_gsm7 if encoding is Encoding.GSM7 else encode_ucs2
    encoded = encode(text)  # raises for a lone surrogate before any splitting
    units = len(encoded) if encoding is Encoding.GSM7 else len(encoded) // 2
    if units <= encoding.single_segment_limit:
        return [SubmitPart(encoded, data_coding, False, None, text)]

    if method is ConcatenationMethod.PAYLOAD:
        if len(encoded) > MESSAGE_PAYLOAD_MAX_OCTETS:
            raise TextEncodingError(
                f"text needs {len(encoded)} octets; message_payload holds at most "
                f"{MESSAGE_PAYLOAD_MAX_OCTETS}"
            )
        return [SubmitPart(b"", data_coding, False, None, text, message_payload=encoded)]

    _check_reference(method, reference)
    limit = part_limit(method, encoding)
    pieces = split_units(text, encoding, limit, limit)
    total = len(pieces)
    if total > MAX_PARTS:
        raise TextEncodingError(
            f"text needs {total} parts; a concatenated SMS has at most {MAX_PARTS}"
        )
    parts: list[SubmitPart] = []
    for sequence, (piece, _) in enumerate(pieces, start=1):
        body = encode(piece)
        if method is ConcatenationMethod.SAR:
            parts.append(SubmitPart(body, data_coding, False, (reference, total, sequence), piece))
        else:
            header = _concatenation_header(method, reference, total, sequence)
            parts.append(SubmitPart(header + body, data_coding, True, None, piece))
    return parts


def _check_reference(method: ConcatenationMethod, reference: int) -> None:
    highest = 0xFF if method is ConcatenationMethod.UDH8 else 0xFFFF
    if not 0 <= reference <= highest:
        raise ValueError(f"reference {reference} out of range 0..{highest} for {method}")


def _concatenation_header(
    method: ConcatenationMethod, reference: int, total: int, sequence: int
) -> bytes:
    if method is ConcatenationMethod.UDH8:
        return bytes((5, IEI_CONCATENATION_8BIT, 3, reference, total, sequence))
    return bytes((6, IEI_CONCATENATION_16BIT, 4, reference >> 8, reference & 0xFF, total, sequence))
