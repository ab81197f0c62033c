"""The pipeline's doorbell over a real Unix datagram socket: rings arrive, bursts coalesce."""

from __future__ import annotations

import asyncio
from pathlib import Path

from parcelsms.adapters.process.wake_socket import WakeListener, WakeSender, wake_address


async def rings_heard(listener_rings: list[int], settle: float = 0.05) -> int:
    await asyncio.sleep(settle)
    return len(listener_rings)


async def listening(tmp_path: Path) -> tuple[WakeListener, list[int], str]:
    address = wake_address(tmp_path / "parcelsms.db")
    assert address is not None
    heard: list[int] = []
    listener = WakeListener(address, lambda: heard.append(1))
    await listener.start()
    return listener, heard, address


async def test_rings_of_one_loop_turn_arrive_as_one(tmp_path: Path) -> None:
    listener, heard, address = await listening(tmp_path)
    sender = WakeSender(address)
    try:
        for _ in range(50):  # the requests answered by one group commit
            sender.ring()
        assert await rings_heard(heard) == 1
        sender.ring()  # a later commit rings again
        assert await rings_heard(heard) == 2
    finally:
        sender.close()
        listener.close()


async def test_a_ring_due_when_the_sender_closes_still_goes_out(tmp_path: Path) -> None:
    listener, heard, address = await listening(tmp_path)
    sender = WakeSender(address)
    try:
        sender.ring()
        sender.close()
        sender.ring()  # closed: nothing, no error
        assert await rings_heard(heard) == 1
    finally:
        listener.close()


def test_outside_an_event_loop_a_ring_goes_out_at_once(tmp_path: Path) -> None:
    async def scenario() -> int:
        listener, heard, address = await listening(tmp_path)
        try:
            # Rung from a thread with no event loop (a CLI command, a worker thread).
            await asyncio.to_thread(ring_twice, address)
            return await rings_heard(heard)
        finally:
            listener.close()

    assert asyncio.run(scenario()) == 2


def ring_twice(address: str) -> None:
    sender = WakeSender(address)
    sender.ring()
    sender.ring()
    sender.close()


async def test_without_an_address_ringing_does_nothing() -> None:
    sender = WakeSender(None)
    sender.ring()
    sender.close()
