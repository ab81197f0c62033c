"""Per-recipient limits: messages per hour and per day to one number, and repeated texts."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from parcelsms.domain.numbers import parse_recipient
from parcelsms.errors import CatalogueError
from parcelsms.pipeline.account_limits import AccountLimitsCache, EffectiveLimits
from parcelsms.pipeline.billing_ports import AccountLimits, RecipientSend
from parcelsms.pipeline.recipient_limits import RecipientLimitGuard
from parcelsms.pipeline.send_guards import GuardContext

START = datetime(2030, 1, 1, 12, tzinfo=UTC).timestamp()


class Clock:
    def __init__(self) -> None:
        self.now = START

    def __call__(self) -> float:
        return self.now


class Limits:
    def __init__(self, **own: int) -> None:
        self.own = AccountLimits(**own)

    async def get_account_limits(self, account_id: str) -> AccountLimits:
        return self.own


class History:
    def __init__(self, sends: list[RecipientSend]) -> None:
        self.sends = sends

    async def recipient_history(
        self, since: datetime, bodies_since: datetime
    ) -> list[RecipientSend]:
        return [
            RecipientSend(
                account_id=send.account_id,
                to_e164=send.to_e164,
                created_at=send.created_at,
                body=send.body if send.created_at >= bodies_since else None,
            )
            for send in self.sends
            if send.created_at >= since
        ]


def context(body: str = "Your parcel shipped.", to: str = "+447400123456") -> GuardContext:
    return GuardContext(
        account_id="acc_1",
        recipient=parse_recipient(to),
        body=body,
        segments=1,
        price_micros=40_000,
        field_prefix="",
    )


def guard(clock: Clock, **own: int) -> RecipientLimitGuard:
    defaults = EffectiveLimits(
        recipient_per_hour=3, recipient_per_day=5, duplicate_window_seconds=30
    )
    return RecipientLimitGuard(AccountLimitsCache(Limits(**own), defaults), clock=clock)


async def send(limits: RecipientLimitGuard, message: GuardContext) -> None:
    await limits.admit(message)
    limits.accepted(message)


async def refusal(limits: RecipientLimitGuard, message: GuardContext) -> CatalogueError:
    with pytest.raises(CatalogueError) as caught:
        await limits.admit(message)
    return caught.value


async def test_the_same_text_to_the_same_number_waits_out_the_window() -> None:
    clock = Clock()
    limits = guard(clock)
    await send(limits, context("Parcel A"))
    clock.now += 10

    problem = await refusal(limits, context("Parcel A"))
    await send(limits, context("Parcel B"))  # another text is fine
    clock.now += 20
    await send(limits, context("Parcel A"))  # the window has passed

    assert problem.code == "rate_limited"
    assert problem.field == "to"
    assert problem.extra["retry_after"] == 20


async def test_messages_per_hour_to_one_number_are_capped_with_a_retry_after() -> None:
    clock = Clock()
    limits = guard(clock)
    for number in range(3):
        await send(limits, context(f"update {number}"))
        clock.now += 60

    problem = await refusal(limits, context("update 3"))
    await send(limits, context("other number", to="+447400123457"))

    assert "3 messages per hour" in problem.message
    # the first message (at START) leaves the hour at START + 3600; it is now START + 180
    assert problem.extra["retry_after"] == 3600 - 180


async def test_messages_per_day_count_over_24_hours() -> None:
    clock = Clock()
    limits = guard(clock)
    for number in range(5):
        await send(limits, context(f"update {number}"))
        clock.now += 3600

    problem = await refusal(limits, context("update 5"))
    clock.now = START + 86_400 + 1
    await send(limits, context("update 6"))

    assert "per 24 hours" in problem.message


async def test_an_admitted_message_counts_until_released() -> None:
    clock = Clock()
    limits = guard(clock)
    first = context("same text")
    await limits.admit(first)

    while_pending = await refusal(limits, context("same text"))
    limits.released(first)
    await send(limits, context("same text"))

    assert while_pending.code == "rate_limited"


async def test_an_accounts_own_limits_override_the_defaults_and_zero_disables() -> None:
    clock = Clock()
    limits = guard(clock, recipient_per_hour=0, recipient_per_day=0, duplicate_window_seconds=0)

    for _ in range(10):
        await send(limits, context("same text"))


async def test_counters_seeded_from_storage_survive_a_restart() -> None:
    clock = Clock()
    sent_at = datetime.fromtimestamp(START - 5, UTC)
    old = datetime.fromtimestamp(START - 90_000, UTC)
    history = History(
        [
            RecipientSend(
                account_id="acc_1", to_e164="+447400123456", created_at=sent_at, body="Hi"
            ),
            RecipientSend(
                account_id="acc_1", to_e164="+447400123456", created_at=sent_at, body="x"
            ),
            RecipientSend(
                account_id="acc_1", to_e164="+447400123456", created_at=sent_at, body="y"
            ),
            RecipientSend(account_id="acc_1", to_e164="+447400123456", created_at=old, body="z"),
        ]
    )
    limits = guard(clock)

    counted = await limits.load(history)
    duplicate = await refusal(limits, context("Hi"))
    per_hour = await refusal(limits, context("new text"))

    assert counted == 3
    assert duplicate.extra["retry_after"] == 25
    assert "per hour" in per_hour.message
