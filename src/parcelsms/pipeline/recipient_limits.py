"""The send guard of per-recipient limits: how often one account may text one number.

Per account and recipient (E.164): at most ``recipient_per_hour`` messages in any 60
minutes, ``recipient_per_day`` in any 24 hours, and the same text at most once per
``duplicate_window_seconds`` (limits of :mod:`parcelsms.pipeline.account_limits`; 0 turns
one off). A refusal is ``rate_limited`` naming the rule, with ``retry_after`` the seconds
until the oldest counted message leaves its window (the API sends it as ``Retry-After``).

The rule itself is :mod:`parcelsms.domain.recipient_rule`. This guard answers from this
process's memory — :meth:`RecipientLimitGuard.load` seeds it from the messages stored in the
last 24 hours, so a restart does not reset it — and :meth:`RecipientLimitGuard.rule_for` hands
the rule on with the message: the accept transaction checks it again against every process's
committed messages, so several API processes together keep the limit exactly.

Memory: one entry per (account, recipient) texted in the last 24 hours, holding the times
(and text hashes) of its last 24 hours, at most 10,000 of each (limits above that are not
counted exactly); entries are pruned as their windows pass.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Final, Protocol

from parcelsms.domain.recipient_rule import DAY, RecipientRule, recipient_refusal
from parcelsms.pipeline.account_limits import AccountLimitsCache
from parcelsms.pipeline.billing_ports import RecipientSend
from parcelsms.pipeline.send_guards import GuardContext

MAX_DUPLICATE_WINDOW: Final = 86_400
_PRUNE_INTERVAL: Final = 60.0
_MAX_TIMES: Final = 10_000


class RecipientHistory(Protocol):
    async def recipient_history(
        self, since: datetime, bodies_since: datetime
    ) -> list[RecipientSend]: ...


@dataclass(slots=True)
class _Recipient:
    """What one account sent one number: times (oldest first) and recent texts."""

    times: list[float] = field(default_factory=list)
    texts: list[tuple[int, float]] = field(default_factory=list)  # (hash of body, time)
    pending: list[tuple[int, float]] = field(default_factory=list)  # admitted, not stored


class RecipientLimitGuard:
    """A :class:`~parcelsms.pipeline.send_guards.SendGuard`. Use from one event loop."""

    def __init__(
        self,
        limits: AccountLimitsCache,
        *,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._limits = limits
        self._clock = clock
        self._recipients: dict[tuple[str, str], _Recipient] = {}
        self._pruned = 0.0

    async def load(self, history: RecipientHistory) -> int:
        """Seed the counters from stored messages; returns how many were counted."""
        now = self._clock()
        moment = datetime.fromtimestamp(now, UTC)
        sends = await history.recipient_history(
            moment - timedelta(seconds=DAY), moment - timedelta(seconds=MAX_DUPLICATE_WINDOW)
        )
        for send in sends:
            entry = self._recipients.setdefault((send.account_id, send.to_e164), _Recipient())
            at = send.created_at.timestamp()
            entry.times.append(at)
            if send.body is not None:
                entry.texts.append((hash(send.body), at))
        for entry in self._recipients.values():
            entry.times.sort()
            entry.texts.sort(key=lambda text: text[1])
        self._pruned = now
        return len(sends)

    async def admit(self, context: GuardContext) -> None:
        """Refuse with ``rate_limited`` (field ``to``) when a per-recipient limit is reached."""
        limits = await self._limits.limits(context.account_id)
        # Counted even while no limit is set, so a limit set later sees what came before it
        # (as :meth:`load` does after a restart).
        now = self._clock()
        if now - self._pruned > _PRUNE_INTERVAL:
            self._prune(now)
        key = (context.account_id, context.recipient.e164)
        entry = self._recipients.get(key)
        if entry is None:
            entry = self._recipients[key] = _Recipient()
        _forget_older(entry, now - DAY)
        digest = hash(context.body)
        rule = RecipientRule(
            per_hour=limits.recipient_per_hour,
            per_day=limits.recipient_per_day,
            duplicate_window_seconds=limits.duplicate_window_seconds,
        )
        refusal = recipient_refusal(
            rule,
            [*entry.times, *(at for _, at in entry.pending)],
            [*entry.texts, *entry.pending],
            digest,
            now,
            f"{context.field_prefix}to",
        )
        if refusal is not None:
            raise refusal
        entry.pending.append((digest, now))

    async def rule_for(self, account_id: str) -> RecipientRule | None:
        """The rule for ``account_id``'s messages (``None`` when every limit is off): the
        accept transaction checks it again against every process's committed messages."""
        limits = await self._limits.limits(account_id)
        rule = RecipientRule(
            per_hour=limits.recipient_per_hour,
            per_day=limits.recipient_per_day,
            duplicate_window_seconds=limits.duplicate_window_seconds,
        )
        return None if rule.is_off else rule

    def accepted(self, context: GuardContext) -> None:
        """Count the stored message."""
        entry = self._take_pending(context)
        if entry is not None:
            now = self._clock()
            entry.times.append(now)
            entry.texts.append((hash(context.body), now))
            if len(entry.times) > _MAX_TIMES:
                del entry.times[: len(entry.times) - _MAX_TIMES]
                del entry.texts[: len(entry.texts) - _MAX_TIMES]

    def released(self, context: GuardContext) -> None:
        """Forget the admitted message: it was not stored."""
        self._take_pending(context)

    def _take_pending(self, context: GuardContext) -> _Recipient | None:
        entry = self._recipients.get((context.account_id, context.recipient.e164))
        if entry is None:
            return None
        digest = hash(context.body)
        for index, (text, _) in enumerate(entry.pending):
            if text == digest:
                del entry.pending[index]
                return entry
        return None

    def _prune(self, now: float) -> None:
        self._pruned = now
        for key in [
            key
            for key, entry in self._recipients.items()
            if not entry.pending and (not entry.times or entry.times[-1] <= now - DAY)
        ]:
            del self._recipients[key]


def _forget_older(entry: _Recipient, cutoff: float) -> None:
    if entry.times and entry.times[0] <= cutoff:
        entry.times = [at for at in entry.times if at > cutoff]
    window_cutoff = cutoff + DAY - MAX_DUPLICATE_WINDOW
    if entry.texts and entry.texts[0][1] <= window_cutoff:
        entry.texts = [text for text in entry.texts if text[1] > window_cutoff]
