"""The silence sweep of receipt failover: attempts with no final receipt in time go on.

On a channel whose receipts are reliable, the operator may say how long a message may stay
without its final receipt (``no_receipt_after`` in a ``[[channels.receipt_failover]]``
rule). :class:`SilentAttemptSweeper` asks storage every ``interval`` seconds to give up the
attempts that passed that limit since its previous sweep: each goes to the next channel of
its plan by the rules of :mod:`parcelsms.domain.receipt_failover` (storage decides and
writes it in one transaction), flagged ``duplicate_possible`` — the silent carrier may yet
deliver it. Failed receipts themselves are handled where they are applied (storage).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Protocol

_log = logging.getLogger(__name__)


class SilentAttemptStore(Protocol):
    async def fail_over_silent_attempts(self, now: datetime, since: datetime | None) -> int:
        """Fail over the submitted messages whose silence limit ended in ``(since, now]``
        (``since`` None: at any time up to ``now``); returns how many were queued again."""
        ...


class SilentAttemptSweeper:
    """Sweeps every ``interval`` seconds until cancelled; a failed sweep is logged and the
    next one covers its period too."""

    def __init__(
        self,
        store: SilentAttemptStore,
        *,
        interval: float = 1.0,
        clock: Callable[[], datetime] | None = None,
    ) -> None:
        self._store = store
        self._interval = interval
        self._clock = clock or (lambda: datetime.now(UTC))
        self._since: datetime | None = None
        self.requeued = 0

    async def sweep(self) -> int:
        """One sweep; returns how many messages went to their next channel."""
        now = self._clock()
        count = await self._store.fail_over_silent_attempts(now, self._since)
        self._since = now
        self.requeued += count
        return count

    async def run(self) -> None:
        while True:
            await asyncio.sleep(self._interval)
            try:
                count = await self.sweep()
            except Exception:  # a storage hiccup must not end the sweeps
                _log.exception("receipt silence sweep failed")
                continue
            if count:
                _log.info("messages sent on after no receipt in time", extra={"count": count})
