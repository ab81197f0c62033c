"""The daily thresholds hold across processes: the accept transaction counts each account's
day in the database. Two storages on one database stand for two API processes (each with its
own writer and connection, as they would); every test runs on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, Protocol

from sender_accounts import TEST_ACTOR, new_account

from parcelsms.adapters.storage.sql_storage import SqlStorage
from parcelsms.domain.daily_rule import DailyRule
from parcelsms.errors import CatalogueError
from parcelsms.pipeline.billing_ports import AccountLimits
from parcelsms.pipeline.message_ports import Accepted, NewMessage

OpenStorage = Callable[..., Awaitable[SqlStorage]]
MakeMessage = Callable[..., NewMessage]


class Clock(Protocol):
    def advance(self, seconds: float) -> Any: ...


async def _warnings(storage: SqlStorage, account_id: str) -> list[Any]:
    page = await storage.billing.list_notifications(account_id)
    return [item for item in page.items if item.kind == "account.threshold_warning"]


async def test_the_daily_count_spans_writers_and_items_of_one_group(
    open_test_storage: OpenStorage, make_message: MakeMessage
) -> None:
    first = await open_test_storage()
    second = await open_test_storage()
    account = await new_account(first, "shop", balance_micros=10_000_000)
    rule = DailyRule(messages=3)

    one = await first.messages.accept_messages([make_message(account.id, daily_rule=rule)])
    group = await second.messages.accept_messages(
        [make_message(account.id, daily_rule=rule, body=str(n)) for n in range(3)]
    )
    late = await first.messages.accept_messages([make_message(account.id, daily_rule=rule)])

    assert [type(result) for result in [*one, *group, *late]] == [
        Accepted,
        Accepted,
        Accepted,
        CatalogueError,
        CatalogueError,
    ]
    refused = group[2]
    assert isinstance(refused, CatalogueError)
    assert refused.code == "daily_limit_reached"
    assert refused.field is None
    # The test clock says 12:00 UTC: sending may resume at midnight.
    assert refused.extra["retry_after"] == 12 * 3600.0


async def test_the_count_starts_again_at_midnight_utc(
    storage: SqlStorage, make_message: MakeMessage, clock: Clock
) -> None:
    account = await new_account(storage, "shop", balance_micros=10_000_000)
    rule = DailyRule(messages=1)
    await storage.messages.accept_messages([make_message(account.id, daily_rule=rule)])

    (refused,) = await storage.messages.accept_messages([make_message(account.id, daily_rule=rule)])
    clock.advance(12 * 3600)
    (next_day,) = await storage.messages.accept_messages(
        [make_message(account.id, daily_rule=rule)]
    )

    assert isinstance(refused, CatalogueError)
    assert isinstance(next_day, Accepted)


async def test_spend_is_checked_at_list_price_and_counted_at_the_charged_price(
    storage: SqlStorage, make_message: MakeMessage
) -> None:
    account = await new_account(storage, "shop", balance_micros=10_000_000)
    rule = DailyRule(spend_micros=100_000)
    free = make_message(account.id, daily_rule=rule, price_micros=0, body="free")
    priced = [make_message(account.id, daily_rule=rule, body=str(n)) for n in range(3)]

    results = await storage.messages.accept_messages([free, *priced])

    # 40,000 each: two fit in 100,000, the third would pass it; the free one counts nothing.
    assert [type(result) for result in results] == [Accepted, Accepted, Accepted, CatalogueError]
    refused = results[3]
    assert isinstance(refused, CatalogueError)
    assert "spend 0.1 EUR per day" in refused.message


async def test_messages_without_a_rule_are_not_counted(
    storage: SqlStorage, make_message: MakeMessage
) -> None:
    account = await new_account(storage, "shop", balance_micros=10_000_000)
    rule = DailyRule(messages=2)
    first = await storage.messages.accept_messages([make_message(account.id, daily_rule=rule)])
    # The platform's own texts (a STOP confirmation) carry no rule.
    await storage.messages.accept_messages([make_message(account.id, body="STOP confirmed")])
    second = await storage.messages.accept_messages(
        [make_message(account.id, daily_rule=rule, body="second")]
    )
    third = await storage.messages.accept_messages(
        [make_message(account.id, daily_rule=rule, body="third")]
    )

    assert [type(result) for result in [*first, *second, *third]] == [
        Accepted,
        Accepted,
        CatalogueError,
    ]


async def test_a_limit_set_during_the_day_counts_the_messages_stored_before_the_counter(
    storage: SqlStorage, make_message: MakeMessage
) -> None:
    # Messages stored before the day's counter row existed (an upgrade mid-day) count.
    account = await new_account(storage, "shop", balance_micros=10_000_000)
    await storage.messages.accept_messages(
        [make_message(account.id, body=str(n)) for n in range(2)]
    )
    results = await storage.messages.accept_messages(
        [make_message(account.id, daily_rule=DailyRule(messages=3), body=f"r{n}") for n in range(2)]
    )
    assert [type(result) for result in results] == [Accepted, CatalogueError]


async def test_each_limit_warns_once_per_day_whichever_writer_crosses_it(
    open_test_storage: OpenStorage, make_message: MakeMessage
) -> None:
    first = await open_test_storage()
    second = await open_test_storage()
    account = await new_account(first, "shop", balance_micros=10_000_000)
    rule = DailyRule(messages=10, spend_micros=1_000_000)

    for turn in range(5):
        writer = first if turn % 2 else second
        await writer.messages.accept_messages(
            [make_message(account.id, daily_rule=rule, body=f"{turn}-{n}") for n in range(2)]
        )

    warnings = await _warnings(first, account.id)
    assert [warning.data["limit"] for warning in warnings] == ["daily_messages"]
    assert warnings[0].data["used"] == 8
    assert warnings[0].data["percent"] == 80


async def test_a_limit_lifted_and_set_again_counts_what_was_sent_meanwhile(
    storage: SqlStorage, make_message: MakeMessage
) -> None:
    account = await new_account(storage, "shop", balance_micros=10_000_000)
    rule = DailyRule(messages=3)
    await storage.messages.accept_messages([make_message(account.id, daily_rule=rule)])
    # Lifted: messages carry no rule and are not counted...
    await storage.billing.set_account_limits(account.id, AccountLimits(), TEST_ACTOR)
    await storage.messages.accept_messages(
        [make_message(account.id, body=f"free {n}") for n in range(2)]
    )
    # ...until the limit is set again: the day restarts from the stored messages.
    await storage.billing.set_account_limits(
        account.id, AccountLimits(daily_messages=3), TEST_ACTOR
    )
    results = await storage.messages.accept_messages(
        [make_message(account.id, daily_rule=rule, body="again")]
    )

    assert isinstance(results[0], CatalogueError)
    assert results[0].code == "daily_limit_reached"
