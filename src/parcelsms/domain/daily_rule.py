"""The daily thresholds of an account, decided in one place for every process.

Per account and UTC day: at most ``messages`` accepted messages and at most ``spend_micros``
charged to the balance (0 turns one off). :func:`daily_refusal` decides whether one more
message fits, from the day's use so far; :func:`warnings_due` names the limits whose
``warning_percent`` % the day's use has reached.

* A message that would pass a limit is refused with ``daily_limit_reached`` — **429** with
  ``Retry-After`` until midnight UTC: the refusal is temporary and says exactly when sending
  may resume, which is what 429 means (403 would tell clients not to retry at all).
* Spend is checked against the message's list price and counted at the price actually
  charged (0 when a package pays).

The storage's accept transaction asks, with the day's use read from the database under its
write lock (:mod:`parcelsms.adapters.storage.messages.daily_usage_rows`), so every API
process and node counts against one total.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import msgspec

from parcelsms.domain.account_events import DailyLimitName
from parcelsms.domain.error_catalogue import error
from parcelsms.domain.money import format_micros
from parcelsms.errors import CatalogueError


class DailyRule(msgspec.Struct, frozen=True):
    """The daily limits of one account's messages (0: off) and its warning level."""

    messages: int = 0
    spend_micros: int = 0
    warning_percent: int = 80


def utc_day(moment: datetime) -> int:
    """The UTC day of ``moment`` as days since 1970-01-01 (the counters' key)."""
    return int(moment.timestamp() // 86_400)


def seconds_to_midnight(moment: datetime) -> float:
    """Whole seconds (at least 1) from ``moment`` to the next midnight UTC."""
    utc = moment.astimezone(UTC)
    midnight = utc.replace(hour=0, minute=0, second=0, microsecond=0) + timedelta(days=1)
    return float(max(1, int((midnight - utc).total_seconds())))


def daily_refusal(
    rule: DailyRule,
    used_messages: int,
    used_spend_micros: int,
    price_micros: int,
    currency: str,
    now: datetime,
) -> CatalogueError | None:
    """``daily_limit_reached`` when one more message at ``price_micros`` passes a limit."""
    if rule.messages and used_messages + 1 > rule.messages:
        return error(
            "daily_limit_reached",
            f"This account may send {rule.messages} messages per day (UTC) and has reached "
            "that limit.",
            retry_after=seconds_to_midnight(now),
        )
    if rule.spend_micros and used_spend_micros + price_micros > rule.spend_micros:
        amount = " ".join(part for part in (format_micros(rule.spend_micros), currency) if part)
        return error(
            "daily_limit_reached",
            f"This account may spend {amount} per day (UTC); this message would pass that limit.",
            retry_after=seconds_to_midnight(now),
        )
    return None


def warnings_due(
    rule: DailyRule, used_messages: int, used_spend_micros: int
) -> tuple[tuple[DailyLimitName, int, int], ...]:
    """``(limit, used, limit value)`` of each limit whose warning level the use reached."""
    checks: tuple[tuple[DailyLimitName, int, int], ...] = (
        ("daily_messages", used_messages, rule.messages),
        ("daily_spend", used_spend_micros, rule.spend_micros),
    )
    return tuple(
        check for check in checks if check[2] and check[1] * 100 >= check[2] * rule.warning_percent
    )
