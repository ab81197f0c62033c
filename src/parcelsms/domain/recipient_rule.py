"""The per-recipient sending rule, decided in one place for every process.

Per account and recipient: at most ``per_hour`` messages in any 60 minutes, ``per_day`` in
any 24 hours, and the same text at most once per ``duplicate_window_seconds`` (0 turns one
off). :func:`recipient_refusal` decides from what that account already sent that number.

Two places ask: the API's in-memory guard (:mod:`parcelsms.pipeline.recipient_limits`), which
answers quickly from what its own process accepted, and the storage's accept transaction,
which sees what every process committed — with several API processes only the latter knows
everything, and it runs under the database's single write lock, so two processes cannot both
let the same message through.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Final

import msgspec

from parcelsms.domain.error_catalogue import error
from parcelsms.errors import CatalogueError

HOUR: Final = 3600.0
DAY: Final = 86_400.0


class RecipientRule(msgspec.Struct, frozen=True):
    """The limits that apply to one account's messages to one number (0: off)."""

    per_hour: int = 0
    per_day: int = 0
    duplicate_window_seconds: int = 0

    @property
    def is_off(self) -> bool:
        return not (self.per_hour or self.per_day or self.duplicate_window_seconds)

    @property
    def lookback_seconds(self) -> float:
        """How far back the sends that can matter go."""
        span = float(self.duplicate_window_seconds)
        if self.per_hour:
            span = max(span, HOUR)
        if self.per_day:
            span = max(span, DAY)
        return span


def recipient_refusal(
    rule: RecipientRule,
    times: Sequence[float],
    texts: Sequence[tuple[int, float]],
    body_digest: int,
    now: float,
    field: str,
) -> CatalogueError | None:
    """``rate_limited`` when one more message (``body_digest``) at ``now`` breaks ``rule``.

    ``times`` are the epoch seconds of the sends to count (any order), ``texts`` the
    ``(digest of body, time)`` of recent sends; ``retry_after`` is the whole seconds until
    the oldest counted send leaves its window.
    """
    window = rule.duplicate_window_seconds
    if window:
        for digest, at in texts:
            if digest == body_digest and at > now - window:
                return error(
                    "rate_limited",
                    f"The same text was sent to this number less than {window} seconds "
                    "ago; a repeat is refused until the window has passed.",
                    field=field,
                    retry_after=_wait(at + window - now),
                )
    if not (rule.per_hour or rule.per_day):
        return None
    ordered = sorted(times)
    for limit, span, what in (
        (rule.per_hour, HOUR, "hour"),
        (rule.per_day, DAY, "24 hours"),
    ):
        if not limit:
            continue
        inside = [at for at in ordered if at > now - span]
        if len(inside) >= limit:
            return error(
                "rate_limited",
                f"This account may send at most {limit} messages per {what} to one number.",
                field=field,
                retry_after=_wait(inside[-limit] + span - now),
            )
    return None


def _wait(seconds: float) -> float:
    """Whole seconds to wait (at least 1), so a client retrying on time is not refused."""
    return float(max(1, math.ceil(seconds)))
