"""SMS text: GSM-7 / UCS-2 encoding, segment counting, SMPP splitting and reassembly.

Pure code (no I/O). Counting matches Twilio's ``sms-segments-calculator``; see
:mod:`parcelsms.protocol.text.segments` and ``docs/smpp.md (Text and encodings)``.
"""

from parcelsms.protocol.text.concatenation import (
    MAX_PARTS,
    ConcatenationMethod,
    SubmitPart,
    part_limit,
    split_for_submit,
)
from parcelsms.protocol.text.graphemes import split_graphemes
from parcelsms.protocol.text.gsm7 import (
    GSM7_BASIC_CHARACTERS,
    GSM7_EXTENSION_CHARACTERS,
    decode_gsm7,
    decode_gsm7_packed,
    encode_gsm7,
    encode_gsm7_packed,
    first_non_gsm7,
    gsm7_septet_count,
    is_gsm7,
)
from parcelsms.protocol.text.reassembly import (
    ESM_CLASS_UDHI,
    IncompleteMessage,
    ReassembledMessage,
    Reassembler,
    UserDataHeader,
    parse_user_data_header,
)
from parcelsms.protocol.text.segments import (
    Encoding,
    NonGsmCharacter,
    SegmentInfo,
    choose_encoding,
    count_segments,
    text_units,
)
from parcelsms.protocol.text.ucs2 import (
    DATA_CODING_GSM7,
    DATA_CODING_IA5,
    DATA_CODING_LATIN1,
    DATA_CODING_UCS2,
    decode_latin1,
    decode_short_message,
    decode_ucs2,
    encode_ucs2,
    ucs2_unit_count,
)

__all__ = [
    "DATA_CODING_GSM7",
    "DATA_CODING_IA5",
    "DATA_CODING_LATIN1",
    "DATA_CODING_UCS2",
    "ESM_CLASS_UDHI",
    "GSM7_BASIC_CHARACTERS",
    "GSM7_EXTENSION_CHARACTERS",
    "MAX_PARTS",
    "ConcatenationMethod",
    "Encoding",
    "IncompleteMessage",
    "NonGsmCharacter",
    "ReassembledMessage",
    "Reassembler",
    "SegmentInfo",
    "SubmitPart",
    "UserDataHeader",
    "choose_encoding",
    "count_segments",
    "decode_gsm7",
    "decode_gsm7_packed",
    "decode_latin1",
    "decode_short_message",
    "decode_ucs2",
    "encode_gsm7",
    "encode_gsm7_packed",
    "encode_ucs2",
    "first_non_gsm7",
    "gsm7_septet_count",
    "is_gsm7",
    "parse_user_data_header",
    "part_limit",
    "split_for_submit",
    "split_graphemes",
    "text_units",
    "ucs2_unit_count",
]
