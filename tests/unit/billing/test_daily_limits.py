"""Daily thresholds per account: a stop at 100 % and one warning at 80 % per limit and day."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import pytest

from parcelsms.domain.account_events import AccountEvent
from parcelsms.domain.numbers import parse_recipient
from parcelsms.errors import CatalogueError
from parcelsms.pipeline.account_limits import AccountLimitsCache, EffectiveLimits
from parcelsms.pipeline.billing_ports import AccountLimits, DailyUsage, Notification
from parcelsms.pipeline.daily_limits import DailyLimitGuard
from parcelsms.pipeline.send_guards import GuardContext

NOON = datetime(2030, 1, 1, 12, tzinfo=UTC)


class Clock:
    def __init__(self) -> None:
        self.now = NOON.timestamp()

    def __call__(self) -> float:
        return self.now


class Store:
    """Limits, history and the recorded events, in memory."""

    def __init__(self, **own: int) -> None:
        self.own = AccountLimits(**own)
        self.events: list[AccountEvent] = []
        self.usage: list[DailyUsage] = []
        self.notices: list[Notification] = []

    async def get_account_limits(self, account_id: str) -> AccountLimits:
        return self.own

    async def record_account_event(self, event: AccountEvent) -> None:
        self.events.append(event)

    async def daily_usage(self, since: datetime) -> list[DailyUsage]:
        return self.usage

    async def notifications_since(self, kind: str, since: datetime) -> list[Notification]:
        return [notice for notice in self.notices if notice.kind == kind]


def context(price: int = 100_000, charged: int | None = None) -> GuardContext:
    return GuardContext(
        account_id="acc_1",
        recipient=parse_recipient("+447400123456"),
        body="Parcel shipped.",
        segments=1,
        price_micros=price,
        field_prefix="",
        currency="EUR",
        charged_micros=charged,
    )


def daily(store: Store, clock: Clock) -> DailyLimitGuard:
    return DailyLimitGuard(AccountLimitsCache(store, EffectiveLimits()), store, clock=clock)


async def send(guard: DailyLimitGuard, message: GuardContext) -> None:
    await guard.admit(message)
    guard.accepted(message)


async def test_the_message_past_the_daily_count_is_refused_until_midnight() -> None:
    store, clock = Store(daily_messages=3), Clock()
    guard = daily(store, clock)
    for _ in range(3):
        await send(guard, context())

    with pytest.raises(CatalogueError) as caught:
        await guard.admit(context())
    clock.now = datetime(2030, 1, 2, 0, 0, 1, tzinfo=UTC).timestamp()
    await send(guard, context())

    assert caught.value.code == "daily_limit_reached"
    assert caught.value.status == 429
    assert caught.value.extra["retry_after"] == 12 * 3600


async def test_spend_is_checked_at_list_price_and_counted_at_the_charged_price() -> None:
    store, clock = Store(daily_spend_micros=250_000), Clock()
    guard = daily(store, clock)
    await send(guard, context(price=100_000, charged=0))  # a package paid it
    await send(guard, context(price=100_000, charged=100_000))
    await send(guard, context(price=100_000, charged=100_000))

    with pytest.raises(CatalogueError) as caught:
        await guard.admit(context(price=100_000))

    assert "spend 0.25 EUR per day" in caught.value.message


async def test_one_warning_per_limit_and_day_at_eighty_percent() -> None:
    store, clock = Store(daily_messages=5), Clock()
    guard = daily(store, clock)
    for _ in range(5):
        await send(guard, context())
    await guard.drain()

    assert [event.type for event in store.events] == ["account.threshold_warning"]
    assert store.events[0].data["used"] == 4
    assert store.events[0].data["limit"] == "daily_messages"


async def test_a_restart_keeps_the_days_count_and_its_warning() -> None:
    store, clock = Store(daily_messages=10), Clock()
    store.usage = [DailyUsage(account_id="acc_1", messages=9, spend_micros=0)]
    store.notices = [
        Notification(
            id="evt_1",
            account_id="acc_1",
            kind="account.threshold_warning",
            subject="",
            body="",
            data={"limit": "daily_messages"},
            created_at=NOON,
        )
    ]
    guard = daily(store, clock)
    await guard.load(store)

    await send(guard, context())
    with pytest.raises(CatalogueError):
        await guard.admit(context())
    await asyncio.sleep(0)
    await guard.drain()

    assert store.events == []


async def test_a_refused_store_releases_the_admitted_message() -> None:
    store, clock = Store(daily_messages=1), Clock()
    guard = daily(store, clock)
    message = context()
    await guard.admit(message)
    guard.released(message)

    await send(guard, context())
