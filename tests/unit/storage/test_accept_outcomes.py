"""What ``SqlMessageStore.accept_messages`` makes of each item's write: the writer is stubbed
(a future per item, resolved as the test says), so only the store's own rule is under test.

A write that failed in the database is that item's ``service_unavailable``; any other
exception is a bug and is raised; one item's failure never changes another's answer. A
single item takes a path of its own (its future awaited directly), so both sizes are checked.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from types import SimpleNamespace
from typing import Any

import pytest

from parcelsms.adapters.storage.context import StorageContext
from parcelsms.adapters.storage.messages.message_stores import SqlMessageStore
from parcelsms.domain.status import MessageStatus
from parcelsms.errors import CatalogueError, StorageError
from parcelsms.pipeline.message_ports import Accepted
from parcelsms.pipeline.webhook_payload import build_webhook_payload
from parcelsms.pipeline.webhook_policy import StatusWebhookPolicy


def _accepted(item: str) -> Accepted:
    return Accepted(
        message_id=f"msg_{item}",
        account_id="acc_1",
        status=MessageStatus.QUEUED,
        to_e164="+447400123456",
        country="GB",
        encoding="GSM-7",
        segments=1,
        price_micros=40_000,
        currency="EUR",
        client_ref=None,
        created_at=datetime(2026, 12, 7, tzinfo=UTC),
    )


class _Writer:
    """Resolves each submitted item's future with ``outcomes[item]`` (raised if an
    exception), one loop turn later, as the batching writer's commit would."""

    def __init__(self, outcomes: dict[str, Any]) -> None:
        self.outcomes = outcomes

    def submit(self, operation: object, item: str) -> asyncio.Future[Any]:
        future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        outcome = self.outcomes[item]
        if isinstance(outcome, BaseException):
            asyncio.get_running_loop().call_soon(future.set_exception, outcome)
        else:
            asyncio.get_running_loop().call_soon(future.set_result, outcome)
        return future


def _store(outcomes: dict[str, Any]) -> SqlMessageStore:
    context = StorageContext(StatusWebhookPolicy(build_webhook_payload), pepper=b"pepper")
    runner = SimpleNamespace(writer=_Writer(outcomes), context=context)
    return SqlMessageStore(runner)  # type: ignore[arg-type]


def _codes(results: list[Any]) -> list[str]:
    return [
        result.code if isinstance(result, CatalogueError) else result.message_id
        for result in results
    ]


@pytest.mark.parametrize("items", [["a"], ["ok", "a"], ["a", "ok"]])
async def test_a_write_the_database_failed_is_that_items_service_unavailable(
    items: list[str],
) -> None:
    store = _store({"a": StorageError("database is locked"), "ok": _accepted("ok")})
    results = await store.accept_messages(items)  # type: ignore[arg-type]
    expected = ["service_unavailable" if item == "a" else "msg_ok" for item in items]
    assert _codes(results) == expected


@pytest.mark.parametrize("items", [["a"], ["ok", "a"]])
async def test_a_catalogued_refusal_is_the_items_answer(items: list[str]) -> None:
    refusal = CatalogueError("insufficient_balance", "No money left.")
    store = _store({"a": refusal, "ok": _accepted("ok")})
    results = await store.accept_messages(items)  # type: ignore[arg-type]
    assert results[items.index("a")] is refusal


@pytest.mark.parametrize("items", [["a"], ["ok", "a"]])
async def test_any_other_exception_is_raised(items: list[str]) -> None:
    store = _store({"a": RuntimeError("a bug"), "ok": _accepted("ok")})
    with pytest.raises(RuntimeError, match="a bug"):
        await store.accept_messages(items)  # type: ignore[arg-type]
