"""UCS-2 (really UTF-16BE) text, and decoding of SMPP ``short_message`` by data_coding.

SMPP's "UCS2" (``data_coding`` 8) is, in practice, UTF-16 big-endian: every handset
and SMSC in use passes surrogate pairs through, so a character outside the Basic
Multilingual Plane (most emoji) costs two 16-bit *code units*. Lengths and limits in
this package are counted in code units.
"""

from __future__ import annotations

from typing import Final

from parcelsms.errors import TextEncodingError
from parcelsms.protocol.text.gsm7 import decode_gsm7

__all__ = [
    "DATA_CODING_GSM7",
    "DATA_CODING_IA5",
    "DATA_CODING_LATIN1",
    "DATA_CODING_UCS2",
    "decode_latin1",
    "decode_short_message",
    "decode_ucs2",
    "encode_ucs2",
    "ucs2_unit_count",
]

DATA_CODING_GSM7: Final = 0x00
"""SMSC default alphabet; parcelsms sends and reads it as unpacked GSM-7."""
DATA_CODING_IA5: Final = 0x01
"""IA5 (CCITT T.50), i.e. ASCII."""
DATA_CODING_LATIN1: Final = 0x03
"""ISO-8859-1."""
DATA_CODING_UCS2: Final = 0x08
"""UCS-2, read and written as UTF-16BE."""

# SMPP 3.4 §5.2.19 names these single-byte character sets; Python has codecs for them.
_SINGLE_BYTE_CODECS: Final[dict[int, str]] = {
    DATA_CODING_IA5: "ascii",
    DATA_CODING_LATIN1: "latin-1",
    0x06: "iso8859-5",  # Cyrillic
    0x07: "iso8859-8",  # Latin/Hebrew
}


def ucs2_unit_count(text: str) -> int:
    """Return the number of UTF-16 code units of ``text`` (a surrogate pair counts two).

    Never raises: a lone surrogate in ``text`` counts as one unit.
    """
    return len(text.encode("utf-16-be", "surrogatepass")) // 2


def encode_ucs2(text: str) -> bytes:
    """Encode ``text`` as UTF-16BE, without a byte order mark.

    Raises :class:`~parcelsms.errors.TextEncodingError` when ``text`` holds a lone
    surrogate code point, which no receiver could display.
    """
    try:
        return text.encode("utf-16-be")
    except UnicodeEncodeError as error:
        raise TextEncodingError(
            f"lone surrogate U+{ord(text[error.start]):04X} at index {error.start} "
            "cannot be sent as UCS-2"
        ) from None


def decode_ucs2(data: bytes) -> str:
    """Decode UTF-16BE tolerantly; never raises.

    A lone surrogate, or a trailing odd byte, decodes as U+FFFD REPLACEMENT CHARACTER.
    """
    return data.decode("utf-16-be", "replace")


def decode_latin1(data: bytes) -> str:
    """Decode ISO-8859-1 (``data_coding`` 3); every byte is a character, never raises."""
    return data.decode("latin-1")


def decode_short_message(data: bytes, data_coding: int) -> str:
    """Decode an SMPP ``short_message`` (or ``message_payload``) by its data_coding.

    Never raises; undecodable input is replaced, not rejected:

    ==================  ====================================================
    data_coding         read as
    ==================  ====================================================
    0x00                GSM-7 unpacked (one septet per octet); see
                        :func:`~parcelsms.protocol.text.gsm7.decode_gsm7`
    0x01                IA5/ASCII; bytes above 0x7F become U+FFFD
    0x03                Latin-1
    0x06, 0x07          ISO-8859-5 (Cyrillic), ISO-8859-8 (Hebrew)
    0x08                UTF-16BE; lone surrogates and an odd byte become U+FFFD
    0x10-0x13, 0xF0-3   GSM-7 (the GSM 03.38 coding groups with a message class)
    0x18-0x1B           UTF-16BE (UCS-2 with a message class, e.g. flash SMS)
    anything else       Latin-1, so that every byte survives as one character
                        (binary 0x02/0x04, JIS, KS C 5601 and unknown values)
    ==================  ====================================================
    """
    if data_coding == DATA_CODING_GSM7:
        return decode_gsm7(data)
    if data_coding == DATA_CODING_UCS2:
        return decode_ucs2(data)
    codec = _SINGLE_BYTE_CODECS.get(data_coding)
    if codec is not None:
        return data.decode(codec, "replace")
    if 0x10 <= data_coding <= 0x13 or 0xF0 <= data_coding <= 0xF3:
        return decode_gsm7(data)
    if 0x18 <= data_coding <= 0x1B:
        return decode_ucs2(data)
    return decode_latin1(data)
