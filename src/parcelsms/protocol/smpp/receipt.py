"""SMPP delivery receipts: from a deliver_sm's decoded fields to one :class:`Receipt`.

A receipt carries its facts twice, and carriers fill the two places unevenly:

* optional parameters (TLVs): ``receipted_message_id``, ``message_state`` and
  ``network_error_code`` — exact when present;
* the receipt text in ``short_message`` (SMPP 3.4 appendix B, "not standard, SMSC
  specific")::

      id:IIIIIIIIII sub:SSS dlvrd:DDD submit date:YYMMDDhhmm done date:YYMMDDhhmm
      stat:DDDDDDD err:E text:...

The TLVs win; the text fills whatever they leave out. The text is read tolerantly, because
every SMSC writes it a little differently: keys in any order and any case, ``submit date``
spelled ``submit_date`` or ``submitdate``, extra spaces, missing fields, trailing garbage,
NUL padding (removing NULs also makes UCS-2 encoded ASCII receipts readable), ``text:``
last and swallowing the rest. :func:`parse_receipt` never raises: a receipt the carrier
garbled still yields a :class:`Receipt` (state ``UNKNOWN`` when nothing says otherwise),
because a deliver_sm must always be answered and the raw text kept for an operator.

Times in the text are taken as UTC (SMPP gives them no zone); formats ``YYMMDDhhmm``,
``YYMMDDhhmmss`` and, as an extension seen in the wild, ``YYYYMMDDhhmmss``.
"""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass
from datetime import UTC, datetime

__all__ = ["Receipt", "ReceiptState", "parse_receipt", "state_from_message_state"]


class ReceiptState(enum.StrEnum):
    """What a receipt says happened to a message."""

    DELIVERED = "delivered"
    UNDELIVERABLE = "undeliverable"
    EXPIRED = "expired"
    REJECTED = "rejected"
    DELETED = "deleted"
    ACCEPTED = "accepted"
    ENROUTE = "enroute"
    UNKNOWN = "unknown"

    @property
    def is_final(self) -> bool:
        """True when no later receipt can change the outcome.

        SMPP 3.4 also lists ACCEPTED and UNKNOWN as final, but aggregators commonly send
        ``ACCEPTD`` for "accepted by the next hop" and a real outcome later, and UNKNOWN says
        nothing: both are treated as intermediate so a later receipt (or the validity
        timeout) decides.
        """
        return self in _FINAL_STATES


_FINAL_STATES = frozenset(
    {
        ReceiptState.DELIVERED,
        ReceiptState.UNDELIVERABLE,
        ReceiptState.EXPIRED,
        ReceiptState.REJECTED,
        ReceiptState.DELETED,
    }
)

# message_state values of SMPP 3.4 (the message_state TLV and query_sm_resp).
_MESSAGE_STATES: dict[int, ReceiptState] = {
    1: ReceiptState.ENROUTE,
    2: ReceiptState.DELIVERED,
    3: ReceiptState.EXPIRED,
    4: ReceiptState.DELETED,
    5: ReceiptState.UNDELIVERABLE,
    6: ReceiptState.ACCEPTED,
    7: ReceiptState.UNKNOWN,
    8: ReceiptState.REJECTED,
}

# stat: words, upper-cased with everything but letters and digits removed ("EN_ROUTE" ->
# "ENROUTE"). The 7-letter forms are SMPP 3.4 appendix B; the rest are variants carriers send.
_STAT_WORDS: dict[str, ReceiptState] = {
    "DELIVRD": ReceiptState.DELIVERED,
    "DELIVERED": ReceiptState.DELIVERED,
    "DELIVRED": ReceiptState.DELIVERED,
    "EXPIRED": ReceiptState.EXPIRED,
    "EXPIRD": ReceiptState.EXPIRED,
    "DELETED": ReceiptState.DELETED,
    "DELETD": ReceiptState.DELETED,
    "UNDELIV": ReceiptState.UNDELIVERABLE,
    "UNDELIVERABLE": ReceiptState.UNDELIVERABLE,
    "UNDELIVERED": ReceiptState.UNDELIVERABLE,
    "UNDELIVRD": ReceiptState.UNDELIVERABLE,
    "FAILED": ReceiptState.UNDELIVERABLE,
    "FAIL": ReceiptState.UNDELIVERABLE,
    "ACCEPTD": ReceiptState.ACCEPTED,
    "ACCEPTED": ReceiptState.ACCEPTED,
    "UNKNOWN": ReceiptState.UNKNOWN,
    "REJECTD": ReceiptState.REJECTED,
    "REJECTED": ReceiptState.REJECTED,
    "REJECT": ReceiptState.REJECTED,
    "ENROUTE": ReceiptState.ENROUTE,
}

# esm_class bits of SMPP 3.4.
_ESM_TYPE_MASK = 0x3C
_ESM_INTERMEDIATE_NOTIFICATION = 0x20
_ESM_UDHI = 0x40

# A key is a known word followed by a colon, not glued to a preceding letter or digit
# (so "xid:" is no "id:"). "text" ends the scan: whatever follows it is message text.
_KEY_PATTERN = re.compile(
    r"(?<![0-9a-z_])"
    r"(?P<key>id|sub|dlvrd|submit[ _-]*date|done[ _-]*date|stat(?:us)?|err(?:or)?|text)"
    r"[ \t]*:",
    re.IGNORECASE,
)
# Values without spaces or colons, so that the scan would cut them at the same places.
_STANDARD_LAYOUT = re.compile(
    r"id:(?P<id>[^\s:]+) sub:(?P<sub>[^\s:]*) dlvrd:(?P<dlvrd>[^\s:]*) "
    r"submit date:(?P<submit_date>[0-9]*) done date:(?P<done_date>[0-9]*) "
    r"stat:(?P<stat>[^\s:]*) err:(?P<err>[^\s:]*)(?: [Tt]ext:(?P<text>.*))?\Z",
    re.DOTALL,
)
_KEY_NAMES = {
    "id": "id",
    "sub": "sub",
    "dlvrd": "dlvrd",
    "stat": "stat",
    "status": "stat",
    "err": "err",
    "error": "err",
    "text": "text",
}

_ASCII_DIGITS = re.compile(r"[0-9]+")
_HEX_WITH_PREFIX = re.compile(r"0x([0-9a-f]+)", re.IGNORECASE)
_HEX_DIGITS = re.compile(r"[0-9a-f]+", re.IGNORECASE)
_NOT_WORD = re.compile(r"[^A-Z0-9]")
# Longest numbers converted: beyond them a value is kept as text only (and int() of huge
# strings, which Python limits, is never attempted).
_MAX_COUNT_DIGITS = 9
_MAX_ERROR_DECIMAL_DIGITS = 20
_MAX_ERROR_HEX_DIGITS = 16
_NETWORK_ERROR_LENGTH = 3


@dataclass(init=False, frozen=True, slots=True)
class Receipt:
    """One delivery receipt, TLVs and text merged (TLVs win).

    ``message_id`` is the id as the carrier wrote it (which reading it stands for is the
    correlator's decision: :mod:`parcelsms.protocol.smpp.message_id`). ``stat`` and
    ``err`` are the raw text values; ``error_code`` is ``err`` read as a number (decimal,
    or hex when it has hex letters or a ``0x`` prefix) and None for other text.
    ``network_error`` is the ``network_error_code`` TLV as (network type, error code).
    Dates are aware UTC datetimes. ``intermediate`` is true when esm_class marks an
    intermediate delivery notification rather than a final receipt. ``raw`` is the decoded
    short_message that was parsed.

    The pipeline reads the id, state, ``stat``, ``err`` and ``raw`` of every receipt and
    nothing else, so the rest (dates, counts, error numbers, text: half the parsing time)
    is kept as written and read when asked for.
    """

    message_id: str | None
    state: ReceiptState
    stat: str | None
    err: str | None
    raw: str
    intermediate: bool
    _fields: tuple[str | None, str | None, str | None, str | None, str | None]
    _network_error_code: bytes | None

    # Written out, not the dataclass's: compiled (parcelsms.compiled_modules).
    def __init__(
        self,
        message_id: str | None,
        state: ReceiptState,
        stat: str | None,
        err: str | None,
        raw: str,
        intermediate: bool,
        _fields: tuple[str | None, str | None, str | None, str | None, str | None],
        _network_error_code: bytes | None,
    ) -> None:
        object.__setattr__(self, "message_id", message_id)
        object.__setattr__(self, "state", state)
        object.__setattr__(self, "stat", stat)
        object.__setattr__(self, "err", err)
        object.__setattr__(self, "raw", raw)
        object.__setattr__(self, "intermediate", intermediate)
        object.__setattr__(self, "_fields", _fields)
        object.__setattr__(self, "_network_error_code", _network_error_code)

    @property
    def error_code(self) -> int | None:
        return _error_code(self.err)

    @property
    def network_error(self) -> tuple[int, int] | None:
        return _network_error(self._network_error_code)

    @property
    def submit_date(self) -> datetime | None:
        return _date(_first_token(self._fields[0]))

    @property
    def done_date(self) -> datetime | None:
        return _date(_first_token(self._fields[1]))

    @property
    def submitted(self) -> int | None:
        return _count(_first_token(self._fields[2]))

    @property
    def delivered(self) -> int | None:
        return _count(_first_token(self._fields[3]))

    @property
    def text(self) -> str | None:
        text = self._fields[4]
        return text.strip() if text is not None else None


def state_from_message_state(message_state: int) -> ReceiptState | None:
    """The state an SMPP 3.4 ``message_state`` value stands for, None for other values."""
    return _MESSAGE_STATES.get(message_state)


def parse_receipt(
    short_message: bytes,
    *,
    receipted_message_id: str | None = None,
    message_state: int | None = None,
    network_error_code: bytes | None = None,
    esm_class: int = 0x04,
) -> Receipt:
    """Read a delivery receipt from a deliver_sm's decoded fields. Never raises.

    ``short_message`` is the raw field (ASCII or Latin-1; UTF-8 is accepted too). TLV
    arguments take precedence over the text: ``receipted_message_id`` over ``id:``, a
    ``message_state`` of 1-8 over ``stat:`` (other values are ignored). With neither a
    usable TLV nor a known ``stat:``, the state is UNKNOWN.
    """
    raw = _decode(_without_user_data_header(short_message, esm_class))
    fields = _text_fields(raw)

    tlv_id = _clean_id(receipted_message_id)
    message_id = tlv_id if tlv_id is not None else _clean_id(_first_token(fields.get("id")))

    stat = _first_token(fields.get("stat"))
    err = _first_token(fields.get("err"))
    state = _state(message_state, stat)

    return Receipt(
        message_id=message_id,
        state=state,
        stat=stat,
        err=err,
        raw=raw,
        intermediate=(esm_class & _ESM_TYPE_MASK) == _ESM_INTERMEDIATE_NOTIFICATION,
        _fields=(
            fields.get("submit_date"),
            fields.get("done_date"),
            fields.get("sub"),
            fields.get("dlvrd"),
            fields.get("text"),
        ),
        _network_error_code=network_error_code,
    )


def _without_user_data_header(short_message: bytes, esm_class: int) -> bytes:
    """Drop a user data header: receipts rarely have one, but UDHI says so when they do."""
    if esm_class & _ESM_UDHI and short_message:
        return short_message[1 + short_message[0] :]
    return short_message


def _decode(short_message: bytes) -> str:
    """Text of the receipt: UTF-8 when it is valid UTF-8 (ASCII always is), else Latin-1.

    NULs are removed: C-string padding, and the high bytes of UCS-2 encoded ASCII.
    """
    try:
        text = short_message.decode("utf-8")
    except UnicodeDecodeError:
        text = short_message.decode("latin-1")
    return text.replace("\x00", "")


def _text_fields(raw: str) -> dict[str, str]:
    """Values of the receipt text by canonical key; the first occurrence of a key wins.

    The layout of the SMPP 3.4 appendix B, which nearly every SMSC writes, is read with one
    anchored match (a receipt is parsed for every message, on the event loop); anything
    else goes through the tolerant scan (:func:`_scanned_fields`), which reads the
    standard layout to the same values.
    """
    standard = _STANDARD_LAYOUT.match(raw)
    if standard is not None:
        return {key: value for key, value in standard.groupdict().items() if value is not None}
    return _scanned_fields(raw)


def _scanned_fields(raw: str) -> dict[str, str]:
    """:func:`_text_fields` for any layout: keys found anywhere, values up to the next key."""
    fields: dict[str, str] = {}
    matches = list(_KEY_PATTERN.finditer(raw))
    for index, match in enumerate(matches):
        key = _canonical_key(match.group("key"))
        if key == "text":
            fields.setdefault(key, raw[match.end() :])
            break
        end = matches[index + 1].start() if index + 1 < len(matches) else len(raw)
        fields.setdefault(key, raw[match.end() : end])
    return fields


def _canonical_key(key: str) -> str:
    lowered = key.lower()
    if lowered.startswith("submit"):
        return "submit_date"
    if lowered.startswith("done"):
        return "done_date"
    return _KEY_NAMES[lowered]


def _first_token(value: str | None) -> str | None:
    """First whitespace-separated word of a field: anything after it is garbage."""
    if value is None:
        return None
    words = value.split(maxsplit=1)
    return words[0] if words else None


def _clean_id(value: str | None) -> str | None:
    if value is None:
        return None
    stripped = value.strip(" \t\r\n\v\f\x00")
    return stripped or None


def _state(message_state: int | None, stat: str | None) -> ReceiptState:
    if message_state is not None:
        from_tlv = _MESSAGE_STATES.get(message_state)
        if from_tlv is not None:
            return from_tlv
    if stat is None:
        return ReceiptState.UNKNOWN
    word = _NOT_WORD.sub("", stat.upper())
    if _ASCII_DIGITS.fullmatch(word) and len(word) <= 2:
        # Some SMSCs write the message_state number instead of the word.
        return _MESSAGE_STATES.get(int(word), ReceiptState.UNKNOWN)
    return _STAT_WORDS.get(word, ReceiptState.UNKNOWN)


def _error_code(err: str | None) -> int | None:
    """``err`` as a number: decimal digits, or hex with a ``0x`` prefix or a hex letter."""
    if err is None:
        return None
    if _ASCII_DIGITS.fullmatch(err):
        return int(err, 10) if len(err) <= _MAX_ERROR_DECIMAL_DIGITS else None
    prefixed = _HEX_WITH_PREFIX.fullmatch(err)
    if prefixed is not None:
        digits = prefixed.group(1)
    elif _HEX_DIGITS.fullmatch(err):
        digits = err
    else:
        return None
    return int(digits, 16) if len(digits) <= _MAX_ERROR_HEX_DIGITS else None


def _network_error(network_error_code: bytes | None) -> tuple[int, int] | None:
    """(network type, error code) of the 3-octet TLV; None when absent or malformed."""
    if network_error_code is None or len(network_error_code) != _NETWORK_ERROR_LENGTH:
        return None
    return network_error_code[0], int.from_bytes(network_error_code[1:3], "big")


def _count(value: str | None) -> int | None:
    if value is None or not _ASCII_DIGITS.fullmatch(value):
        return None
    return int(value) if len(value) <= _MAX_COUNT_DIGITS else None


def _date(value: str | None) -> datetime | None:
    """A receipt date as aware UTC; None for anything that is not a valid date."""
    if value is None or not _ASCII_DIGITS.fullmatch(value):
        return None
    if len(value) == 14:
        year, rest = int(value[:4]), value[4:]
    elif len(value) in (10, 12):
        year, rest = 2000 + int(value[:2]), value[2:]
    else:
        return None
    month, day, hour, minute = (int(rest[i : i + 2]) for i in range(0, 8, 2))
    second = int(rest[8:10]) if len(rest) == 10 else 0
    try:
        return datetime(year, month, day, hour, minute, second, tzinfo=UTC)
    except ValueError:
        return None
