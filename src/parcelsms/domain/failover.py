"""Failover: what follows one submit attempt, decided from its result alone (pure).

A message's route plan names channels in order; ``route_index`` counts its attempts (the
channel tried is ``plan[route_index % len(plan)]``). A channel's answer is classified once,
at the channel's edge, into a :class:`SendResultKind`; from it :func:`next_step` decides:

============  ===================================================================
ACCEPTED      ``SUBMITTED``
PERMANENT     ``FAIL`` (the carrier refused the message itself; another would too)
THROTTLED,    ``NEXT_CHANNEL`` at once; after a full round of the plan ``RETRY_AT``
TEMPORARY,    the round's delay (``round_delays``: 1 s, 5 s, 15 s, 30 s, then 60 s
NOT_SENT      for every later round) — unless the next attempt would fall at or after
              the message's validity end: then ``FAIL`` with ``validity_ended``
UNKNOWN       the submit left and no answer came (the carrier may have it): by the
              channel's policy ``resend`` like TEMPORARY (a parcel notice is better
              twice than never); ``wait_receipt``: ``RETRY_AT`` on the next channel of
              the plan after ``unanswered_wait`` seconds (time for a late answer or
              receipt); or ``assume_submitted``: ``SUBMITTED`` with ``outcome_unknown``
              (no resubmission; the operator reviews it, it ends ``expired``)
============  ===================================================================

Whatever the policy, an unanswered submit makes a duplicate possible: the dispatcher flags
the message ``duplicate_possible``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import Enum
from typing import Literal

UnknownOutcomePolicy = Literal["resend", "wait_receipt", "assume_submitted"]


class SendResultKind(Enum):
    """What one submit attempt's answer means, as a channel reports it."""

    ACCEPTED = "accepted"  # the carrier has the message (every part, or some: ``partial``)
    THROTTLED = "throttled"  # the carrier asks to slow down
    TEMPORARY = "temporary"  # this channel cannot take it now; another may
    PERMANENT = "permanent"  # the message itself is wrong for any carrier
    UNKNOWN = "unknown"  # the request left and no answer came back
    NOT_SENT = "not_sent"  # nothing left this process (not bound, shutting down)


class NextStep(Enum):
    SUBMITTED = "submitted"  # record the message as submitted
    NEXT_CHANNEL = "next_channel"  # queue it again at once, for the next channel of the plan
    RETRY_AT = "retry_at"  # a whole round failed: queue it again after the round's delay
    FAIL = "fail"  # refused for good, or its validity ends before another try


@dataclass(frozen=True, slots=True)
class FailoverPolicy:
    """The operator's failover settings."""

    round_delays: tuple[float, ...] = (1.0, 5.0, 15.0, 30.0, 60.0)
    unknown_outcome: UnknownOutcomePolicy = "resend"
    unanswered_wait: float = 60.0  # seconds, for ``wait_receipt``


@dataclass(frozen=True, slots=True)
class FailoverDecision:
    """The step after an attempt. ``route_index``/``at``: the next attempt (NEXT_CHANNEL and
    RETRY_AT); ``validity_ended``: why a FAIL; ``outcome_unknown``: a SUBMITTED by policy."""

    step: NextStep
    route_index: int = 0
    at: datetime | None = None
    validity_ended: bool = False
    outcome_unknown: bool = False


_SUBMITTED = FailoverDecision(NextStep.SUBMITTED)
_SUBMITTED_UNKNOWN = FailoverDecision(NextStep.SUBMITTED, outcome_unknown=True)
_REFUSED = FailoverDecision(NextStep.FAIL)


def next_step(
    result: SendResultKind,
    *,
    plan_length: int,
    route_index: int,
    now: datetime,
    valid_until: datetime,
    policy: FailoverPolicy,
) -> FailoverDecision:
    """The step after an attempt at ``route_index`` ended in ``result`` (module docstring)."""
    if result is SendResultKind.ACCEPTED:
        return _SUBMITTED
    if result is SendResultKind.PERMANENT:
        return _REFUSED
    if result is SendResultKind.UNKNOWN and policy.unknown_outcome == "assume_submitted":
        return _SUBMITTED_UNKNOWN
    next_index = route_index + 1
    if result is SendResultKind.UNKNOWN and policy.unknown_outcome == "wait_receipt":
        step, at = NextStep.RETRY_AT, now + timedelta(seconds=policy.unanswered_wait)
    elif next_index % plan_length:
        step, at = NextStep.NEXT_CHANNEL, now
    else:
        delays = policy.round_delays
        rounds = next_index // plan_length
        step = NextStep.RETRY_AT
        at = now + timedelta(seconds=delays[min(rounds - 1, len(delays) - 1)])
    if at >= valid_until:
        return FailoverDecision(NextStep.FAIL, validity_ended=True)
    return FailoverDecision(step, route_index=next_index, at=at)
