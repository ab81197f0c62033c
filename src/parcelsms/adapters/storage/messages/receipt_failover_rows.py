"""Failover after a failed receipt, in storage: the attempt set aside, the message queued.

The decision is :mod:`parcelsms.domain.receipt_failover`'s; this module loads what it needs
and writes the outcome in the caller's transaction. A message that fails over:

* goes ``submitted`` → ``queued`` through the caller's :class:`~.transition_rows.Transitions`
  (an event whose detail names the channel, the attempt and the receipt; no webhook and no
  ledger row — queued is not news to the sender, and the price belongs to the message);
  due at once, at the route index of the next channel, flagged ``receipt_failover``
  (and ``duplicate_possible`` when the channel was given up for silence);
* its parts move from ``message_parts`` into one ``message_attempts`` row (channel,
  segments, receipt, the parts as they were), so the next channel's parts take their
  place and the margins report can count what the abandoned attempt cost.

A receipt that comes later for a part set aside finds no part and waits in
``pending_receipts`` until it is set aside as unmatched, like any receipt for an unknown id.

:class:`SilenceOperation` gives up attempts with no final receipt past their channel's
``no_receipt_after``; the receipt path calls :meth:`ReceiptFailover.fail_over` itself.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from sqlalchemy import delete, exists, select
from sqlalchemy.engine import Connection

from parcelsms.adapters.storage.context import StorageContext
from parcelsms.adapters.storage.engine.bulk_statements import insert_statement
from parcelsms.adapters.storage.engine.query_results import run_query
from parcelsms.adapters.storage.engine.schema.message_tables import (
    IS_SUBMITTED,
    message_attempts,
    message_parts,
    messages,
)
from parcelsms.adapters.storage.messages.message_state_rows import (
    MessageState,
    state_from_row,
    state_query,
)
from parcelsms.adapters.storage.messages.transition_rows import Transitions
from parcelsms.domain.receipt_failover import (
    PartReceipt,
    next_route_index,
    receipt_retryable,
    silence_limit,
)
from parcelsms.domain.status import FINAL_STATUSES, MessageStatus
from parcelsms.pipeline.message_ports import (
    FLAG_DUPLICATE_POSSIBLE,
    FLAG_RECEIPT_FAILOVER,
    ErrorDetail,
)

FailoverReason = Literal["receipt", "no_receipt"]

_ATTEMPT_INSERT = insert_statement(
    message_attempts,
    (
        "message_id",
        "attempt",
        "channel",
        "segments",
        "reason",
        "stat",
        "err",
        "parts",
        "submitted_at",
        "ended_at",
    ),
)


@dataclass(slots=True)
class FailedAttempt:
    """A submitted message whose parts all have final receipts and that would end in
    ``status`` (a failure): a candidate for failover."""

    state: MessageState
    status: MessageStatus
    parts: list[PartReceipt]


class ReceiptFailover:
    """Applies the channels' receipt failover rules inside a storage transaction."""

    def __init__(self, context: StorageContext) -> None:
        self._context = context
        self._policies = context.receipt_failover

    def considers(self, state: MessageState, status: MessageStatus) -> bool:
        """True when a message about to end in ``status`` may fail over (cheap: no I/O)."""
        return status != MessageStatus.DELIVERED and self._policies.retries_receipts(state.channel)

    def fail_over(
        self,
        connection: Connection,
        transitions: Transitions,
        attempts: Sequence[FailedAttempt],
        now: datetime,
    ) -> set[str]:
        """Queue again those of ``attempts`` their channel's rules retry and whose plan has
        a next channel in time; returns their ids (the others are the caller's to finish)."""
        retried = [
            attempt.state
            for attempt in attempts
            if receipt_retryable(
                self._policies.rules(attempt.state.channel), attempt.state.country, attempt.parts
            )
        ]
        return requeue(connection, transitions, retried, "receipt", now)


def requeue(
    connection: Connection,
    transitions: Transitions,
    states: Sequence[MessageState],
    reason: FailoverReason,
    now: datetime,
) -> set[str]:
    """Set the current attempt of each message aside and queue it for the next channel of
    its plan; a message with no next channel (or past its validity) is left as it is.
    Returns the ids queued again."""
    if not states:
        return set()
    ids = [state.id for state in states]
    plans = {
        row.id: row
        for row in run_query(
            connection,
            select(
                messages.c.id,
                messages.c.route_plan,
                messages.c.valid_until,
                messages.c.submitted_at,
            ).where(messages.c.id.in_(ids)),
        )
    }
    failed_before: dict[str, set[str]] = {}
    for row in run_query(
        connection,
        select(message_attempts.c.message_id, message_attempts.c.channel).where(
            message_attempts.c.message_id.in_(ids)
        ),
    ):
        failed_before.setdefault(row.message_id, set()).add(row.channel)
    parts_of: dict[str, list[Any]] = {}
    for row in run_query(
        connection,
        select(message_parts)
        .where(message_parts.c.message_id.in_(ids))
        .order_by(message_parts.c.message_id, message_parts.c.part_no),
    ):
        parts_of.setdefault(row.message_id, []).append(row)

    attempt_rows: list[tuple[Any, ...]] = []
    requeued: set[str] = set()
    for state in states:
        plan = plans.get(state.id)
        if plan is None or state.channel is None:
            continue
        index = next_route_index(
            tuple(plan.route_plan),
            state.route_index,
            failed_before.get(state.id, ()),
            now=now,
            valid_until=plan.valid_until,
        )
        if index is None:
            continue
        parts = parts_of.get(state.id, [])
        deciding = next((part for part in parts if part.status != "delivered"), None)
        stat = None if deciding is None else deciding.stat
        err = None if deciding is None else deciding.err
        channel = state.channel
        attempt = state.route_index + 1
        detail: dict[str, Any] = {
            "failover": reason,
            "channel": channel,
            "attempt": attempt,
            "stat": stat,
            "err": err,
            "parts": len(parts),
            "next_route_index": index,
        }
        why = (
            f"the carrier reported {deciding.status if deciding else 'a failure'} (stat {stat})"
            if reason == "receipt"
            else "no delivery receipt arrived in time"
        )
        error = ErrorDetail(
            detail=f"{why}; sent again through the next channel",
            stat=stat,
            err=err,
            reason=None if reason == "receipt" else "no_receipt",
        )
        if not transitions.change(state, MessageStatus.QUEUED, now, detail=detail, error=error):
            continue
        state.assign(route_index=index, next_attempt_at=now)
        state.add_flag(FLAG_RECEIPT_FAILOVER)
        if reason == "no_receipt":
            # The silent carrier may deliver it yet: the handset may get it twice.
            state.add_flag(FLAG_DUPLICATE_POSSIBLE)
        attempt_rows.append(
            (
                state.id,
                attempt,
                channel,
                len(parts) or state.segments,
                reason,
                stat,
                err,
                [_part_document(part) for part in parts],
                plan.submitted_at,
                now,
            )
        )
        requeued.add(state.id)
    if requeued:
        _ATTEMPT_INSERT.execute(connection, attempt_rows)
        connection.execute(
            delete(message_parts).where(message_parts.c.message_id.in_(sorted(requeued)))
        )
    return requeued


def _part_document(part: Any) -> dict[str, Any]:
    return {
        "part_no": part.part_no,
        "carrier_id": part.carrier_id_raw,
        "status": part.status,
        "stat": part.stat,
        "err": part.err,
        "receipt": part.receipt_raw,
        "submitted_at": part.submitted_at.isoformat(),
        "done_at": None if part.done_at is None else part.done_at.isoformat(),
    }


@dataclass(frozen=True, slots=True)
class SilenceRequest:
    """Give up attempts submitted in ``(since - limit, now - limit]`` (``since`` None: any
    time up to ``now - limit``) still without a final receipt."""

    now: datetime
    since: datetime | None


_HAS_OPEN_PART = exists().where(
    message_parts.c.message_id == messages.c.id,
    message_parts.c.status.not_in(sorted(FINAL_STATUSES)),
)


class SilenceOperation:
    """Fails over submitted messages whose channel's rule for their country has a
    ``no_receipt_after`` that has passed without a final receipt."""

    def __init__(self, context: StorageContext) -> None:
        self._context = context

    def __call__(self, connection: Connection, requests: list[SilenceRequest]) -> Sequence[int]:
        policies = self._context.receipt_failover
        counts = []
        for request in requests:
            transitions = Transitions(self._context)
            due: list[MessageState] = []
            for channel, index, rule in policies.silence_rules():
                assert rule.no_receipt_after is not None
                horizon = request.now - rule.no_receipt_after
                # IS_SUBMITTED: through the index of submitted messages only.
                query = state_query().where(
                    IS_SUBMITTED,
                    messages.c.channel == channel,
                    messages.c.submitted_at <= horizon,
                    _HAS_OPEN_PART,
                )
                if request.since is not None:
                    query = query.where(
                        messages.c.submitted_at > request.since - rule.no_receipt_after
                    )
                if rule.countries:
                    query = query.where(messages.c.country.in_(sorted(rule.countries)))
                for row in run_query(connection, query.with_for_update()):
                    state = state_from_row(row)
                    # The first rule of the channel for the country decides, once.
                    found = silence_limit(policies.rules(channel), state.country)
                    if found is not None and found[0] == index:
                        due.append(state)
            count = len(requeue(connection, transitions, due, "no_receipt", request.now))
            transitions.write(connection)
            counts.append(count)
        return counts
