"""The daily thresholds of each account's messages, handed on with the message.

Per account and UTC day: at most ``daily_messages`` accepted messages and at most
``daily_spend_micros`` charged to the balance (limits of :mod:`parcelsms.pipeline.account_limits`;
0 turns one off), and one ``account.threshold_warning`` event per limit and day when the use
reaches ``warning_percent`` % (80) of it (:mod:`parcelsms.domain.account_events`).

The rule itself is :mod:`parcelsms.domain.daily_rule`. Nothing is counted in this process:
:meth:`DailyRules.rule_for` gives each sender's message its account's rule, and the accept
transaction counts and decides it against the day's use stored in the database
(:mod:`parcelsms.adapters.storage.messages.daily_usage_rows`) — one total for every API
process and node, kept across restarts, with each warning recorded exactly once. An account
without daily limits gets no rule, and its messages cost the accept transaction nothing
more; when a limit is set (or changed) the storage starts the day's count again from the
stored messages, so a limit set in the middle of the day sees the messages sent before it.
"""

from __future__ import annotations

from parcelsms.domain.daily_rule import DailyRule
from parcelsms.pipeline.account_limits import AccountLimitsCache


class DailyRules:
    """The daily rule of each account's messages, from its (cached) limits."""

    def __init__(self, limits: AccountLimitsCache, *, warning_percent: int = 80) -> None:
        self._limits = limits
        self._warning_percent = warning_percent

    async def rule_for(self, account_id: str) -> DailyRule | None:
        """The rule the accept transaction counts ``account_id``'s message against
        (``None`` while the account has no daily limit)."""
        limits = await self._limits.limits(account_id)
        if not (limits.daily_messages or limits.daily_spend_micros):
            return None
        return DailyRule(
            messages=limits.daily_messages,
            spend_micros=limits.daily_spend_micros,
            warning_percent=self._warning_percent,
        )
