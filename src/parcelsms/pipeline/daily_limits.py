"""The send guard of daily thresholds: messages and spend per account and UTC day.

Per account and UTC day: at most ``daily_messages`` accepted messages and at most
``daily_spend_micros`` charged to the balance (limits of :mod:`parcelsms.pipeline.account_limits`;
0 turns one off).

* When a message would pass a limit it is refused with ``daily_limit_reached`` — **429**
  with ``Retry-After`` until midnight UTC: the refusal is temporary and says exactly when
  sending may resume, which is what 429 means (403 would tell clients not to retry at all).
* When an accepted message brings the day's use to ``warning_percent`` % (80) of a limit,
  once per limit and day, an ``account.threshold_warning`` event is recorded: a
  notification and a webhook (:mod:`parcelsms.domain.account_events`).

Spend is checked against the message's list price (whether a package will pay is only
known inside the accept transaction) and counted at the price actually charged, so a
message a package pays counts 0.

Counters live in this process's memory and are seeded by :meth:`DailyLimitGuard.load` from
the day's stored messages and warnings, so a restart neither resets the day nor repeats a
warning. With several API processes each counts only what it accepted (see
``pipeline.recipient_limits`` for the same caveat).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Protocol

from parcelsms.domain.account_events import (
    THRESHOLD_WARNING,
    AccountEvent,
    DailyLimitName,
    threshold_warning,
)
from parcelsms.domain.error_catalogue import error
from parcelsms.domain.ids import new_id
from parcelsms.domain.money import format_micros
from parcelsms.pipeline.account_limits import AccountLimitsCache, EffectiveLimits
from parcelsms.pipeline.billing_ports import DailyUsage, Notification
from parcelsms.pipeline.send_guards import GuardContext

_log = logging.getLogger(__name__)


class DailyHistory(Protocol):
    async def daily_usage(self, since: datetime) -> list[DailyUsage]: ...

    async def notifications_since(self, kind: str, since: datetime) -> list[Notification]: ...


class EventRecorder(Protocol):
    async def record_account_event(self, event: AccountEvent) -> None: ...


@dataclass(slots=True)
class _Usage:
    messages: int = 0
    spend: int = 0
    pending_messages: int = 0
    pending_spend: int = 0


def _midnight(moment: datetime) -> datetime:
    return moment.replace(hour=0, minute=0, second=0, microsecond=0)


class DailyLimitGuard:
    """A :class:`~parcelsms.pipeline.send_guards.SendGuard`. Use from one event loop."""

    def __init__(
        self,
        limits: AccountLimitsCache,
        events: EventRecorder,
        *,
        warning_percent: int = 80,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._limits = limits
        self._events = events
        self._warning_percent = warning_percent
        self._clock = clock
        self._day = ""
        self._usage: dict[str, _Usage] = {}
        self._warned: set[tuple[str, str]] = set()
        self._background: set[asyncio.Task[None]] = set()

    def _today(self) -> tuple[datetime, str]:
        now = datetime.fromtimestamp(self._clock(), UTC)
        day = now.date().isoformat()
        if day != self._day:
            self._day = day
            # Admitted messages still being stored keep their pending counts.
            self._usage = {
                account_id: _Usage(
                    pending_messages=usage.pending_messages, pending_spend=usage.pending_spend
                )
                for account_id, usage in self._usage.items()
                if usage.pending_messages
            }
            self._warned = set()
        return now, day

    async def load(self, history: DailyHistory) -> None:
        """Seed today's counters and warnings from storage."""
        now, _ = self._today()
        midnight = _midnight(now)
        for usage in await history.daily_usage(midnight):
            entry = self._usage.setdefault(usage.account_id, _Usage())
            entry.messages += usage.messages
            entry.spend += usage.spend_micros
        for notice in await history.notifications_since(THRESHOLD_WARNING, midnight):
            limit = notice.data.get("limit")
            if isinstance(limit, str):
                self._warned.add((notice.account_id, limit))

    async def admit(self, context: GuardContext) -> None:
        """Refuse with ``daily_limit_reached`` when the message would pass a daily limit.

        Counts whether or not the account has a limit now: a limit set in the middle of
        the day must see the messages sent before it, as it would after a restart.
        """
        limits = await self._limits.limits(context.account_id)
        now, _ = self._today()
        usage = self._usage.setdefault(context.account_id, _Usage())
        retry_after = float(max(1, int((_midnight(now) + timedelta(days=1) - now).total_seconds())))
        messages = usage.messages + usage.pending_messages
        if limits.daily_messages and messages + 1 > limits.daily_messages:
            raise error(
                "daily_limit_reached",
                f"This account may send {limits.daily_messages} messages per day (UTC) and "
                "has reached that limit.",
                retry_after=retry_after,
            )
        spend = usage.spend + usage.pending_spend
        if limits.daily_spend_micros and spend + context.price_micros > limits.daily_spend_micros:
            amount = " ".join(
                part
                for part in (format_micros(limits.daily_spend_micros), context.currency)
                if part
            )
            raise error(
                "daily_limit_reached",
                f"This account may spend {amount} per day (UTC); this message would pass "
                "that limit.",
                retry_after=retry_after,
            )
        usage.pending_messages += 1
        usage.pending_spend += context.price_micros

    def accepted(self, context: GuardContext) -> None:
        """Count the stored message; record a warning when it crosses the warning level."""
        usage = self._release(context)
        if usage is None:
            return
        usage.messages += 1
        charged = context.price_micros if context.charged_micros is None else context.charged_micros
        usage.spend += charged
        limits = self._limits.cached(context.account_id)
        if limits is not None:
            self._warn(context, usage, limits)

    def released(self, context: GuardContext) -> None:
        """Forget the admitted message: it was not stored."""
        self._release(context)

    def _release(self, context: GuardContext) -> _Usage | None:
        self._today()
        usage = self._usage.get(context.account_id)
        if usage is None or usage.pending_messages == 0:
            return None
        usage.pending_messages -= 1
        usage.pending_spend = max(0, usage.pending_spend - context.price_micros)
        return usage

    def _warn(self, context: GuardContext, usage: _Usage, limits: EffectiveLimits) -> None:
        checks: tuple[tuple[DailyLimitName, int, int], ...] = (
            ("daily_messages", usage.messages, limits.daily_messages),
            ("daily_spend", usage.spend, limits.daily_spend_micros),
        )
        for name, used, limit in checks:
            key = (context.account_id, name)
            if not limit or key in self._warned:
                continue
            if used * 100 < limit * self._warning_percent:
                continue
            self._warned.add(key)
            now, day = self._today()
            event = threshold_warning(
                new_id("evt"),
                context.account_id,
                limit=name,
                used=used,
                limit_value=limit,
                percent=self._warning_percent,
                currency=context.currency,
                day=day,
                at=now,
            )
            task = asyncio.get_running_loop().create_task(self._events.record_account_event(event))
            self._background.add(task)
            task.add_done_callback(self._recorded)

    def _recorded(self, task: asyncio.Task[None]) -> None:
        self._background.discard(task)
        if task.cancelled():
            return
        problem = task.exception()
        if problem is not None:
            # The limit itself still holds; only the early warning was lost.
            _log.warning("could not record a daily-limit warning: %s", problem)

    async def drain(self) -> None:
        """Wait for warnings being recorded (call before closing storage)."""
        if self._background:
            await asyncio.gather(*self._background, return_exceptions=True)
