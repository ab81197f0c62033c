"""A channel's circuit breaker: stop feeding a channel that fails, probe it, take it back (pure).

States and moves (time is passed in; nothing here reads a clock):

==========  ===========================================================================
CLOSED      every message may use the channel. The outcomes of its last ``sample``
            submits are kept; when at least ``min_submits`` of them are known and the
            share of failures reaches ``error_rate``, the breaker OPENS.
OPEN        no message may use it (the dispatcher takes the next channel of the plan).
            After ``open_seconds`` it turns HALF_OPEN.
HALF_OPEN   a trickle: one message per ``probe_interval`` may use it. ``probes_to_close``
            accepted probes in a row CLOSE it (with a fresh sample); a failed probe OPENS
            it again for another ``open_seconds``.
==========  ===========================================================================

A failure is a submit the channel could not take (``TEMPORARY``) or that was never answered
(``UNKNOWN``). A throttling answer is flow control and a ``PERMANENT`` refusal is the
message's own fault: neither counts either way.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass
from enum import Enum

from parcelsms.domain.failover import SendResultKind


class BreakerState(Enum):
    CLOSED = "closed"
    OPEN = "open"
    HALF_OPEN = "half_open"


@dataclass(frozen=True, slots=True)
class BreakerSettings:
    """The thresholds of one channel's breaker (``[channels.X] breaker_*`` in the config)."""

    error_rate: float = 0.5
    min_submits: int = 20
    sample: int = 50
    open_seconds: float = 5.0
    probe_interval: float = 1.0
    probes_to_close: int = 3


_FAILURES = frozenset({SendResultKind.TEMPORARY, SendResultKind.UNKNOWN})
_NEUTRAL = frozenset({SendResultKind.THROTTLED, SendResultKind.PERMANENT, SendResultKind.NOT_SENT})


class CircuitBreaker:
    """One channel's breaker (see the module docstring)."""

    def __init__(self, settings: BreakerSettings | None = None) -> None:
        self.settings = settings or BreakerSettings()
        self.state = BreakerState.CLOSED
        self.opened_at = 0.0
        self.opened_times = 0
        self._outcomes: deque[bool] = deque(maxlen=self.settings.sample)  # True: failed
        self._failures = 0
        self._last_probe = float("-inf")
        self._probe_successes = 0

    @property
    def failure_share(self) -> float:
        """Failures among the sampled submits (0 when none is known)."""
        return self._failures / len(self._outcomes) if self._outcomes else 0.0

    def admits(self, now: float) -> bool:
        """May a message use the channel now? (In HALF_OPEN, a yes books the probe.)"""
        if self.state is BreakerState.CLOSED:
            return True
        if self.state is BreakerState.OPEN:
            if now < self.opened_at + self.settings.open_seconds:
                return False
            self.state = BreakerState.HALF_OPEN
            self._probe_successes = 0
            self._last_probe = float("-inf")
        if now < self._last_probe + self.settings.probe_interval:
            return False
        self._last_probe = now
        return True

    def may_admit_soon(self, now: float) -> bool:
        """False only while OPEN with its wait not yet over (nothing to probe yet)."""
        return not (
            self.state is BreakerState.OPEN and now < self.opened_at + self.settings.open_seconds
        )

    def record(self, result: SendResultKind, now: float) -> None:
        """The channel answered a submit with ``result``."""
        if result in _NEUTRAL:
            return
        failed = result in _FAILURES
        if self.state is BreakerState.HALF_OPEN:
            if failed:
                self._open(now)
                return
            self._probe_successes += 1
            if self._probe_successes >= self.settings.probes_to_close:
                self.state = BreakerState.CLOSED
                self._outcomes.clear()
                self._failures = 0
            return
        if self.state is BreakerState.OPEN:
            return  # an answer to a submit sent before it opened
        outcomes = self._outcomes
        if len(outcomes) == outcomes.maxlen and outcomes[0]:
            self._failures -= 1
        outcomes.append(failed)
        self._failures += failed
        settings = self.settings
        if len(outcomes) >= settings.min_submits and self.failure_share >= settings.error_rate:
            self._open(now)

    def _open(self, now: float) -> None:
        self.state = BreakerState.OPEN
        self.opened_at = now
        self.opened_times += 1
        self._probe_successes = 0
