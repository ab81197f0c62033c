"""deliver_sm read together go to ``on_deliver_batch`` together, and are answered one by one.

Our SmppServer writes every PDU it queues in one pass of its event loop as one TCP write,
so the PDUs queued below reach the client in one read (or a few, in order).
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import Any

from parcelsms.protocol.smpp.constants import CommandStatus
from parcelsms.protocol.smpp.pdu import Pdu
from parcelsms.protocol.smpp.server import ServerConnection

from .conftest import client_config, send_in_one_write
from .test_client_server import MakeClient, Smsc, receipt_pdu, submit_pdu


def _ids(pdus: Sequence[Pdu]) -> list[str]:
    return [str(pdu.tlv("receipted_message_id")) for pdu in pdus]


async def test_receipts_read_together_are_handed_over_together_and_answered_each(
    smsc: Smsc, make_client: MakeClient
) -> None:
    server, handler = smsc
    batches: list[list[str]] = []

    async def deliver_many(pdus: Sequence[Pdu]) -> list[int | Exception | None]:
        batches.append(_ids(pdus))
        answers: dict[str, int | Exception | None] = {
            "A": None,
            "B": CommandStatus.ESME_RX_P_APPN,
            "C": RuntimeError("disk full"),
        }
        return [answers[identifier] for identifier in _ids(pdus)]

    client = await make_client(client_config(server.port), on_deliver_batch=deliver_many)
    assert await client.wait_bound(5)
    responses = await asyncio.wait_for(
        asyncio.gather(*send_in_one_write(handler.bound[0], *(receipt_pdu(i) for i in "ABC"))), 5
    )
    assert [response.command_status for response in responses] == [
        0,
        CommandStatus.ESME_RX_P_APPN,
        CommandStatus.ESME_RX_T_APPN,
    ]
    assert batches == [["A", "B", "C"]]
    assert "disk full" in client.last_error


async def test_a_batch_handler_that_raises_is_answered_temporary_error_for_each(
    smsc: Smsc, make_client: MakeClient
) -> None:
    server, handler = smsc

    async def failing(pdus: Sequence[Pdu]) -> list[int | Exception | None]:
        raise RuntimeError("database is down")

    client = await make_client(client_config(server.port), on_deliver_batch=failing)
    assert await client.wait_bound(5)
    responses = await asyncio.wait_for(
        asyncio.gather(*send_in_one_write(handler.bound[0], receipt_pdu("A"), receipt_pdu("B"))), 5
    )
    assert [response.command_status for response in responses] == [CommandStatus.ESME_RX_T_APPN] * 2
    assert "database is down" in client.last_error


async def test_a_handler_giving_the_wrong_number_of_results_fails_them_all(
    smsc: Smsc, make_client: MakeClient
) -> None:
    server, handler = smsc

    async def short(pdus: Sequence[Pdu]) -> list[int | Exception | None]:
        return [None]

    client = await make_client(client_config(server.port), on_deliver_batch=short)
    assert await client.wait_bound(5)
    responses = await asyncio.wait_for(
        asyncio.gather(*send_in_one_write(handler.bound[0], receipt_pdu("A"), receipt_pdu("B"))), 5
    )
    assert [response.command_status for response in responses] == [CommandStatus.ESME_RX_T_APPN] * 2


async def test_receipts_are_answered_only_after_the_batch_handler_returns(
    smsc: Smsc, make_client: MakeClient
) -> None:
    server, handler = smsc
    release = asyncio.Event()
    called = asyncio.Event()

    async def held(pdus: Sequence[Pdu]) -> list[int | Exception | None]:
        called.set()
        await release.wait()
        return [None] * len(pdus)

    client = await make_client(client_config(server.port), on_deliver_batch=held)
    assert await client.wait_bound(5)
    futures = send_in_one_write(handler.bound[0], receipt_pdu("A"), receipt_pdu("B"))
    await asyncio.wait_for(called.wait(), 5)
    await asyncio.sleep(0.1)
    assert not any(future.done() for future in futures)
    release.set()
    responses = await asyncio.wait_for(asyncio.gather(*futures), 5)
    assert [response.command_status for response in responses] == [0, 0]


async def test_a_response_between_receipts_ends_the_batch_and_keeps_the_wire_order(
    smsc: Smsc, make_client: MakeClient
) -> None:
    """D1 D2 R D3 in one write: the handler sees [D1, D2] before the submit's caller sees R,
    and [D3] after it — the order the receipt correlator stamps things in."""
    server, handler = smsc
    held: list[tuple[ServerConnection, Pdu]] = []
    handler.answer = lambda connection, pdu: held.append((connection, pdu))  # type: ignore[func-returns-value]
    seen: list[Any] = []

    async def deliver_many(pdus: Sequence[Pdu]) -> list[int | Exception | None]:
        seen.append(_ids(pdus))  # before any await: where a channel stamps its receipts
        return [None] * len(pdus)

    client = await make_client(client_config(server.port), on_deliver_batch=deliver_many)
    assert await client.wait_bound(5)

    async def submit() -> None:
        await client.submit(submit_pdu())
        seen.append("response")

    submitting = asyncio.ensure_future(submit())
    await asyncio.wait_for(handler.request_arrived.wait(), 5)
    ((connection, request),) = held
    futures = send_in_one_write(connection, receipt_pdu("D1"), receipt_pdu("D2"))
    connection.respond(request, 0, message_id="0000CAFE")
    futures += send_in_one_write(connection, receipt_pdu("D3"))
    await asyncio.wait_for(asyncio.gather(submitting, *futures), 5)
    assert seen == [["D1", "D2"], "response", ["D3"]]
