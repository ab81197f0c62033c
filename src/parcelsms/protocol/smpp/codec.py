"""Framing: bytes in, PDUs out. No I/O.

:class:`PduReader` is fed whatever the socket delivered (any split, any size) and hands out
complete PDUs. A body that breaks its layout raises :class:`ProtocolError` for that PDU
only; the reader has already moved past it, so the next call continues with the next PDU.
A bad ``command_length`` (below 16 or above the configured maximum) loses the framing
for good: that error has ``fatal=True`` and the reader refuses everything afterwards.
"""

from __future__ import annotations

from parcelsms.errors import ProtocolError
from parcelsms.protocol.smpp.constants import CommandStatus
from parcelsms.protocol.smpp.pdu import HEADER, HEADER_SIZE, Pdu, decode_body

# A submit_sm with every field at its maximum and a full message_payload stays well under
# this; the SMPP 3.4 limit for message_payload is 64K, so allow that plus the body.
DEFAULT_MAX_PDU_LENGTH = 70_000


class PduReader:
    """Incremental decoder for one direction of one connection."""

    __slots__ = ("_buffer", "_failed", "max_length")

    def __init__(self, max_length: int = DEFAULT_MAX_PDU_LENGTH) -> None:
        self._buffer = bytearray()
        self._failed: ProtocolError | None = None
        self.max_length = max_length

    def feed(self, data: bytes) -> None:
        """Append received bytes."""
        if self._failed is None:
            self._buffer += data

    @property
    def buffered(self) -> int:
        return len(self._buffer)

    def read(self) -> Pdu | None:
        """The next complete PDU, or ``None`` until more bytes arrive.

        Raises :class:`ProtocolError` for a malformed PDU (then call again for the next).
        """
        if self._failed is not None:
            raise self._failed
        buffer = self._buffer
        if len(buffer) < HEADER_SIZE:
            return None
        length, command_id, command_status, sequence_number = HEADER.unpack_from(buffer, 0)
        if length < HEADER_SIZE or length > self.max_length:
            self._failed = ProtocolError(
                f"command_length {length} outside 16..{self.max_length}",
                CommandStatus.ESME_RINVCMDLEN,
                sequence_number,
                command_id=command_id,
                fatal=True,
            )
            self._buffer = bytearray()
            raise self._failed
        if len(buffer) < length:
            return None
        body = bytes(buffer[HEADER_SIZE:length])
        del buffer[:length]
        return decode_body(command_id, command_status, sequence_number, body)

    def read_all(self) -> list[Pdu]:
        """Every complete PDU buffered now; raises at the first malformed one."""
        out: list[Pdu] = []
        while (pdu := self.read()) is not None:
            out.append(pdu)
        return out
