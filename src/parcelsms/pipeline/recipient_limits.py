"""The send guard of per-recipient limits: how often one account may text one number.

Per account and recipient (E.164): at most ``recipient_per_hour`` messages in any 60
minutes, ``recipient_per_day`` in any 24 hours, and the same text at most once per
``duplicate_window_seconds`` (limits of :mod:`parcelsms.pipeline.account_limits`; 0 turns
one off). A refusal is ``rate_limited`` naming the rule, with ``retry_after`` the seconds
until the oldest counted message leaves its window (the API sends it as ``Retry-After``).

The counters are in this process's memory: :meth:`RecipientLimitGuard.load` seeds them from
the messages stored in the last 24 hours, so a restart does not reset them. With several
API processes each counts only what it accepted itself, so the effective limit is up to
``processes ×`` the configured one; an installation that needs exact limits across nodes
must route each account to one node or keep the counters in a shared store.

Memory: one entry per (account, recipient) texted in the last 24 hours, holding the times
(and text hashes) of its last 24 hours, at most 10,000 of each (limits above that are not
counted exactly); entries are pruned as their windows pass.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Final, Protocol

from parcelsms.domain.error_catalogue import error
from parcelsms.pipeline.account_limits import AccountLimitsCache, EffectiveLimits
from parcelsms.pipeline.billing_ports import RecipientSend
from parcelsms.pipeline.send_guards import GuardContext

HOUR: Final = 3600.0
DAY: Final = 86_400.0
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
        field_name = f"{context.field_prefix}to"
        window = limits.duplicate_window_seconds
        if window:
            for text, at in (*entry.texts, *entry.pending):
                if text == digest and at > now - window:
                    raise error(
                        "rate_limited",
                        f"The same text was sent to this number less than {window} seconds "
                        "ago; a repeat is refused until the window has passed.",
                        field=field_name,
                        retry_after=_wait(at + window - now),
                    )
        if limits.recipient_per_hour or limits.recipient_per_day:
            self._check_counts(entry, limits, now, field_name)
        entry.pending.append((digest, now))

    @staticmethod
    def _check_counts(
        entry: _Recipient, limits: EffectiveLimits, now: float, field_name: str
    ) -> None:
        # Only when a count limit is set: the sort is the costly part on a busy number.
        times = sorted((*entry.times, *(at for _, at in entry.pending)))
        for limit, span, what in (
            (limits.recipient_per_hour, HOUR, "hour"),
            (limits.recipient_per_day, DAY, "24 hours"),
        ):
            if not limit:
                continue
            inside = [at for at in times if at > now - span]
            if len(inside) >= limit:
                raise error(
                    "rate_limited",
                    f"This account may send at most {limit} messages per {what} to one number.",
                    field=field_name,
                    retry_after=_wait(inside[-limit] + span - now),
                )

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


def _wait(seconds: float) -> float:
    """Whole seconds to wait (at least 1), so a client retrying on time is not refused."""
    return float(max(1, math.ceil(seconds)))
