"""The dispatcher: claims queued messages and hands each to a channel of its route plan.

One dispatcher runs per worker process. It claims queued messages in batches (the claim is
committed before anything is sent, under this process's claim token), sends each through
the channel its plan names, and records the outcome. The channel classifies the carrier's
answer into a :class:`~parcelsms.domain.failover.SendResultKind`; what follows is decided
from it by :func:`parcelsms.domain.failover.next_step` (next channel, round delays, the
message's validity) and turned into the record by :func:`attempt_outcome` (pure):

============  ===================================================================
ACCEPTED      ``submitted`` with the carrier ids of its parts (flag
              ``partially_submitted`` when a later part was refused)
PERMANENT     ``rejected`` with the carrier's ``command_status`` (the carrier refused the
              message itself; another would too), refunded if it never reached a carrier
THROTTLED,    failover: back to ``queued`` for the next channel of the plan at once;
TEMPORARY,    after a full round of the plan, again after a growing delay — until
NOT_SENT      the message's validity ends, then ``failed`` and refunded
UNKNOWN       the submit left and no answer came back; the message is flagged
              ``duplicate_possible`` and the channel's ``unanswered`` policy decides.
              ``resubmit`` (default): like TEMPORARY (the handset may get it twice; a
              parcel notice is better twice than never). ``wait_receipt``: queued for
              the next channel of the plan after the channel's wait. ``review``:
              ``submitted`` with the flags ``submit_outcome_unknown`` and
              ``needs_review`` and no parts: never resubmitted, it ends ``expired`` at
              its validity end unless an operator acts.
============  ===================================================================

Channel health: before a message is handed to a channel the
:class:`~parcelsms.pipeline.channel_health.ChannelHealthBoard` is asked whether the
channel's circuit breaker admits it; a channel that is down or whose breaker is open is
skipped for the next channel of the plan, in the same attempt. When no channel of the plan
can take the message, the attempt counts as the last of its round (``RETRY_AT`` the round's
delay). Every submit's result is reported to the board.

After a crash, messages the dead process had claimed are resolved at start-up by
``recover_claims`` with the same policy and flagged, so none is lost and none is billed
twice (billing belongs to the message, not to the attempt).

Several pipeline nodes (PostgreSQL, :mod:`~parcelsms.pipeline.channel_leases`): with an
``ownership``, the dispatcher claims no message standing at a channel another node holds,
and a message whose next usable channel in this round of its plan is held elsewhere is
handed over (:class:`~parcelsms.pipeline.message_ports.HandedOver`: queued at that channel,
due now) instead of sent; only forward within a round, so two nodes never pass a message
back and forth. Without one (SQLite, one pipeline) nothing of this runs.

Throughput: the loop is a :class:`~parcelsms.pipeline.claim_loop.ClaimLoop` — outcomes are
recorded in lists, not one storage call per message, and a message counts as in flight
from its claim until its outcome is recorded; a new claim waits until a quarter of a batch
of slots is free instead of claiming a message or two every time one finishes.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Literal

import msgspec

from parcelsms.domain.failover import (
    FailoverPolicy,
    NextStep,
    SendResultKind,
    UnknownOutcomePolicy,
    next_step,
)
from parcelsms.domain.ids import new_id
from parcelsms.pipeline.channel_health import ChannelHealthBoard
from parcelsms.pipeline.channel_leases import ChannelOwnership
from parcelsms.pipeline.channel_port import Channel, ChannelResult, OutboundSms
from parcelsms.pipeline.claim_loop import ClaimLoop
from parcelsms.pipeline.message_ports import (
    FLAG_DUPLICATE_POSSIBLE,
    FLAG_NEEDS_REVIEW,
    FLAG_SUBMIT_OUTCOME_UNKNOWN,
    Deferred,
    DispatchItem,
    ErrorDetail,
    Failed,
    HandedOver,
    MessageStore,
    RecoveryPolicy,
    Retry,
    SubmissionOutcome,
    Submitted,
)

FLAG_PARTIALLY_SUBMITTED = "partially_submitted"

UnansweredPolicy = Literal["resubmit", "wait_receipt", "review"]

_FAILOVER_POLICY: Mapping[UnansweredPolicy, UnknownOutcomePolicy] = {
    "resubmit": "resend",
    "wait_receipt": "wait_receipt",
    "review": "assume_submitted",
}


@dataclass(frozen=True, slots=True)
class ChannelUnanswered:
    """A channel's policy for submits never answered (``[channels.X] unanswered``)."""

    policy: UnansweredPolicy = "resubmit"
    wait_seconds: float = 60.0


@dataclass(frozen=True, slots=True)
class DispatchSettings:
    """``max_in_flight`` counts messages from their claim until their outcome is recorded.

    ``unknown_outcome_policy`` resolves a crashed process's claims, and decides unanswered
    submits on channels absent from ``unanswered``."""

    batch_size: int = 500
    max_in_flight: int = 2000
    idle_poll_seconds: float = 0.2
    round_delays: tuple[float, ...] = (1.0, 5.0, 15.0, 30.0, 60.0)
    unknown_outcome_policy: RecoveryPolicy = "resend"
    unanswered: Mapping[str, ChannelUnanswered] = field(default_factory=dict)
    queue_seconds: float = 1.0
    """A channel with a send rate holds at most this many seconds of sending (and at least
    ``min_queue`` messages) waiting in front of it; the dispatcher defers the rest."""
    min_queue: int = 32


class Dispatcher:
    """Moves queued messages to carriers. ``await run()`` until ``stop()``."""

    def __init__(
        self,
        store: MessageStore,
        channels: Mapping[str, Channel],
        settings: DispatchSettings | None = None,
        *,
        claim_token: str | None = None,
        clock: Callable[[], datetime] | None = None,
        health: ChannelHealthBoard | None = None,
        ownership: ChannelOwnership | None = None,
        hurry: Callable[[], None] | None = None,
    ) -> None:
        self._store = store
        self._ownership = ownership
        self._channels = channels
        self._settings = settings = settings or DispatchSettings()
        self._health = health or ChannelHealthBoard(())
        self._policy = FailoverPolicy(settings.round_delays, settings.unknown_outcome_policy)
        self._policies = {
            name: FailoverPolicy(
                settings.round_delays, _FAILOVER_POLICY[unanswered.policy], unanswered.wait_seconds
            )
            for name, unanswered in settings.unanswered.items()
        }
        self.claim_token = claim_token or new_id("clm")
        self._waiting: dict[str, int] = {}
        self._deferred_until: dict[str, float] = {}
        self._clock = clock or (lambda: datetime.now(UTC))
        self._loop: ClaimLoop[DispatchItem, SubmissionOutcome] = ClaimLoop(
            name="dispatcher",
            claim=self._claim,
            work=self._dispatch,
            record=store.record_submissions,
            item_key=_message_id,
            result_key=_message_id,
            batch_size=settings.batch_size,
            max_in_flight=settings.max_in_flight,
            # Below a quarter of a batch of free slots, wait for more rather than claim a few.
            min_claim=min(settings.batch_size, settings.max_in_flight) // 4,
            idle_poll_seconds=settings.idle_poll_seconds,
            unrecorded="the messages stay claimed; recover_claims resolves them at the next start",
            ready=self._any_channel_available,
            hurry=hurry,
        )
        self.sent = 0

    @property
    def claim_loop(self) -> ClaimLoop[DispatchItem, SubmissionOutcome]:
        """The loop that claims, sends and records (its statistics and what it holds)."""
        return self._loop

    def wake(self) -> None:
        """New messages were queued: look now instead of at the next poll."""
        self._loop.wake()

    async def recover(self, live_within: timedelta | None = None) -> int:
        """Resolve claims of a previous (crashed) process; run once before :meth:`run`.

        With ``live_within`` (several pipeline nodes), only the claims of nodes without a
        heartbeat within it; safe to run at any time, while others run."""
        if live_within is None:
            return await self._store.recover_claims(
                self.claim_token, self._settings.unknown_outcome_policy
            )
        return await self._store.recover_claims(
            self.claim_token, self._settings.unknown_outcome_policy, live_within=live_within
        )

    async def run(self) -> None:
        await self._loop.run()

    async def stop(self, drain_seconds: float = 10.0) -> None:
        """Stop claiming; wait for messages in flight to be sent and their outcomes recorded."""
        await self._loop.stop(drain_seconds)

    def _any_channel_available(self) -> bool:
        health = self._health
        if any(
            channel.is_available and health.may_admit_soon(name)
            for name, channel in self._channels.items()
        ):
            return True
        # Only this node claims the messages at its channels: with its own down, it still
        # claims them to hand them on to the nodes holding the next channels of their plans.
        ownership = self._ownership
        return ownership is not None and bool(ownership.owned) and bool(ownership.elsewhere)

    async def _claim(self, limit: int) -> list[DispatchItem]:
        if self._ownership is None:
            return await self._store.claim_for_dispatch(self.claim_token, limit, self._clock())
        return await self._store.claim_for_dispatch(
            self.claim_token, limit, self._clock(), skip_channels=self._ownership.elsewhere
        )

    def _choose(self, item: DispatchItem) -> tuple[str, Channel | None, int, bool]:
        """The first channel of the plan, from the item's turn, that can take it now: its
        name, the channel and the route index it stands at. A channel another pipeline
        node holds, within this round: its name and index, no channel, and ``True`` (hand
        it over). None of them: the plan's channel at the last index of this round, and no
        channel."""
        plan = item.route_plan
        length = len(plan)
        route_index = item.route_index
        last = (route_index // length + 1) * length - 1
        elsewhere = () if self._ownership is None else self._ownership.elsewhere
        for index in range(route_index, route_index + length):
            name = plan[index % length]
            channel = self._channels.get(name)
            if channel is not None and channel.is_available and self._health.admits(name):
                return name, channel, index, False
            # Only forward within the round: two nodes handing a message to each other
            # reach the round's end, and its delay, in at most one pass over the plan.
            if name in elsewhere and index <= last:
                return name, None, index, True
        return plan[last % length], None, last, False

    async def _dispatch(self, item: DispatchItem) -> SubmissionOutcome:
        channel_name, channel, route_index, handover = self._choose(item)
        if handover:
            return HandedOver(
                message_id=item.message_id, route_index=route_index, channel=channel_name
            )
        if route_index != item.route_index:
            item = msgspec.structs.replace(item, route_index=route_index)
        if channel is None:
            result = ChannelResult(
                SendResultKind.NOT_SENT,
                detail="no channel of the plan can take it now (down or circuit open)",
            )
        else:
            deferred = self._deferral(item, channel_name, channel)
            if deferred is not None:
                return deferred
            self._waiting[channel_name] = self._waiting.get(channel_name, 0) + 1
            try:
                result = await channel.send(
                    OutboundSms(
                        message_id=item.message_id,
                        to_e164=item.to_e164,
                        sender_id=item.sender_id,
                        body=item.body,
                        country=item.country,
                    )
                )
            finally:
                self._waiting[channel_name] -= 1
            self._health.record_submit(
                channel_name, item.country, result.kind, result.latency_seconds
            )
        if result.kind is SendResultKind.ACCEPTED:  # the usual case needs no clock
            outcome = submitted_outcome(item, channel_name, result)
        else:
            policy = self._policies.get(channel_name, self._policy)
            outcome = attempt_outcome(item, channel_name, result, policy, self._clock())
        if isinstance(outcome, Submitted):
            self.sent += 1
        return outcome

    def _deferral(self, item: DispatchItem, name: str, channel: Channel) -> Deferred | None:
        """Keep a slow channel from filling every slot in flight.

        Messages in flight wait for the channel their plan names. Without a bound, a bulk
        send to a country whose carrier allows 50 msgs/s would hold all the slots while the
        other channels idle. So a channel gets at most ``queue_seconds`` of its send rate
        waiting in front of it (at least ``min_queue``); the next messages go back to the
        queue unclaimed, each due one send interval after the previous deferral, so that
        they come back about when the channel can take them, in their order, and are
        deferred about once.
        """
        rate = channel.send_rate
        if rate is None or rate <= 0:
            return None
        settings = self._settings
        if self._waiting.get(name, 0) < max(settings.min_queue, rate * settings.queue_seconds):
            return None
        now = self._clock()
        horizon = max(self._deferred_until.get(name, 0.0), now.timestamp() + settings.queue_seconds)
        horizon += 1.0 / rate
        self._deferred_until[name] = horizon
        return Deferred(
            message_id=item.message_id,
            next_attempt_at=datetime.fromtimestamp(horizon, UTC),
        )


def _message_id(record: DispatchItem | SubmissionOutcome) -> str:
    return record.message_id


def submitted_outcome(
    item: DispatchItem, channel_name: str, result: ChannelResult
) -> SubmissionOutcome:
    """The record of an ACCEPTED attempt (pure)."""
    return Submitted(
        message_id=item.message_id,
        channel=channel_name,
        parts=result.parts,
        flags=(FLAG_PARTIALLY_SUBMITTED,) if result.partial else (),
    )


def attempt_outcome(
    item: DispatchItem,
    channel_name: str,
    result: ChannelResult,
    policy: FailoverPolicy,
    now: datetime,
) -> SubmissionOutcome:
    """The outcome to record for one attempt (pure; see the module docstring)."""
    kind = result.kind
    if kind is SendResultKind.ACCEPTED:
        return submitted_outcome(item, channel_name, result)
    decision = next_step(
        kind,
        plan_length=len(item.route_plan),
        route_index=item.route_index,
        now=now,
        valid_until=item.valid_until,
        policy=policy,
    )
    flags = (FLAG_DUPLICATE_POSSIBLE,) if kind is SendResultKind.UNKNOWN else ()
    if decision.step is NextStep.SUBMITTED:
        return Submitted(
            message_id=item.message_id,
            channel=channel_name,
            parts=(),
            flags=(FLAG_SUBMIT_OUTCOME_UNKNOWN, FLAG_DUPLICATE_POSSIBLE, FLAG_NEEDS_REVIEW),
        )
    detail = ErrorDetail(
        detail=f"{channel_name}: {kind.value}: {result.detail}".rstrip(": "),
        err=None if result.status_code is None else f"0x{result.status_code:08x}",
    )
    if decision.step is NextStep.FAIL:
        if not decision.validity_ended:
            return Failed(
                message_id=item.message_id,
                error=detail,
                flags=flags,
                carrier_rejected=kind is SendResultKind.PERMANENT,
            )
        return Failed(
            message_id=item.message_id,
            error=ErrorDetail(
                detail=f"no channel accepted the message before its validity ended; "
                f"last: {detail.detail}",
                err=detail.err,
            ),
            flags=flags,
        )
    assert decision.at is not None  # NEXT_CHANNEL and RETRY_AT always carry their time
    return Retry(
        message_id=item.message_id,
        next_route_index=decision.route_index,
        next_attempt_at=decision.at,
        error=detail,
        flags=flags,
    )
