"""Accepting messages: one transaction per item, one commit per group."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path

from database_peek import peek
from sender_accounts import TEST_ACTOR, new_account

from parcelsms.adapters.storage.sql_storage import SqlStorage
from parcelsms.errors import CatalogueError
from parcelsms.pipeline.message_ports import Accepted, MessageFilter, NewMessage

MakeMessage = Callable[..., NewMessage]


def ledger_rows(path: str | Path, message_id: str) -> list[tuple[str, int, int]]:
    with peek(path) as connection:
        return connection.execute(
            "SELECT kind, amount_micros, reserved_delta_micros FROM ledger "
            "WHERE message_id = ? ORDER BY id",
            (message_id,),
        ).fetchall()


async def test_an_accepted_message_is_queued_reserved_and_has_its_first_event(
    storage: SqlStorage, make_message: MakeMessage, database_url: str
) -> None:
    account = await new_account(storage, "shop", balance_micros=100_000)
    (accepted,) = await storage.messages.accept_messages(
        [make_message(account.id, price_micros=42_500, client_ref="order-1")]
    )
    assert isinstance(accepted, Accepted)
    assert accepted.status == "queued"
    assert not accepted.replayed
    assert accepted.message_id.startswith("msg_")
    detail = await storage.message_queries.get_message(account.id, accepted.message_id)
    assert detail is not None
    assert [event.status for event in detail.events] == ["queued"]
    assert detail.message.client_ref == "order-1"
    after = await storage.accounts.get_account(account.id)
    assert after is not None
    assert (after.balance_micros, after.reserved_micros) == (57_500, 42_500)
    assert ledger_rows(database_url, accepted.message_id) == [("reserve", -42_500, 42_500)]


async def test_the_same_idempotency_key_and_body_replays_the_message(
    storage: SqlStorage, make_message: MakeMessage
) -> None:
    account = await new_account(storage, "shop", balance_micros=1_000_000)
    item = make_message(account.id, idempotency_key="k-1", request_hash="h-1")
    (first,) = await storage.messages.accept_messages([item])
    (again,) = await storage.messages.accept_messages([item])
    assert isinstance(first, Accepted)
    assert isinstance(again, Accepted)
    assert again.replayed
    assert again.message_id == first.message_id
    account_after = await storage.accounts.get_account(account.id)
    assert account_after is not None
    assert account_after.reserved_micros == item.price_micros


async def test_the_same_idempotency_key_with_another_body_conflicts(
    storage: SqlStorage, make_message: MakeMessage
) -> None:
    account = await new_account(storage, "shop", balance_micros=1_000_000)
    await storage.messages.accept_messages(
        [make_message(account.id, idempotency_key="k", request_hash="a")]
    )
    (conflict,) = await storage.messages.accept_messages(
        [make_message(account.id, idempotency_key="k", request_hash="b")]
    )
    assert isinstance(conflict, CatalogueError)
    assert (conflict.code, conflict.status) == ("idempotency_conflict", 409)


async def test_idempotency_holds_inside_one_group(
    storage: SqlStorage, make_message: MakeMessage
) -> None:
    account = await new_account(storage, "shop", balance_micros=1_000_000)
    same = make_message(account.id, idempotency_key="k", request_hash="a")
    other = make_message(account.id, idempotency_key="k", request_hash="b")
    first, replay, conflict = await asyncio.gather(
        storage.messages.accept_messages([same]),
        storage.messages.accept_messages([same]),
        storage.messages.accept_messages([other]),
    )
    assert isinstance(first[0], Accepted)
    assert isinstance(replay[0], Accepted)
    assert replay[0].replayed
    assert replay[0].message_id == first[0].message_id
    assert isinstance(conflict[0], CatalogueError)
    assert conflict[0].code == "idempotency_conflict"
    page = await storage.message_queries.list_messages(account.id, filters=MessageFilter())
    assert len(page.items) == 1


async def test_idempotency_keys_are_per_account(
    storage: SqlStorage, make_message: MakeMessage
) -> None:
    one = await new_account(storage, "one", balance_micros=1_000_000)
    two = await new_account(storage, "two", balance_micros=1_000_000)
    results = await storage.messages.accept_messages(
        [
            make_message(one.id, idempotency_key="k", request_hash="a"),
            make_message(two.id, idempotency_key="k", request_hash="a"),
        ]
    )
    assert all(isinstance(result, Accepted) and not result.replayed for result in results)


async def test_a_group_of_several_accounts_replays_each_account_its_own_messages(
    storage: SqlStorage, make_message: MakeMessage
) -> None:
    """The keys of a group are looked up per account: the same key of two accounts replays
    two different messages, each as it was accepted (status, price, time)."""
    one = await new_account(storage, "one", balance_micros=1_000_000)
    two = await new_account(storage, "two", balance_micros=1_000_000)
    first_items = [
        make_message(one.id, idempotency_key="k-1", request_hash="a", price_micros=10_000),
        make_message(one.id, idempotency_key="k-2", request_hash="a", price_micros=20_000),
        make_message(two.id, idempotency_key="k-1", request_hash="a", price_micros=30_000),
    ]
    first = await storage.messages.accept_messages(first_items)
    new_item = make_message(two.id, idempotency_key="k-2", request_hash="a")
    again = await storage.messages.accept_messages([*reversed(first_items), new_item])
    accepted = [result for result in [*first, *again] if isinstance(result, Accepted)]
    assert len(accepted) == 7
    first_ids = {result.message_id for result in accepted[:3]}
    for earlier, replay in zip(accepted[:3], reversed(accepted[3:6]), strict=True):
        assert replay.replayed
        assert (replay.message_id, replay.account_id) == (earlier.message_id, earlier.account_id)
        assert (replay.status, replay.price_micros, replay.to_e164) == (
            earlier.status,
            earlier.price_micros,
            earlier.to_e164,
        )
        assert replay.created_at == earlier.created_at
        assert replay.created_at.tzinfo is not None
    fresh = accepted[6]
    assert not fresh.replayed
    assert fresh.message_id not in first_ids


async def test_insufficient_balance_refuses_only_the_item_that_does_not_fit(
    storage: SqlStorage, make_message: MakeMessage
) -> None:
    poor = await new_account(storage, "poor", balance_micros=100_000)
    rich = await new_account(storage, "rich", balance_micros=10_000_000)
    items = [
        make_message(poor.id, price_micros=60_000),
        make_message(rich.id, price_micros=60_000),
        make_message(poor.id, price_micros=60_000),
        make_message(poor.id, price_micros=40_000),
    ]
    results = await storage.messages.accept_messages(items)
    assert isinstance(results[0], Accepted)
    assert isinstance(results[1], Accepted)
    refused = results[2]
    assert isinstance(refused, CatalogueError)
    assert (refused.code, refused.status) == ("insufficient_balance", 402)
    assert refused.extra["missing_micros"] == 20_000
    assert isinstance(results[3], Accepted)
    poor_after = await storage.accounts.get_account(poor.id)
    assert poor_after is not None
    assert (poor_after.balance_micros, poor_after.reserved_micros) == (0, 100_000)


async def test_concurrent_single_submitters_never_overspend(
    storage: SqlStorage, make_message: MakeMessage
) -> None:
    account = await new_account(storage, "shop", balance_micros=1_000_000)
    results = await asyncio.gather(
        *(
            storage.messages.accept_messages([make_message(account.id, price_micros=30_000)])
            for _ in range(50)
        )
    )
    accepted = [r for (r,) in results if isinstance(r, Accepted)]
    refused = [r for (r,) in results if isinstance(r, CatalogueError)]
    assert len(accepted) == 33
    assert len(refused) == 17
    after = await storage.accounts.get_account(account.id)
    assert after is not None
    assert (after.balance_micros, after.reserved_micros) == (10_000, 990_000)


async def test_a_suspended_or_unknown_account_cannot_send(
    storage: SqlStorage, make_message: MakeMessage
) -> None:
    account = await new_account(storage, "shop", balance_micros=1_000_000)
    await storage.accounts.suspend_account(account.id, "test", TEST_ACTOR)
    suspended, unknown = await storage.messages.accept_messages(
        [make_message(account.id), make_message("acc_01HZZZZZZZZZZZZZZZZZZZZZZZ")]
    )
    assert isinstance(suspended, CatalogueError)
    assert suspended.code == "account_suspended"
    assert isinstance(unknown, CatalogueError)
    assert unknown.code == "not_found"


async def test_a_batch_of_a_thousand_is_accepted_in_order(
    storage: SqlStorage, make_message: MakeMessage
) -> None:
    account = await new_account(storage, "shop", balance_micros=10**12)
    items = [make_message(account.id, client_ref=f"r{n}") for n in range(1000)]
    results = await storage.messages.accept_messages(items)
    assert [r.client_ref for r in results if isinstance(r, Accepted)] == [
        f"r{n}" for n in range(1000)
    ]
    ids = [r.message_id for r in results if isinstance(r, Accepted)]
    assert ids == sorted(ids)
