"""The queue side of messages: claim, record submission outcomes, recover, expire.

A claimed message carries the dispatcher's ``claim_token``; only unclaimed queued messages
are claimed, so two dispatchers never submit the same message. Every outcome ends the claim.
A dispatcher that dies leaves its claims behind; at start the next one resolves them with
:class:`RecoverOperation` under a documented policy.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import msgspec
from sqlalchemy import (
    ColumnElement,
    Integer,
    Select,
    String,
    and_,
    bindparam,
    exists,
    func,
    or_,
    select,
)
from sqlalchemy.engine import Connection

from parcelsms.adapters.storage.context import StorageContext
from parcelsms.adapters.storage.engine.bulk_statements import insert_statement
from parcelsms.adapters.storage.engine.database_clock import database_now
from parcelsms.adapters.storage.engine.driver_queries import SqliteDriverQuery
from parcelsms.adapters.storage.engine.query_results import run_query
from parcelsms.adapters.storage.engine.schema.cluster_tables import pipeline_nodes
from parcelsms.adapters.storage.engine.schema.column_types import UtcDateTime, sqlite_text
from parcelsms.adapters.storage.engine.schema.message_tables import (
    IS_QUEUED,
    IS_SUBMITTED,
    message_parts,
    messages,
)
from parcelsms.adapters.storage.messages.message_state_rows import (
    error_document,
    load_states,
    state_from_row,
    state_query,
)
from parcelsms.adapters.storage.messages.receipt_rows import NewPart, ReceiptOperation
from parcelsms.adapters.storage.messages.transition_rows import Transitions
from parcelsms.domain.receipt_correlation import micros
from parcelsms.domain.status import MessageStatus
from parcelsms.pipeline.message_ports import (
    FLAG_DUPLICATE_POSSIBLE,
    FLAG_NO_RECEIPT,
    FLAG_RECEIPT_FAILOVER,
    FLAG_RESENT_AFTER_CRASH,
    FLAG_SUBMIT_OUTCOME_UNKNOWN,
    Deferred,
    DispatchItem,
    ErrorDetail,
    Failed,
    HandedOver,
    RecoveryPolicy,
    Retry,
    SubmissionOutcome,
    Submitted,
)
from parcelsms.protocol.smpp.message_id import exact_key

_DISPATCH_COLUMNS = (
    messages.c.id,
    messages.c.account_id,
    messages.c.to_e164,
    messages.c.country,
    messages.c.body,
    messages.c.encoding,
    messages.c.segments,
    messages.c.sender_id,
    messages.c.route_plan,
    messages.c.route_index,
    messages.c.valid_until,
    messages.c.flags,
    messages.c.created_at,
)


_PART_INSERT = insert_statement(
    message_parts,
    (
        "message_id",
        "part_no",
        "channel",
        "carrier_id_raw",
        "carrier_id",
        "responded_at_us",
        "status",
        "submitted_at",
    ),
)


@dataclass(frozen=True, slots=True)
class ClaimRequest:
    claim_token: str
    limit: int
    now: datetime
    skip_channels: frozenset[str] = frozenset()


@dataclass(frozen=True, slots=True)
class RecoverRequest:
    claim_token: str
    policy: RecoveryPolicy
    limit: int
    live_within: timedelta | None = None


@dataclass(frozen=True, slots=True)
class ExpireRequest:
    now: datetime
    grace: timedelta
    limit: int


# One statement claims and reads: UPDATE ... WHERE id IN (due ids) RETURNING the columns
# (SQLite >= 3.35, PostgreSQL). Compared with a SELECT and then an UPDATE naming every id,
# it saves a statement and a parameter per claimed row.
_DUE_IDS = (
    select(messages.c.id)
    .where(
        IS_QUEUED,
        messages.c.claim_token.is_(None),
        messages.c.next_attempt_at <= bindparam("b_now", type_=UtcDateTime),
    )
    .order_by(messages.c.next_attempt_at)
    .limit(bindparam("b_limit", type_=Integer))
    .with_for_update(skip_locked=True)
)
_CLAIM = (
    messages.update()
    .where(messages.c.id.in_(_DUE_IDS))
    .values(claim_token=bindparam("b_token"), claimed_at=bindparam("b_now", type_=UtcDateTime))
    .returning(*_DISPATCH_COLUMNS, messages.c.next_attempt_at)
)


class ClaimOperation:
    """Claims due, unclaimed, queued messages for one claim token per request."""

    def __init__(self, context: StorageContext) -> None:
        self._context = context

    def __call__(
        self, connection: Connection, requests: list[ClaimRequest]
    ) -> Sequence[list[DispatchItem]]:
        results = []
        for request in requests:
            if not request.skip_channels and connection.dialect.name == "sqlite":
                results.append(_claim_on_sqlite(connection, request))
                continue
            parameters: dict[str, Any] = {
                "b_now": request.now,
                "b_limit": request.limit,
                "b_token": request.claim_token,
            }
            statement = _CLAIM
            if request.skip_channels:  # several pipeline nodes: leave the others' channels
                statement = claim_skipping(connection.dialect.name)
                parameters["b_skip"] = sorted(request.skip_channels)
            claimed = run_query(connection, statement, parameters)
            # RETURNING comes in no promised order: oldest due first, then oldest message.
            rows = sorted(claimed, key=lambda row: (row.next_attempt_at, row.id))
            results.append([_dispatch_item(row) for row in rows])
        return results


# The claim on SQLite's cursor (``SqliteDriverQuery``): rows come back as SQLite's values —
# times as text that sorts as the times do, JSON as text — and become dispatch items here,
# without a SQLAlchemy row and its result processors per message.
_SQLITE_CLAIM = SqliteDriverQuery(_CLAIM)


def _claim_on_sqlite(connection: Connection, request: ClaimRequest) -> list[DispatchItem]:
    rows = _SQLITE_CLAIM.rows(
        connection,
        b_now=sqlite_text(request.now),
        b_limit=request.limit,
        b_token=request.claim_token,
    )
    rows.sort(key=lambda row: (row[13], row[0]))  # next_attempt_at, then id
    decode = msgspec.json.decode
    return [
        DispatchItem(
            message_id=message_id,
            account_id=account_id,
            to_e164=to_e164,
            country=country,
            body=body,
            encoding=encoding,
            segments=segments,
            sender_id=sender_id,
            route_plan=tuple(decode(route_plan)),
            route_index=route_index,
            valid_until=datetime.fromisoformat(valid_until).replace(tzinfo=UTC),
            flags=() if flags == "[]" else tuple(decode(flags)),
            created_at=datetime.fromisoformat(created_at).replace(tzinfo=UTC),
        )
        for (
            message_id,
            account_id,
            to_e164,
            country,
            body,
            encoding,
            segments,
            sender_id,
            route_plan,
            route_index,
            valid_until,
            flags,
            created_at,
            _next_attempt_at,
        ) in rows
    ]


def _dispatch_item(row: Any) -> DispatchItem:
    return DispatchItem(
        message_id=row.id,
        account_id=row.account_id,
        to_e164=row.to_e164,
        country=row.country,
        body=row.body,
        encoding=row.encoding,
        segments=row.segments,
        sender_id=row.sender_id,
        route_plan=tuple(row.route_plan),
        route_index=row.route_index,
        valid_until=row.valid_until,
        flags=tuple(row.flags),
        created_at=row.created_at,
    )


class SubmissionOperation:
    """Applies submission outcomes; then the receipts that were waiting for the new parts."""

    def __init__(self, context: StorageContext, receipts: ReceiptOperation) -> None:
        self._context = context
        self._receipts = receipts

    def __call__(self, connection: Connection, outcomes: list[SubmissionOutcome]) -> Sequence[bool]:
        now = self._context.clock()
        now_us = micros(now)
        states = load_states(connection, (outcome.message_id for outcome in outcomes))
        transitions = Transitions(self._context)
        part_rows: list[tuple[str, int, str, str, str, int, str, datetime]] = []
        new_parts: list[NewPart] = []
        applied: list[bool] = []
        for outcome in outcomes:
            state = states.get(outcome.message_id)
            if state is None or state.status != MessageStatus.QUEUED:
                applied.append(False)
                continue
            if isinstance(outcome, Submitted):
                state.assign(channel=outcome.channel)
                for flag in outcome.flags:
                    state.add_flag(flag)
                transitions.change(
                    state,
                    MessageStatus.SUBMITTED,
                    now,
                    detail={"channel": outcome.channel, "parts": len(outcome.parts)},
                )
                for part in outcome.parts:
                    key = exact_key(part.carrier_id_raw)
                    part_rows.append(
                        (
                            state.id,
                            part.part_no,
                            outcome.channel,
                            part.carrier_id_raw,
                            key,
                            now_us if part.responded_at_us is None else part.responded_at_us,
                            MessageStatus.SUBMITTED,
                            now,
                        )
                    )
                    new_parts.append(NewPart(outcome.channel, key))
            elif isinstance(outcome, Retry):
                for flag in outcome.flags:
                    state.add_flag(flag)
                state.assign(
                    route_index=outcome.next_route_index,
                    next_attempt_at=outcome.next_attempt_at,
                    last_error=error_document(outcome.error),
                    claim_token=None,
                    claimed_at=None,
                )
                transitions.note(
                    state,
                    now,
                    {
                        "retry": True,
                        "next_route_index": outcome.next_route_index,
                        **(error_document(outcome.error) or {}),
                    },
                )
            elif isinstance(outcome, Deferred):
                state.assign(
                    next_attempt_at=outcome.next_attempt_at, claim_token=None, claimed_at=None
                )
                transitions.keep(state)
            elif isinstance(outcome, HandedOver):
                state.assign(
                    route_index=outcome.route_index,
                    next_attempt_at=now,
                    claim_token=None,
                    claimed_at=None,
                )
                transitions.note(state, now, {"handed_over": outcome.channel})
            elif isinstance(outcome, Failed):
                for flag in outcome.flags:
                    state.add_flag(flag)
                transitions.change(
                    state,
                    MessageStatus.REJECTED
                    if outcome.carrier_rejected
                    else _failed_status(state.flags),
                    now,
                    detail=error_document(outcome.error),
                    error=outcome.error,
                )
            applied.append(True)
        transitions.write(connection)
        if part_rows:
            _PART_INSERT.execute(connection, part_rows)
            # Receipts that arrived before their submission was recorded: same transaction.
            self._receipts.apply_for_parts(connection, new_parts)
        return applied


def _failed_status(flags: list[str]) -> MessageStatus:
    """``failed`` — unless a receipt failover queued it again after it had reached a carrier:
    then ``undelivered`` (the status machine's ``queued → undelivered``)."""
    return MessageStatus.UNDELIVERED if FLAG_RECEIPT_FAILOVER in flags else MessageStatus.FAILED


class RecoverOperation:
    """Resolves queued messages claimed by another (dead) claim token."""

    def __init__(self, context: StorageContext) -> None:
        self._context = context

    def __call__(self, connection: Connection, requests: list[RecoverRequest]) -> Sequence[int]:
        counts = []
        for request in requests:
            query = claimed_by_others(request.claim_token, request.limit)
            if request.live_within is not None:
                cutoff = database_now(connection, self._context.clock) - request.live_within
                query = query.where(~live_node_claim(cutoff))
            rows = run_query(connection, query)
            now = self._context.clock()
            transitions = Transitions(self._context)
            count = 0
            for row in rows:
                state = state_from_row(row)
                count += 1
                if request.policy == "resend":
                    state.assign(claim_token=None, claimed_at=None)
                    state.add_flag(FLAG_RESENT_AFTER_CRASH)
                    state.add_flag(FLAG_DUPLICATE_POSSIBLE)
                    transitions.note(state, now, {"recovered": "resend"})
                else:
                    state.add_flag(FLAG_SUBMIT_OUTCOME_UNKNOWN)
                    transitions.change(
                        state,
                        MessageStatus.SUBMITTED,
                        now,
                        detail={"recovered": "assume_submitted"},
                    )
            transitions.write(connection)
            counts.append(count)
        return counts


_HAS_PARTS = exists().where(message_parts.c.message_id == messages.c.id)


def claimed_by_others(claim_token: str, limit: int) -> Select[Any]:
    """Queued messages claimed by another (dead) dispatcher (through ``ix_messages_queue``)."""
    return (
        state_query()
        .where(
            IS_QUEUED,
            messages.c.claim_token.is_not(None),
            messages.c.claim_token != claim_token,
        )
        .limit(limit)
        .with_for_update()
    )


def live_node_claim(cutoff: datetime) -> ColumnElement[bool]:
    """The message's claim token is a pipeline node whose heartbeat came after ``cutoff``."""
    return exists().where(
        pipeline_nodes.c.node_id == messages.c.claim_token,
        pipeline_nodes.c.heartbeat_at >= cutoff,
    )


def current_channel(dialect: str) -> ColumnElement[Any]:
    """The channel the message stands at: ``route_plan[route_index % len(route_plan)]``."""
    plan, index = messages.c.route_plan, messages.c.route_index
    if dialect == "postgresql":
        return plan.op("->>", return_type=String())(index % func.json_array_length(plan))
    position = index % func.json_array_length(plan)
    return func.json_extract(plan, func.printf("$[%d]", position))


_CLAIM_SKIPPING: dict[str, Any] = {}


def claim_skipping(dialect: str) -> Any:
    """:data:`_CLAIM` leaving out the messages whose current channel is in ``b_skip``."""
    statement = _CLAIM_SKIPPING.get(dialect)
    if statement is None:
        due = _DUE_IDS.where(current_channel(dialect).not_in(bindparam("b_skip", expanding=True)))
        statement = _CLAIM_SKIPPING[dialect] = (
            messages.update()
            .where(messages.c.id.in_(due))
            .values(
                claim_token=bindparam("b_token"),
                claimed_at=bindparam("b_now", type_=UtcDateTime),
            )
            .returning(*_DISPATCH_COLUMNS, messages.c.next_attempt_at)
        )
    return statement


def overdue_submissions(now: datetime, grace: timedelta, limit: int) -> Select[Any]:
    """Submitted messages whose receipt can no longer be waited for (through
    ``ix_messages_awaiting_receipt``): past validity plus grace, or past validity without
    any part."""
    return (
        state_query()
        .where(
            IS_SUBMITTED,
            or_(
                messages.c.valid_until < now - grace,
                and_(messages.c.valid_until < now, ~_HAS_PARTS),
            ),
        )
        .limit(limit)
        .with_for_update()
    )


class ExpireOperation:
    """Ends submitted messages whose receipt never came within validity plus grace, and
    those submitted without any part (an unanswered submit left for review: no receipt
    can ever match them) at their validity end."""

    def __init__(self, context: StorageContext) -> None:
        self._context = context

    def __call__(self, connection: Connection, requests: list[ExpireRequest]) -> Sequence[int]:
        counts = []
        for request in requests:
            rows = run_query(
                connection, overdue_submissions(request.now, request.grace, request.limit)
            )
            transitions = Transitions(self._context)
            count = 0
            failure = ErrorDetail(
                detail="no delivery receipt arrived before the validity period ended",
                reason=FLAG_NO_RECEIPT,
            )
            for row in rows:
                state = state_from_row(row)
                state.add_flag(FLAG_NO_RECEIPT)
                transitions.change(
                    state,
                    MessageStatus.EXPIRED,
                    request.now,
                    detail={"reason": FLAG_NO_RECEIPT},
                    error=failure,
                )
                count += 1
            transitions.write(connection)
            counts.append(count)
        return counts
