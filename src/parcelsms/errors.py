"""The one exception tree of parcelsms.

Every error the package raises on purpose derives from :class:`ParcelsmsError`::

    ParcelsmsError
    ├── ProtocolError            malformed or unexpected SMPP bytes/PDUs; carries the
    │                            command_status the session should answer with
    ├── SmppError                a problem of an SMPP session (not of the bytes)
    │   ├── NotBoundError        request on a session that is not bound (or closed)
    │   ├── BindRejectedError    the peer refused our bind (carries command_status)
    │   ├── ResponseTimeoutError no response within the response timeout
    │   └── ConnectionLostError  the TCP connection died with the request in flight:
    │                            the outcome at the carrier is UNKNOWN
    ├── TextEncodingError        text that cannot be encoded as asked
    ├── ConfigError              bad configuration; names the offending key
    │   └── ScenarioError        bad carrier-simulator scenario file; names the key
    ├── StorageError             a storage backend failed (translated at the adapter)
    └── CatalogueError           an input error meant for an API caller; carries a
                                 stable code, HTTP status, message and field
                                 (see ``parcelsms.domain.error_catalogue``)

Foreign exceptions (the database drivers' and SQLAlchemy's, aiohttp's, OSError) are
translated at the adapter boundary into one of these; code above the adapters never
catches library exceptions.
"""

from __future__ import annotations


class ParcelsmsError(Exception):
    """Root of every error parcelsms raises on purpose."""


class ProtocolError(ParcelsmsError):
    """Bytes or a PDU that break SMPP 3.4.

    ``command_status`` is the SMPP error the session should answer with (for example
    ``ESME_RINVCMDLEN``); ``sequence_number`` and ``command_id`` are set when the header
    could be read, so the answer can reference the offending request.

    ``fatal`` is true when the byte stream can no longer be framed (a bad command_length):
    the session must answer and then close the connection, because every later byte is
    unreadable. A non-fatal error spoils one PDU only; the next PDU is read normally.
    """

    def __init__(
        self,
        message: str,
        command_status: int,
        sequence_number: int | None = None,
        *,
        command_id: int | None = None,
        fatal: bool = False,
    ) -> None:
        super().__init__(message)
        self.command_status = command_status
        self.sequence_number = sequence_number
        self.command_id = command_id
        self.fatal = fatal


class SmppError(ParcelsmsError):
    """A problem of an SMPP session rather than of the bytes on the wire."""


class NotBoundError(SmppError):
    """A request was made on a session that is not bound, or already closed."""


class BindRejectedError(SmppError):
    """The peer answered our bind with an error status."""

    def __init__(self, message: str, command_status: int) -> None:
        super().__init__(message)
        self.command_status = command_status


class ResponseTimeoutError(SmppError):
    """The peer did not answer a request within the response timeout."""


class ConnectionLostError(SmppError):
    """The connection died while the request was in flight: its outcome is unknown."""


class TextEncodingError(ParcelsmsError):
    """Text that cannot be encoded or split as asked."""


class ConfigError(ParcelsmsError):
    """Invalid configuration. ``key`` names the offending setting (dotted path)."""

    def __init__(self, message: str, key: str | None = None) -> None:
        super().__init__(f"{key}: {message}" if key else message)
        self.key = key


class ScenarioError(ConfigError):
    """Invalid carrier-simulator scenario file."""


class StorageError(ParcelsmsError):
    """A storage backend failed; raised by adapters instead of driver exceptions."""


class CatalogueError(ParcelsmsError):
    """An input error for an API caller: stable ``code``, HTTP ``status``, ``field``.

    Raised by domain rules and use cases; the API turns it into
    ``{"error": {"code", "message", "field"}}`` with the catalogue's HTTP status.
    """

    def __init__(
        self,
        code: str,
        message: str,
        *,
        field: str | None = None,
        status: int | None = None,
        extra: dict[str, object] | None = None,
    ) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.field = field
        self.status = status
        self.extra = extra or {}
