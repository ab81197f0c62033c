"""The dispatcher: claims queued messages and hands each to a channel of its route plan.

One dispatcher runs per worker process. It claims queued messages in batches (the claim is
committed before anything is sent, under this process's claim token), sends each through
the channel its plan names, and records the outcome:

============  ===================================================================
ACCEPTED      ``submitted`` with the carrier ids of its parts
PERMANENT     ``failed`` (the carrier refused the message itself), refunded
THROTTLED,    failover: back to ``queued`` for the next channel of the plan at once;
TEMPORARY,    after a full round of the plan, again after a growing delay — until
NOT_SENT      the message's validity ends, then ``failed`` and refunded
UNKNOWN       the submit left and no answer came back. Policy ``resend`` (default):
              like TEMPORARY (the handset may get it twice; a parcel notice is better
              twice than never). Policy ``assume_submitted``: ``submitted`` with the
              flag ``submit_outcome_unknown`` and no parts; it ends ``expired`` unless
              the carrier's receipt arrives (it cannot be correlated, so in practice
              it ends ``expired``).
============  ===================================================================

After a crash, messages the dead process had claimed are resolved at start-up by
``recover_claims`` with the same policy and flagged, so none is lost and none is billed
twice (billing belongs to the message, not to the attempt).

Throughput: outcomes are recorded in lists, not one storage call per message. Each attempt
appends its outcome to a buffer; one recorder hands the whole buffer to
``record_submissions`` whenever the previous call returned, so under load one call (and one
transaction) carries hundreds of outcomes. A message counts as in flight from its claim
until its outcome is recorded, and a new claim waits until a worthwhile number of slots is
free (a quarter of a batch), instead of claiming a message or two every time one
finishes.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Literal

from parcelsms.domain.ids import new_id
from parcelsms.pipeline.channel_port import (
    Channel,
    ChannelResult,
    OutboundSms,
    SendResultKind,
)
from parcelsms.pipeline.list_recorder import ListRecorder
from parcelsms.pipeline.message_ports import (
    FLAG_SUBMIT_OUTCOME_UNKNOWN,
    DispatchItem,
    ErrorDetail,
    Failed,
    MessageStore,
    Retry,
    SubmissionOutcome,
    Submitted,
)

_log = logging.getLogger(__name__)

UnknownOutcomePolicy = Literal["resend", "assume_submitted"]
FLAG_PARTIALLY_SUBMITTED = "partially_submitted"


@dataclass(frozen=True, slots=True)
class DispatchSettings:
    """``max_in_flight`` counts messages from their claim until their outcome is recorded."""

    batch_size: int = 500
    max_in_flight: int = 2000
    idle_poll_seconds: float = 0.2
    round_delays: tuple[float, ...] = (1.0, 5.0, 15.0, 30.0, 60.0)
    unknown_outcome_policy: UnknownOutcomePolicy = "resend"


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
    ) -> None:
        self._store = store
        self._channels = channels
        self._settings = settings or DispatchSettings()
        self.claim_token = claim_token or new_id("clm")
        self._clock = clock or (lambda: datetime.now(UTC))
        self._wake = asyncio.Event()
        self._slot_freed = asyncio.Event()
        self._stopping = False
        self._tasks: set[asyncio.Task[None]] = set()
        self._in_flight = 0
        self._recorder: ListRecorder[SubmissionOutcome] = ListRecorder(
            store.record_submissions,
            lambda outcomes: self._release(len(outcomes)),
            "the messages stay claimed; recover_claims resolves them at the next start",
        )
        self.sent = 0

    def wake(self) -> None:
        """New messages were queued: look now instead of at the next poll."""
        self._wake.set()

    async def recover(self) -> int:
        """Resolve claims of a previous (crashed) process; run once before :meth:`run`."""
        return await self._store.recover_claims(
            self.claim_token, self._settings.unknown_outcome_policy
        )

    async def run(self) -> None:
        settings = self._settings
        # Below this many free slots, wait for more rather than claim a handful.
        worthwhile = max(1, min(settings.batch_size, settings.max_in_flight) // 4)
        while not self._stopping:
            room = settings.max_in_flight - self._in_flight
            if room <= 0 or (room < worthwhile and self._in_flight > 0):
                self._slot_freed.clear()
                await self._slot_freed.wait()
                continue
            if not any(channel.is_available for channel in self._channels.values()):
                await self._idle()
                continue
            self._wake.clear()
            items = await self._store.claim_for_dispatch(
                self.claim_token, min(settings.batch_size, room), self._clock()
            )
            if not items:
                await self._idle()
                continue
            self._in_flight += len(items)
            for item in items:
                task = asyncio.create_task(self._dispatch(item))
                self._tasks.add(task)
                task.add_done_callback(self._task_done)

    async def _idle(self) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._wake.wait(), self._settings.idle_poll_seconds)

    def _task_done(self, task: asyncio.Task[None]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            # The message stays claimed: recover_claims resolves it at the next start.
            _log.error("dispatch task failed", exc_info=task.exception())
            self._release(1)

    def _release(self, count: int) -> None:
        self._in_flight -= count
        self._slot_freed.set()

    async def stop(self, drain_seconds: float = 10.0) -> None:
        """Stop claiming; wait for messages in flight to be sent and their outcomes recorded."""
        self._stopping = True
        self._wake.set()
        self._slot_freed.set()
        loop = asyncio.get_running_loop()
        deadline = loop.time() + drain_seconds
        if self._tasks:
            await asyncio.wait(set(self._tasks), timeout=drain_seconds)
        await self._recorder.drain(deadline - loop.time())

    def _record(self, outcome: SubmissionOutcome) -> None:
        self._recorder.add(outcome)

    async def _dispatch(self, item: DispatchItem) -> None:
        plan = item.route_plan
        channel_name = plan[item.route_index % len(plan)]
        channel = self._channels.get(channel_name)
        if channel is None or not channel.is_available:
            result = ChannelResult(SendResultKind.NOT_SENT, detail=f"channel {channel_name} down")
        else:
            result = await channel.send(
                OutboundSms(
                    message_id=item.message_id,
                    to_e164=item.to_e164,
                    sender_id=item.sender_id,
                    body=item.body,
                    encoding=item.encoding,
                    segments=item.segments,
                )
            )
        outcome = self.decide(item, channel_name, result)
        if isinstance(outcome, Submitted):
            self.sent += 1
        self._record(outcome)

    def decide(
        self, item: DispatchItem, channel_name: str, result: ChannelResult
    ) -> SubmissionOutcome:
        """The outcome to record for one attempt (pure; see the module docstring)."""
        kind = result.kind
        if kind is SendResultKind.ACCEPTED:
            return Submitted(
                message_id=item.message_id,
                channel=channel_name,
                parts=result.parts,
                flags=(FLAG_PARTIALLY_SUBMITTED,) if result.partial else (),
            )
        detail = ErrorDetail(
            detail=f"{channel_name}: {kind.value}: {result.detail}".rstrip(": "),
            err=None if result.status_code is None else f"0x{result.status_code:08x}",
        )
        if kind is SendResultKind.PERMANENT:
            return Failed(message_id=item.message_id, error=detail)
        if kind is SendResultKind.UNKNOWN and (
            self._settings.unknown_outcome_policy == "assume_submitted"
        ):
            return Submitted(
                message_id=item.message_id,
                channel=channel_name,
                parts=(),
                flags=(FLAG_SUBMIT_OUTCOME_UNKNOWN,),
            )
        now = self._clock()
        next_index = item.route_index + 1
        delay = 0.0
        if next_index % len(item.route_plan) == 0:
            rounds = next_index // len(item.route_plan)
            delays = self._settings.round_delays
            delay = delays[min(rounds - 1, len(delays) - 1)]
        next_attempt = now + timedelta(seconds=delay)
        if next_attempt >= item.valid_until:
            return Failed(
                message_id=item.message_id,
                error=ErrorDetail(
                    detail=f"no channel accepted the message before its validity ended; "
                    f"last: {detail.detail}",
                    err=detail.err,
                ),
            )
        return Retry(
            message_id=item.message_id,
            next_route_index=next_index,
            next_attempt_at=next_attempt,
            error=detail,
        )
