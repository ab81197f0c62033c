"""The PDU value, and its encoder, decoder and dump — all derived from ``tables``.

A :class:`Pdu` is a header (command_id, command_status, sequence_number), a dict of its
mandatory fields by specification name, and its TLVs as an ordered list of
``(tag, raw value bytes)``. TLVs are kept raw so that unknown and vendor tags re-encode
byte for byte; :meth:`Pdu.tlv` decodes a known tag on demand by name.

Decoding is strict about structure (lengths, NULs, TLV framing) and lenient about values:
it never interprets flags or ranges, so a carrier's odd but well-framed PDU still arrives.
"""

from __future__ import annotations

import struct
from collections.abc import Mapping
from typing import Final

from parcelsms.errors import ProtocolError
from parcelsms.protocol.smpp.constants import (
    CommandStatus,
    command_name,
    is_response,
    status_name,
)
from parcelsms.protocol.smpp.tables import (
    LAYOUTS,
    TLV_BY_NAME,
    TLV_BY_TAG,
    FieldKind,
    TlvKind,
    TlvSpec,
)

FieldValue = int | str | bytes
HEADER: Final = struct.Struct(">IIII")
HEADER_SIZE: Final = 16
_TLV_HEAD: Final = struct.Struct(">HH")
_U16: Final = struct.Struct(">H")
_U32: Final = struct.Struct(">I")

_INT1: Final = FieldKind.INT1
_INT2: Final = FieldKind.INT2
_INT4: Final = FieldKind.INT4
_CSTRING: Final = FieldKind.CSTRING
_OCTETS: Final = FieldKind.OCTETS

# Pre-flattened layouts: (name, kind, size, length_field) tuples are faster to walk in the
# hot decode loop than attribute lookups on dataclasses.
_FLAT: Final = {
    command_id: (
        tuple((f.name, f.kind, f.size, f.length_field) for f in layout.fields),
        layout.has_tlvs,
        layout.body_optional,
    )
    for command_id, layout in LAYOUTS.items()
}


class Pdu:
    """One SMPP PDU. Build with keyword fields; TLVs by name with :meth:`set_tlv`."""

    __slots__ = ("command_id", "command_status", "fields", "sequence_number", "tlvs")

    def __init__(
        self,
        command_id: int,
        sequence_number: int = 0,
        command_status: int = 0,
        fields: dict[str, FieldValue] | None = None,
        tlvs: list[tuple[int, bytes]] | None = None,
    ) -> None:
        self.command_id = command_id
        self.command_status = command_status
        self.sequence_number = sequence_number
        self.fields: dict[str, FieldValue] = fields if fields is not None else {}
        self.tlvs: list[tuple[int, bytes]] = tlvs if tlvs is not None else []

    @property
    def name(self) -> str:
        return command_name(self.command_id)

    @property
    def is_response(self) -> bool:
        return is_response(self.command_id)

    def get(self, name: str, default: FieldValue | None = None) -> FieldValue | None:
        return self.fields.get(name, default)

    def str_field(self, name: str) -> str:
        """A C-string field as text ("" when absent)."""
        value = self.fields.get(name, "")
        return value if isinstance(value, str) else ""

    def int_field(self, name: str) -> int:
        value = self.fields.get(name, 0)
        return value if isinstance(value, int) else 0

    def bytes_field(self, name: str) -> bytes:
        value = self.fields.get(name, b"")
        return value if isinstance(value, bytes) else b""

    def tlv_raw(self, name_or_tag: str | int) -> bytes | None:
        """The raw value of the first TLV with this name or tag, or ``None``."""
        tag = TLV_BY_NAME[name_or_tag].tag if isinstance(name_or_tag, str) else name_or_tag
        for t, value in self.tlvs:
            if t == tag:
                return value
        return None

    def tlv(self, name: str) -> int | str | bytes | bool | None:
        """The decoded value of a known TLV (int, str, bytes or True for a flag)."""
        spec = TLV_BY_NAME[name]
        raw = self.tlv_raw(spec.tag)
        if raw is None:
            return None
        return decode_tlv_value(spec, raw)

    def set_tlv(self, name: str, value: int | str | bytes | bool) -> None:
        """Add or replace a known TLV, encoding ``value`` per its specification type."""
        spec = TLV_BY_NAME[name]
        raw = encode_tlv_value(spec, value)
        for index, (tag, _) in enumerate(self.tlvs):
            if tag == spec.tag:
                self.tlvs[index] = (tag, raw)
                return
        self.tlvs.append((spec.tag, raw))

    def __repr__(self) -> str:
        return f"<Pdu {self.name} seq={self.sequence_number} status={self.command_status:#x}>"

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Pdu):
            return NotImplemented
        return (
            self.command_id == other.command_id
            and self.command_status == other.command_status
            and self.sequence_number == other.sequence_number
            and self.fields == other.fields
            and self.tlvs == other.tlvs
        )

    __hash__ = None  # type: ignore[assignment]  # mutable value object


def decode_tlv_value(spec: TlvSpec, raw: bytes) -> int | str | bytes | bool:
    kind = spec.kind
    if kind is TlvKind.INT1 or kind is TlvKind.INT2 or kind is TlvKind.INT4:
        return int.from_bytes(raw, "big")
    if kind is TlvKind.CSTRING:
        end = raw.find(b"\x00")
        return (raw if end < 0 else raw[:end]).decode("latin-1")
    if kind is TlvKind.EMPTY:
        return True
    return raw


def encode_tlv_value(spec: TlvSpec, value: int | str | bytes | bool) -> bytes:
    kind = spec.kind
    if kind is TlvKind.EMPTY:
        return b""
    if kind in (TlvKind.INT1, TlvKind.INT2, TlvKind.INT4):
        if not isinstance(value, int):
            raise TypeError(f"TLV {spec.name} takes an integer")
        return int(value).to_bytes(kind.value, "big")
    if kind is TlvKind.CSTRING:
        text = value.decode("latin-1") if isinstance(value, bytes) else str(value)
        return text.encode("latin-1") + b"\x00"
    if not isinstance(value, bytes):
        raise TypeError(f"TLV {spec.name} takes bytes")
    return value


def encode(pdu: Pdu) -> bytes:
    """Encode a PDU to wire bytes (header included). ``sm_length`` is computed."""
    command_id = pdu.command_id
    flat = _FLAT.get(command_id)
    # One buffer, the header's 16 octets reserved and filled in last: no small bytes object
    # per field (an integer field is one octet appended).
    out = bytearray(HEADER_SIZE)
    if flat is not None:
        fields, _has_tlvs, body_optional = flat
        values = pdu.fields
        if not (body_optional and not values and pdu.command_status != 0):
            for name, kind, size, _length_field in fields:
                if kind is _CSTRING:
                    value = values.get(name, "")
                    raw = value if isinstance(value, bytes) else str(value).encode("latin-1")
                    if len(raw) >= size:
                        raise ValueError(f"{name} is longer than {size - 1} octets")
                    if b"\x00" in raw:
                        # A NUL would end the field early and shift every later field.
                        raise ValueError(f"{name} contains a NUL octet")
                    out += raw
                    out.append(0)
                elif kind is _INT1:
                    if name == "sm_length":
                        short_message = values.get("short_message", b"")
                        out.append(len(short_message))  # type: ignore[arg-type]
                    else:
                        out.append(int(values.get(name, 0)))
                elif kind is _OCTETS:
                    raw_octets = values.get(name, b"")
                    if not isinstance(raw_octets, bytes):
                        raise TypeError(f"{name} takes bytes")
                    if len(raw_octets) > size:
                        raise ValueError(f"{name} is longer than {size} octets")
                    out += raw_octets
                elif kind is _INT2:
                    out += _U16.pack(int(values.get(name, 0)))
                else:
                    out += _U32.pack(int(values.get(name, 0)))
    else:
        raw_body = pdu.fields.get("body", b"")
        if isinstance(raw_body, bytes):
            out += raw_body
    for tag, raw in pdu.tlvs:
        out += _TLV_HEAD.pack(tag, len(raw))
        out += raw
    HEADER.pack_into(out, 0, len(out), command_id, pdu.command_status, pdu.sequence_number)
    return bytes(out)


def decode_body(command_id: int, command_status: int, sequence_number: int, body: bytes) -> Pdu:
    """Decode one PDU body whose header was already read.

    Raises :class:`ProtocolError` (never anything else) for a body that breaks the layout.
    An unknown command id is not an error here: its body is kept raw under ``"body"`` so
    the session can answer it with generic_nack.
    """
    flat = _FLAT.get(command_id)
    if flat is None:
        return Pdu(command_id, sequence_number, command_status, {"body": bytes(body)})
    fields, has_tlvs, body_optional = flat
    values: dict[str, FieldValue] = {}
    end = len(body)
    if end == 0 and (body_optional or not fields):
        return Pdu(command_id, sequence_number, command_status, values)
    pos = 0
    for name, kind, size, length_field in fields:
        if kind is _CSTRING:
            nul = body.find(b"\x00", pos, pos + size)
            if nul < 0:
                if pos + size > end:
                    # The body ends before the string could: the PDU is cut short.
                    _raise_truncated(name, command_id, sequence_number)
                _raise_body_error(
                    f"{name}: no NUL within {size} octets",
                    CommandStatus.ESME_RINVPARLEN,
                    command_id,
                    sequence_number,
                )
            values[name] = body[pos:nul].decode("latin-1")
            pos = nul + 1
        elif kind is _INT1:
            if pos >= end:
                _raise_truncated(name, command_id, sequence_number)
            values[name] = body[pos]
            pos += 1
        elif kind is _OCTETS:
            length = values.get(length_field or "", 0)
            assert isinstance(length, int)
            if length > size:
                # sm_length is one octet, but 254 is the specification's limit; refusing
                # 255 here keeps every decoded PDU re-encodable.
                _raise_body_error(
                    f"{length_field} {length} exceeds {size}",
                    CommandStatus.ESME_RINVMSGLEN,
                    command_id,
                    sequence_number,
                )
            if pos + length > end:
                _raise_truncated(name, command_id, sequence_number)
            values[name] = bytes(body[pos : pos + length])
            pos += length
        elif kind is _INT2:
            if pos + 2 > end:
                _raise_truncated(name, command_id, sequence_number)
            values[name] = (body[pos] << 8) | body[pos + 1]
            pos += 2
        else:
            if pos + 4 > end:
                _raise_truncated(name, command_id, sequence_number)
            values[name] = _U32.unpack_from(body, pos)[0]
            pos += 4
    tlvs: list[tuple[int, bytes]] = []
    if pos < end:
        if not has_tlvs:
            _raise_body_error(
                f"{end - pos} unexpected octets after the body",
                CommandStatus.ESME_RINVCMDLEN,
                command_id,
                sequence_number,
            )
        while pos < end:
            if pos + 4 > end:
                _raise_body_error(
                    "truncated TLV header",
                    CommandStatus.ESME_RINVOPTPARSTREAM,
                    command_id,
                    sequence_number,
                )
            tag, length = _TLV_HEAD.unpack_from(body, pos)
            pos += 4
            if pos + length > end:
                _raise_body_error(
                    f"TLV 0x{tag:04x} claims {length} octets, {end - pos} remain",
                    CommandStatus.ESME_RINVOPTPARSTREAM,
                    command_id,
                    sequence_number,
                )
            spec = TLV_BY_TAG.get(tag)
            if spec is not None and not _tlv_length_ok(spec, length):
                _raise_body_error(
                    f"TLV {spec.name} has invalid length {length}",
                    CommandStatus.ESME_RINVPARLEN,
                    command_id,
                    sequence_number,
                )
            tlvs.append((tag, bytes(body[pos : pos + length])))
            pos += length
    return Pdu(command_id, sequence_number, command_status, values, tlvs)


def _tlv_length_ok(spec: TlvSpec, length: int) -> bool:
    kind = spec.kind
    if kind is TlvKind.INT1 or kind is TlvKind.INT2 or kind is TlvKind.INT4:
        return length == int(kind.value)
    if kind is TlvKind.EMPTY:
        return length == 0
    return spec.min_length <= length <= spec.max_length


def _raise_truncated(name: str, command_id: int, sequence_number: int) -> None:
    _raise_body_error(
        f"body ends inside {name}", CommandStatus.ESME_RINVCMDLEN, command_id, sequence_number
    )


def _raise_body_error(message: str, status: int, command_id: int, sequence_number: int) -> None:
    raise ProtocolError(
        f"{command_name(command_id)}: {message}",
        status,
        sequence_number,
        command_id=command_id,
    )


def decode(data: bytes) -> Pdu:
    """Decode exactly one complete PDU (header included)."""
    if len(data) < HEADER_SIZE:
        raise ProtocolError("shorter than a PDU header", CommandStatus.ESME_RINVCMDLEN)
    length, command_id, command_status, sequence_number = HEADER.unpack_from(data, 0)
    if length != len(data):
        raise ProtocolError(
            f"command_length {length} but {len(data)} octets given",
            CommandStatus.ESME_RINVCMDLEN,
            sequence_number,
            command_id=command_id,
        )
    return decode_body(command_id, command_status, sequence_number, data[HEADER_SIZE:])


def make(
    command_id: int,
    sequence_number: int = 0,
    command_status: int = 0,
    tlvs: Mapping[str, int | str | bytes | bool] | None = None,
    **fields: FieldValue,
) -> Pdu:
    """Convenience constructor: ``make(CommandId.SUBMIT_SM, destination_addr="…")``."""
    pdu = Pdu(command_id, sequence_number, command_status, dict(fields))
    if tlvs:
        for name, value in tlvs.items():
            pdu.set_tlv(name, value)
    return pdu


def dump(pdu: Pdu) -> str:
    """A readable multi-line rendering of a PDU for logs and debugging."""
    lines = [f"{pdu.name} seq={pdu.sequence_number} status={status_name(pdu.command_status)}"]
    for name, value in pdu.fields.items():
        lines.append(f"  {name} = {value!r}")
    for tag, raw in pdu.tlvs:
        spec = TLV_BY_TAG.get(tag)
        if spec is None:
            lines.append(f"  tlv 0x{tag:04x} (unknown) = {raw.hex()}")
        else:
            lines.append(f"  tlv {spec.name} = {decode_tlv_value(spec, raw)!r}")
    return "\n".join(lines)
