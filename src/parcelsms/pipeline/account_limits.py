"""The limits that apply to an account: its own (set by the operator) over the defaults.

The send guards ask for an account's limits on every message, so answers are cached for
``cache_seconds`` (5 by default); a change through this process's admin API calls
:meth:`AccountLimitsCache.forget` and applies at once, one made elsewhere within the delay.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from parcelsms.pipeline.billing_ports import AccountLimits
from parcelsms.pipeline.ttl_cache import TtlCache


@dataclass(frozen=True, slots=True)
class EffectiveLimits:
    """Limits in force for one account; ``0`` means no limit."""

    recipient_per_hour: int = 0
    recipient_per_day: int = 0
    duplicate_window_seconds: int = 0
    daily_messages: int = 0
    daily_spend_micros: int = 0

    def over(self, own: AccountLimits) -> EffectiveLimits:
        """These limits as defaults, with the account's own values where it has them."""

        def pick(value: int | None, default: int) -> int:
            return default if value is None else value

        return EffectiveLimits(
            recipient_per_hour=pick(own.recipient_per_hour, self.recipient_per_hour),
            recipient_per_day=pick(own.recipient_per_day, self.recipient_per_day),
            duplicate_window_seconds=pick(
                own.duplicate_window_seconds, self.duplicate_window_seconds
            ),
            daily_messages=pick(own.daily_messages, self.daily_messages),
            daily_spend_micros=pick(own.daily_spend_micros, self.daily_spend_micros),
        )


class LimitsLookup(Protocol):
    async def get_account_limits(self, account_id: str) -> AccountLimits: ...


class AccountLimitsCache:
    """Effective limits by account, cached. One per process."""

    def __init__(
        self,
        store: LimitsLookup,
        defaults: EffectiveLimits,
        *,
        cache_seconds: float = 5.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._store = store
        self._defaults = defaults
        self._cached: TtlCache[str, EffectiveLimits] = TtlCache(cache_seconds, clock=clock)

    @property
    def defaults(self) -> EffectiveLimits:
        return self._defaults

    async def limits(self, account_id: str) -> EffectiveLimits:
        """The limits in force for ``account_id`` now."""

        async def load() -> EffectiveLimits:
            return self._defaults.over(await self._store.get_account_limits(account_id))

        return await self._cached.fetch(account_id, load)

    def cached(self, account_id: str) -> EffectiveLimits | None:
        """The last limits read for ``account_id`` (even if due for a reread), if any."""
        return self._cached.last(account_id)

    def forget(self, account_id: str) -> None:
        """Reread the account's limits on its next message."""
        self._cached.forget(account_id)
