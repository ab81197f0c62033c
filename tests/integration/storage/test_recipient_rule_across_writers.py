"""The per-recipient rule holds across processes: the accept transaction checks what every
writer committed. Two storages on one database file stand for two API processes; each has
its own writer and connection, as they would."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, Protocol

from sender_accounts import new_account

from parcelsms.adapters.storage.sql_storage import SqlStorage
from parcelsms.domain.recipient_rule import RecipientRule
from parcelsms.errors import CatalogueError
from parcelsms.pipeline.message_ports import Accepted, NewMessage

OpenStorage = Callable[..., Awaitable[SqlStorage]]
MakeMessage = Callable[..., NewMessage]


class Clock(Protocol):
    def advance(self, **delta: Any) -> None: ...


async def test_a_duplicate_text_accepted_by_one_writer_is_refused_by_the_other(
    open_test_storage: OpenStorage, make_message: MakeMessage, clock: Clock
) -> None:
    first = await open_test_storage()
    second = await open_test_storage()
    account = await new_account(first, "shop", balance_micros=1_000_000)
    rule = RecipientRule(duplicate_window_seconds=30)

    (accepted,) = await first.messages.accept_messages(
        [make_message(account.id, recipient_rule=rule)]
    )
    (refused,) = await second.messages.accept_messages(
        [make_message(account.id, recipient_rule=rule)]
    )
    other_text = make_message(account.id, recipient_rule=rule, body="Out for delivery today.")
    (different,) = await second.messages.accept_messages([other_text])

    assert isinstance(accepted, Accepted)
    assert isinstance(refused, CatalogueError)
    assert refused.code == "rate_limited"
    assert refused.field == "to"
    assert refused.extra["retry_after"] == 30.0
    assert isinstance(different, Accepted)

    clock.advance(seconds=31)
    (later,) = await second.messages.accept_messages(
        [make_message(account.id, recipient_rule=rule)]
    )
    assert isinstance(later, Accepted)


async def test_the_hourly_count_spans_writers_and_items_of_one_group(
    open_test_storage: OpenStorage, make_message: MakeMessage, clock: Clock
) -> None:
    first = await open_test_storage()
    second = await open_test_storage()
    account = await new_account(first, "shop", balance_micros=1_000_000)
    rule = RecipientRule(per_hour=3)

    (one,) = await first.messages.accept_messages(
        [make_message(account.id, recipient_rule=rule, body="1")]
    )
    clock.advance(seconds=600)
    group = await second.messages.accept_messages(
        [make_message(account.id, recipient_rule=rule, body=text) for text in ("2", "3", "4")]
    )
    other_number = await second.messages.accept_messages(
        [make_message(account.id, recipient_rule=rule, to_e164="+447911123457")]
    )

    assert isinstance(one, Accepted)
    assert [type(result) for result in group] == [Accepted, Accepted, CatalogueError]
    refused = group[2]
    assert isinstance(refused, CatalogueError)
    assert refused.code == "rate_limited"
    assert "3 messages per hour" in refused.message
    # The oldest counted send (10 minutes ago) leaves the hour in 50 minutes.
    assert refused.extra["retry_after"] == 50 * 60.0
    assert isinstance(other_number[0], Accepted)


async def test_no_rule_means_no_refusal(storage: SqlStorage, make_message: MakeMessage) -> None:
    account = await new_account(storage, "shop", balance_micros=1_000_000)
    results = await storage.messages.accept_messages(
        [make_message(account.id), make_message(account.id)]
    )
    assert all(isinstance(result, Accepted) for result in results)
