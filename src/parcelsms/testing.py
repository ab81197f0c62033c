"""Public test helpers: a started carrier simulator, a bound client, waiting without sleeps.

For parcelsms's own tests and for anyone testing code built on it::

    from parcelsms.testing import started_simulator, bound_client, DeliveryCollector

    async def test_a_receipt_arrives() -> None:
        async with started_simulator("happy") as simulator:
            collector = DeliveryCollector()
            async with bound_client(simulator, on_deliver=collector) as client:
                outcome = await client.submit(submit_sm("34600000001", "Your parcel is here"))
                await collector.wait_for_receipts(1)
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

from parcelsms.protocol.smpp.client import DeliverHandler, SmppClient, SmppClientConfig
from parcelsms.protocol.smpp.constants import CommandId, DataCoding, EsmClass
from parcelsms.protocol.smpp.pdu import Pdu
from parcelsms.protocol.smpp.session_events import SmppTimeouts
from parcelsms.protocol.text.gsm7 import encode_gsm7, is_gsm7
from parcelsms.protocol.text.ucs2 import encode_ucs2
from parcelsms.simulator import CarrierSimulator, Scenario

__all__ = [
    "DeliveryCollector",
    "bound_client",
    "started_simulator",
    "submit_sm",
    "wait_until",
]

_POLL_SECONDS = 0.005


@asynccontextmanager
async def started_simulator(
    scenario: Scenario | str | os.PathLike[str] | None = None, **options: Any
) -> AsyncIterator[CarrierSimulator]:
    """A :class:`CarrierSimulator` listening on 127.0.0.1 on a free port, closed on exit.

    ``scenario``: ``None``, a :class:`Scenario`, a behaviour name (``"happy"``) or a TOML
    path. ``options`` go to :class:`CarrierSimulator` (``window``, ``submit_log_size``…).
    """
    simulator = CarrierSimulator(scenario, **options)
    await simulator.start("127.0.0.1", 0)
    try:
        yield simulator
    finally:
        await simulator.close()


@asynccontextmanager
async def bound_client(
    simulator: CarrierSimulator,
    *,
    system_id: str = "parcelsms",
    password: str = "secret",  # noqa: S107 - the simulator's test login, not a secret
    on_deliver: DeliverHandler | None = None,
    bind_timeout: float = 5.0,
    **config: Any,
) -> AsyncIterator[SmppClient]:
    """An :class:`SmppClient` bound to ``simulator`` (closed on exit).

    ``config`` sets any other :class:`SmppClientConfig` field (``window``, ``tps``,
    ``timeouts``, ``bind_type``…). Raises :class:`TimeoutError` (with the client's last
    error) when no bind succeeds within ``bind_timeout`` seconds.
    """
    config.setdefault("timeouts", SmppTimeouts(response=5.0))
    config.setdefault("reconnect_initial_delay", 0.05)
    config.setdefault("reconnect_max_delay", 0.5)
    client = SmppClient(
        SmppClientConfig(
            host=simulator.host,
            port=simulator.port,
            system_id=system_id,
            password=password,
            **config,
        ),
        on_deliver,
    )
    await client.start()
    try:
        if not await client.wait_bound(bind_timeout):
            raise TimeoutError(f"not bound within {bind_timeout} s: {client.last_error}")
        yield client
    finally:
        await client.close()


async def wait_until(
    predicate: Callable[[], bool], timeout: float = 5.0, *, message: str = ""
) -> None:
    """Return once ``predicate()`` is true; raise :class:`TimeoutError` after ``timeout``.

    Polls every few milliseconds on the event loop (never blocks it): for conditions that
    have no event to await, such as a counter of another component reaching a value.
    """
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not predicate():
        if loop.time() >= deadline:
            raise TimeoutError(message or f"condition not met within {timeout} s")
        await asyncio.sleep(_POLL_SECONDS)


def submit_sm(
    destination: str,
    text: str = "Your parcel is on its way",
    *,
    source: str = "PARCELSMS",
    registered_delivery: int = 1,
    **fields: int | str | bytes,
) -> Pdu:
    """A single-part submit_sm: GSM-7 when ``text`` allows it, else UCS-2.

    ``fields`` override or add any mandatory field (``esm_class``, ``short_message``…).
    """
    if is_gsm7(text):
        data, data_coding = encode_gsm7(text), DataCoding.SMSC_DEFAULT
    else:
        data, data_coding = encode_ucs2(text), DataCoding.UCS2
    values: dict[str, int | str | bytes] = {
        "source_addr_ton": 5 if not source.isdigit() else 1,
        "source_addr_npi": 0 if not source.isdigit() else 1,
        "source_addr": source,
        "dest_addr_ton": 1,
        "dest_addr_npi": 1,
        "destination_addr": destination,
        "registered_delivery": registered_delivery,
        "data_coding": data_coding,
        "short_message": data,
    }
    values.update(fields)
    return Pdu(CommandId.SUBMIT_SM, fields=values)


class DeliveryCollector:
    """An ``on_deliver`` handler that keeps every deliver_sm and lets a test await counts.

    ``receipts`` holds delivery receipts (esm_class 0x04), ``messages`` everything else
    (MO replies). Calling it answers ESME_ROK, unless ``answer`` says otherwise.
    """

    def __init__(self, answer: Callable[[Pdu], int | None] | None = None) -> None:
        self.receipts: list[Pdu] = []
        self.messages: list[Pdu] = []
        self._answer = answer
        self._changed = asyncio.Condition()

    async def __call__(self, pdu: Pdu) -> int | None:
        if pdu.int_field("esm_class") & EsmClass.DELIVERY_RECEIPT:
            self.receipts.append(pdu)
        else:
            self.messages.append(pdu)
        async with self._changed:
            self._changed.notify_all()
        return self._answer(pdu) if self._answer is not None else None

    async def wait_for_receipts(self, count: int, timeout: float = 5.0) -> list[Pdu]:
        """Wait until at least ``count`` receipts arrived; returns them all."""
        await self._wait(lambda: len(self.receipts) >= count, timeout, f"{count} receipts")
        return self.receipts

    async def wait_for_messages(self, count: int, timeout: float = 5.0) -> list[Pdu]:
        """Wait until at least ``count`` MO messages arrived; returns them all."""
        await self._wait(lambda: len(self.messages) >= count, timeout, f"{count} MO messages")
        return self.messages

    async def _wait(self, ready: Callable[[], bool], timeout: float, what: str) -> None:
        try:
            async with asyncio.timeout(timeout), self._changed:
                await self._changed.wait_for(ready)
        except TimeoutError:
            raise TimeoutError(
                f"waited {timeout} s for {what}: have {len(self.receipts)} receipts, "
                f"{len(self.messages)} MO messages"
            ) from None
