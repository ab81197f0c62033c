"""Failover decisions: what follows a submit attempt, from its result alone."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from parcelsms.domain.failover import (
    FailoverDecision,
    FailoverPolicy,
    NextStep,
    SendResultKind,
    next_step,
)

NOW = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)
LATER = NOW + timedelta(hours=48)
RESEND = FailoverPolicy()


def decide(
    result: SendResultKind,
    *,
    plan_length: int = 3,
    route_index: int = 0,
    valid_until: datetime = LATER,
    policy: FailoverPolicy = RESEND,
) -> FailoverDecision:
    return next_step(
        result,
        plan_length=plan_length,
        route_index=route_index,
        now=NOW,
        valid_until=valid_until,
        policy=policy,
    )


def test_an_accepted_message_is_submitted() -> None:
    assert decide(SendResultKind.ACCEPTED).step is NextStep.SUBMITTED


def test_a_permanent_refusal_fails_without_trying_another_channel() -> None:
    decision = decide(SendResultKind.PERMANENT, route_index=0)
    assert (decision.step, decision.validity_ended) == (NextStep.FAIL, False)


@pytest.mark.parametrize(
    "result", [SendResultKind.THROTTLED, SendResultKind.TEMPORARY, SendResultKind.NOT_SENT]
)
def test_a_passing_failure_moves_to_the_next_channel_at_once(result: SendResultKind) -> None:
    decision = decide(result, route_index=0)
    assert decision == FailoverDecision(NextStep.NEXT_CHANNEL, route_index=1, at=NOW)


@pytest.mark.parametrize(
    ("route_index", "delay"),
    [(2, 1.0), (5, 5.0), (8, 15.0), (11, 30.0), (14, 60.0), (29, 60.0)],
)
def test_after_a_full_round_of_the_plan_the_next_try_waits_the_rounds_delay(
    route_index: int, delay: float
) -> None:
    decision = decide(SendResultKind.TEMPORARY, plan_length=3, route_index=route_index)
    assert decision == FailoverDecision(
        NextStep.RETRY_AT, route_index=route_index + 1, at=NOW + timedelta(seconds=delay)
    )


def test_a_single_channel_plan_waits_between_every_try() -> None:
    decision = decide(SendResultKind.THROTTLED, plan_length=1, route_index=1)
    assert decision == FailoverDecision(
        NextStep.RETRY_AT, route_index=2, at=NOW + timedelta(seconds=5)
    )


def test_it_fails_when_the_next_try_would_fall_after_the_validity_end() -> None:
    valid_until = NOW + timedelta(seconds=0.5)
    decision = decide(
        SendResultKind.TEMPORARY, plan_length=2, route_index=1, valid_until=valid_until
    )
    assert (decision.step, decision.validity_ended) == (NextStep.FAIL, True)


def test_a_next_try_exactly_at_the_validity_end_is_too_late() -> None:
    decision = decide(SendResultKind.TEMPORARY, route_index=0, valid_until=NOW)
    assert (decision.step, decision.validity_ended) == (NextStep.FAIL, True)


def test_an_unknown_outcome_is_resent_by_default() -> None:
    decision = decide(SendResultKind.UNKNOWN, route_index=0)
    assert decision == FailoverDecision(NextStep.NEXT_CHANNEL, route_index=1, at=NOW)


def test_an_unknown_outcome_counts_as_submitted_under_assume_submitted() -> None:
    policy = FailoverPolicy(unknown_outcome="assume_submitted")
    decision = decide(SendResultKind.UNKNOWN, policy=policy)
    assert (decision.step, decision.outcome_unknown) == (NextStep.SUBMITTED, True)


def test_the_operators_round_delays_are_used() -> None:
    policy = FailoverPolicy(round_delays=(2.0,))
    decision = decide(SendResultKind.TEMPORARY, plan_length=1, route_index=4, policy=policy)
    assert decision.at == NOW + timedelta(seconds=2)
