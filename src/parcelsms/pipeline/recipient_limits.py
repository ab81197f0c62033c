"""The per-recipient limits of each account's messages, handed on with the message.

Per account and recipient (E.164): at most ``recipient_per_hour`` messages in any 60
minutes, ``recipient_per_day`` in any 24 hours, and the same text at most once per
``duplicate_window_seconds`` (limits of :mod:`parcelsms.pipeline.account_limits`; 0 turns
one off). A refusal is ``rate_limited`` naming the rule (field ``to``, ``messages[3].to`` in
a batch), with ``retry_after`` the seconds until the oldest counted message leaves its
window (the API sends it as ``Retry-After``).

The rule itself is :mod:`parcelsms.domain.recipient_rule`. Nothing is counted in this
process: :meth:`RecipientRules.rule_for` gives each message its account's rule, and the
accept transaction decides it against every process's committed messages
(:mod:`parcelsms.adapters.storage.messages.recent_send_rows`), under the database's single
write lock — so the limit holds for the installation however many API processes and nodes
accept, a restart forgets nothing, and concurrent retries with one ``Idempotency-Key`` are
answered as replays rather than refused as duplicates.
"""

from __future__ import annotations

from parcelsms.domain.recipient_rule import RecipientRule
from parcelsms.pipeline.account_limits import AccountLimitsCache


class RecipientRules:
    """The per-recipient rule of each account's messages, from its (cached) limits."""

    def __init__(self, limits: AccountLimitsCache) -> None:
        self._limits = limits

    async def rule_for(self, account_id: str) -> RecipientRule | None:
        """The rule the accept transaction checks ``account_id``'s message against
        (``None`` when every limit is off)."""
        limits = await self._limits.limits(account_id)
        rule = RecipientRule(
            per_hour=limits.recipient_per_hour,
            per_day=limits.recipient_per_day,
            duplicate_window_seconds=limits.duplicate_window_seconds,
        )
        return None if rule.is_off else rule
