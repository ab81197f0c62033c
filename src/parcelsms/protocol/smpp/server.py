"""The asyncio SMPP server (SMSC side), on the same session code as the client.

An :class:`SmscHandler` decides everything a carrier decides: who may bind (system_id and
password per account, how many binds), and what to answer to each submit. The server
enforces the bind handshake and its own window for outgoing deliver_sm: ``await
deliver(pdu)`` on a :class:`ServerConnection` waits for a slot, so a slow ESME slows the
SMSC down instead of piling up unanswered receipts.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable
from typing import Any, Protocol, cast

from parcelsms.errors import ConnectionLostError, NotBoundError, ResponseTimeoutError
from parcelsms.protocol.smpp.connection import SmppConnection
from parcelsms.protocol.smpp.constants import CommandId, CommandStatus
from parcelsms.protocol.smpp.pdu import Pdu
from parcelsms.protocol.smpp.session import Session
from parcelsms.protocol.smpp.session_events import BindState, Role, SmppTimeouts

_BIND_IDS = frozenset(
    {CommandId.BIND_RECEIVER, CommandId.BIND_TRANSMITTER, CommandId.BIND_TRANSCEIVER}
)


class ServerConnection:
    """One ESME connected to the server."""

    def __init__(self, server: SmppServer, connection: SmppConnection) -> None:
        self.server = server
        self.connection = connection
        self.system_id = ""
        self.bind_command: int = 0
        self._window = asyncio.Semaphore(connection.session.window)

    @property
    def session(self) -> Session:
        return self.connection.session

    @property
    def is_bound(self) -> bool:
        return self.connection.session.is_bound

    @property
    def can_receive(self) -> bool:
        """Bound as receiver or transceiver: deliver_sm may be sent."""
        return self.connection.session.state in (BindState.BOUND_RX, BindState.BOUND_TRX)

    def respond(self, request: Pdu, command_status: int = 0, **fields: int | str | bytes) -> None:
        self.connection.respond(request, command_status, **fields)

    async def deliver(self, pdu: Pdu) -> Pdu:
        """Send a deliver_sm (or data_sm) within the window; returns the ESME's response.

        Raises :class:`NotBoundError`, :class:`ConnectionLostError`,
        :class:`ResponseTimeoutError`, or :class:`ProtocolError` when the ESME's answer
        cannot be decoded.
        """
        async with self._window:
            if not self.connection.is_open:
                raise ConnectionLostError("connection closed")
            return await self.connection.send_request(pdu)

    def close(self) -> None:
        self.connection.close()

    def abort(self) -> None:
        self.connection.abort()


class SmscHandler(Protocol):
    """What an SMSC implementation decides. All methods run on the event loop."""

    def authenticate(
        self, connection: ServerConnection, system_id: str, password: str, bind_command: int
    ) -> int:
        """Return 0 to accept the bind, or the SMPP status to refuse it with."""
        ...

    def on_bound(self, connection: ServerConnection) -> None:
        """The bind was accepted and answered."""
        ...

    def on_request(self, connection: ServerConnection, pdu: Pdu) -> None:
        """A submit_sm, data_sm, query_sm or cancel_sm: answer with ``connection.respond``
        now, later, or never (a carrier that never answers is a scenario too)."""
        ...

    def on_closed(self, connection: ServerConnection) -> None:
        """The connection ended (unbind, drop, or server shutdown)."""
        ...


class SmppServer:
    """Listens for ESMEs; one :class:`ServerConnection` per TCP connection."""

    def __init__(
        self,
        handler: SmscHandler,
        *,
        system_id: str = "parcelsms-smsc",
        window: int = 100,
        timeouts: SmppTimeouts | None = None,
    ) -> None:
        self.handler = handler
        self.system_id = system_id
        self.window = window
        # The SMSC side does not need a bind timer of its own beyond inactivity.
        self.timeouts = timeouts or SmppTimeouts(bind=0, enquire_link_interval=0)
        self.connections: set[ServerConnection] = set()
        self._server: asyncio.Server | None = None

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> int:
        """Start listening; returns the bound port (``port=0`` picks a free one)."""
        loop = asyncio.get_running_loop()
        self._server = await loop.create_server(self._make_protocol, host, port)
        return int(cast(Any, self._server).sockets[0].getsockname()[1])

    @property
    def port(self) -> int:
        assert self._server is not None
        return int(cast(Any, self._server).sockets[0].getsockname()[1])

    def _make_protocol(self) -> SmppConnection:
        session = Session(Role.SMSC, window=self.window, timeouts=self.timeouts)
        holder: list[ServerConnection] = []

        def on_request(connection: SmppConnection, pdu: Pdu) -> None:
            self._on_request(holder[0], pdu)

        def on_closed(connection: SmppConnection, exc: Exception | None) -> None:
            server_connection = holder[0]
            self.connections.discard(server_connection)
            self.handler.on_closed(server_connection)

        connection = SmppConnection(session, on_request, on_closed)
        server_connection = ServerConnection(self, connection)
        holder.append(server_connection)
        self.connections.add(server_connection)
        return connection

    def _on_request(self, connection: ServerConnection, pdu: Pdu) -> None:
        if pdu.command_id in _BIND_IDS:
            system_id = pdu.str_field("system_id")
            status = self.handler.authenticate(
                connection, system_id, pdu.str_field("password"), pdu.command_id
            )
            if status:
                connection.respond(pdu, status)
                # A refused bind ends the connection, as carriers do; flush the answer first.
                asyncio.get_running_loop().call_soon(connection.close)
                return
            connection.system_id = system_id
            connection.bind_command = pdu.command_id
            connection.respond(pdu, 0, system_id=self.system_id)
            self.handler.on_bound(connection)
            return
        self.handler.on_request(connection, pdu)

    async def close(self, unbind_timeout: float = 1.0) -> None:
        """Stop listening; ask bound ESMEs to unbind, then close every connection."""
        if self._server is not None:
            self._server.close()
        waits: list[Awaitable[Pdu]] = []
        for connection in list(self.connections):
            if connection.is_bound:
                with contextlib.suppress(NotBoundError):
                    waits.append(connection.connection.send_request(Pdu(CommandId.UNBIND)))
        if waits:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(
                    asyncio.gather(*waits, return_exceptions=True), unbind_timeout
                )
        for connection in list(self.connections):
            connection.close()
        for connection in list(self.connections):
            with contextlib.suppress(Exception):
                await asyncio.wait_for(asyncio.shield(connection.connection.closed), 1.0)
        if self._server is not None:
            await self._server.wait_closed()
            self._server = None


__all__ = [
    "CommandStatus",
    "ConnectionLostError",
    "ResponseTimeoutError",
    "ServerConnection",
    "SmppServer",
    "SmscHandler",
]
