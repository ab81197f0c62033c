"""A scriptable SMSC for the SMPP integration tests, on our own SmppServer over loopback TCP."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field

import pytest

from parcelsms.protocol.smpp.client import (
    DeliverBatchHandler,
    DeliverHandler,
    SmppClient,
    SmppClientConfig,
)
from parcelsms.protocol.smpp.constants import BindType
from parcelsms.protocol.smpp.pdu import Pdu
from parcelsms.protocol.smpp.server import ServerConnection, SmppServer
from parcelsms.protocol.smpp.session_events import Event, SmppTimeouts

FAST_TIMEOUTS = SmppTimeouts(response=2.0, enquire_link_interval=0, inactivity=30.0, bind=2.0)

# How the test SMSC answers one submit_sm: (command_status, message_id) now, or None to
# never answer.
Answer = Callable[[ServerConnection, Pdu], "tuple[int, str] | None"]


@dataclass
class ScriptedSmsc:
    """An SmscHandler whose every decision the test can set and observe."""

    refuse_binds: int = 0  # refuse this many binds first (ESME_RBINDFAIL)
    answer_delay: float = 0.0  # hold each submit_sm answer this long
    answer: Answer | None = None
    binds: list[tuple[str, int]] = field(default_factory=list)
    bind_times: list[float] = field(default_factory=list)
    requests: list[Pdu] = field(default_factory=list)
    bound: list[ServerConnection] = field(default_factory=list)
    events: list[Event] = field(default_factory=list)  # what the server sessions reported
    closed: int = 0
    in_flight: int = 0
    max_in_flight: int = 0
    request_arrived: asyncio.Event = field(default_factory=asyncio.Event)
    next_id: int = 0

    def authenticate(
        self, connection: ServerConnection, system_id: str, password: str, bind_command: int
    ) -> int:
        self.bind_times.append(asyncio.get_running_loop().time())
        if self.refuse_binds > 0:
            self.refuse_binds -= 1
            return 0x0D  # ESME_RBINDFAIL
        self.binds.append((system_id, bind_command))
        return 0

    def on_bound(self, connection: ServerConnection) -> None:
        self.bound.append(connection)
        # Instrumentation: lets a test see what the server's session made of the bytes
        # (an unbind from the client is answered inside the session, never reaching us).
        connection.connection.observer = self.events.append

    def on_request(self, connection: ServerConnection, pdu: Pdu) -> None:
        self.requests.append(pdu)
        self.request_arrived.set()
        self.in_flight += 1
        self.max_in_flight = max(self.max_in_flight, self.in_flight)
        decision = self.decide(connection, pdu)
        if decision is None:
            return  # never answered
        status, message_id = decision
        if self.answer_delay:
            asyncio.get_running_loop().call_later(
                self.answer_delay, self._respond, connection, pdu, status, message_id
            )
        else:
            self._respond(connection, pdu, status, message_id)

    def decide(self, connection: ServerConnection, pdu: Pdu) -> tuple[int, str] | None:
        if self.answer is not None:
            return self.answer(connection, pdu)
        self.next_id += 1
        return 0, f"{self.next_id:08X}"

    def _respond(
        self, connection: ServerConnection, pdu: Pdu, status: int, message_id: str
    ) -> None:
        self.in_flight -= 1
        if status:
            connection.respond(pdu, status)
        else:
            connection.respond(pdu, 0, message_id=message_id)

    def on_closed(self, connection: ServerConnection) -> None:
        self.closed += 1


def send_in_one_write(connection: ServerConnection, *pdus: Pdu) -> list[asyncio.Future[Pdu]]:
    """Queue requests (deliver_sm) on the server's connection now, without waiting for the
    window: everything queued in one pass of the loop leaves in one TCP write."""
    return [connection.connection.send_request(pdu) for pdu in pdus]


@pytest.fixture
async def smsc() -> AsyncIterator[tuple[SmppServer, ScriptedSmsc]]:
    handler = ScriptedSmsc()
    server = SmppServer(handler, system_id="TESTSMSC", window=10, timeouts=FAST_TIMEOUTS)
    await server.start("127.0.0.1", 0)
    yield server, handler
    await server.close()


def client_config(port: int, **overrides: object) -> SmppClientConfig:
    settings: dict[str, object] = {
        "host": "127.0.0.1",
        "port": port,
        "system_id": "shop",
        "password": "secret",
        "bind_type": BindType.TRANSCEIVER,
        "window": 10,
        "timeouts": FAST_TIMEOUTS,
        "reconnect_initial_delay": 0.02,
        "reconnect_max_delay": 0.2,
    }
    settings.update(overrides)
    return SmppClientConfig(**settings)  # type: ignore[arg-type]


@pytest.fixture
async def make_client() -> AsyncIterator[Callable[..., asyncio.Future[SmppClient]]]:
    """Start clients that are closed at the end of the test, whatever happens."""
    clients: list[SmppClient] = []

    async def start(
        config: SmppClientConfig,
        on_deliver: DeliverHandler | None = None,
        on_deliver_batch: DeliverBatchHandler | None = None,
    ) -> SmppClient:
        client = SmppClient(config, on_deliver, on_deliver_batch=on_deliver_batch)
        clients.append(client)
        await client.start()
        return client

    yield start  # type: ignore[misc]
    for client in clients:
        await client.close(drain_seconds=0.2)
