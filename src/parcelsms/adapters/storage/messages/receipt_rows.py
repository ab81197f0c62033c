"""Delivery receipts in storage: find the part, finish the message, keep what must wait.

Which part a receipt belongs to is decided by the rules of
:mod:`parcelsms.domain.receipt_correlation`; this module loads the candidates, applies the
decision and writes it in the caller's transaction:

* a receipt that names its submission (``responded_at_us``) goes to exactly that part;
* one that does not is placed by :func:`~parcelsms.domain.receipt_correlation.choose_part`;
* one that cannot be placed yet — its part not recorded, the early window still open, or
  its channel's id format not known — is kept in ``pending_receipts`` and looked at again
  when a part with its key is recorded (:meth:`ReceiptOperation.apply_for_parts`), when
  the early window closes and when the channel's format is learned (both in
  :mod:`.pending_receipt_rows`). After the pending time-to-live it moves to
  ``unmatched_receipts`` for the operator. Within the batching writer's transaction, one
  with a key is first held in memory (:class:`.held_receipt_rows.HeldReceipts`): a
  submission recorded later in the same transaction takes it from there, and only what is
  left is stored.

A part's first final receipt wins; a later one for a final part is a duplicate and changes
nothing. When every part of a ``submitted`` message is final the message becomes final as
:func:`parcelsms.domain.status.combine_part_statuses` says — unless its channel's receipt
failover rules retry the failure: then it goes back to the queue for the next channel of its
plan (:mod:`.receipt_failover_rows`).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal, NamedTuple

import msgspec
from sqlalchemy import bindparam, delete, func, select, update
from sqlalchemy.engine import Connection

from parcelsms.adapters.storage.context import StorageContext
from parcelsms.adapters.storage.engine.conditions import in_json_array, pair_in
from parcelsms.adapters.storage.engine.deferred_writes import existing
from parcelsms.adapters.storage.engine.driver_queries import SqliteDriverQuery
from parcelsms.adapters.storage.engine.keyed_updates import KeyedUpdate
from parcelsms.adapters.storage.engine.query_results import run_query
from parcelsms.adapters.storage.engine.schema.column_types import UtcDateTime, sqlite_datetime
from parcelsms.adapters.storage.engine.schema.message_tables import message_parts
from parcelsms.adapters.storage.engine.schema.receipt_tables import pending_receipts
from parcelsms.adapters.storage.messages.held_receipt_rows import HeldReceipts, keep_waiting
from parcelsms.adapters.storage.messages.message_state_rows import MessageState, load_states
from parcelsms.adapters.storage.messages.receipt_failover_rows import (
    FailedAttempt,
    ReceiptFailover,
)
from parcelsms.adapters.storage.messages.transition_rows import Transitions
from parcelsms.domain.receipt_correlation import (
    Apply,
    Candidate,
    Choice,
    Duplicate,
    Wait,
    choose_part,
    micros,
)
from parcelsms.domain.receipt_failover import PartReceipt
from parcelsms.domain.status import (
    FINAL_STATUSES,
    MessageStatus,
    combine_part_statuses,
)
from parcelsms.pipeline.message_ports import ErrorDetail
from parcelsms.pipeline.receipt_ports import ReceiptRecord

_log = logging.getLogger(__name__)

ReceiptOutcome = Literal["matched", "duplicate", "pending"]


@dataclass(init=False, slots=True)
class _Part:
    message_id: str
    part_no: int
    channel: str
    key: str
    responded_at_us: int
    status: str
    stat: str | None
    err: str | None
    receipt_raw: str | None
    done_at: datetime | None
    parts_of_message: int
    changed: bool = False

    # Written out, not the dataclass's: compiled (parcelsms.compiled_modules).
    def __init__(
        self,
        message_id: str,
        part_no: int,
        channel: str,
        key: str,
        responded_at_us: int,
        status: str,
        stat: str | None,
        err: str | None,
        receipt_raw: str | None,
        done_at: datetime | None,
        parts_of_message: int,
        changed: bool = False,
    ) -> None:
        self.message_id = message_id
        self.part_no = part_no
        self.channel = channel
        self.key = key
        self.responded_at_us = responded_at_us
        self.status = status
        self.stat = stat
        self.err = err
        self.receipt_raw = receipt_raw
        self.done_at = done_at
        self.parts_of_message = parts_of_message
        self.changed = changed

    @property
    def is_final(self) -> bool:
        return self.status in FINAL_STATUSES


_PART_UPDATE = KeyedUpdate(
    ("status", "stat", "err", "receipt_raw", "done_at", "message_id", "part_no"),
    ("message_id", "part_no"),
    {"done_at": UtcDateTime()},
    lambda row: (
        message_parts.update()
        .where(
            message_parts.c.message_id == row.c.message_id,
            message_parts.c.part_no == row.c.part_no,
        )
        .values(
            status=row.c.status,
            stat=row.c.stat,
            err=row.c.err,
            receipt_raw=row.c.receipt_raw,
            done_at=row.c.done_at,
        )
    ),
)
_sibling_parts = message_parts.alias("sibling_parts")
# How many parts the message of a part has: one (the usual case) spares a second query.
_PARTS_OF_MESSAGE = (
    select(func.count())
    .where(_sibling_parts.c.message_id == message_parts.c.message_id)
    .scalar_subquery()
)
_PART_COLUMNS = (
    message_parts.c.message_id,
    message_parts.c.part_no,
    message_parts.c.channel,
    message_parts.c.carrier_id,
    message_parts.c.responded_at_us,
    message_parts.c.status,
    message_parts.c.stat,
    message_parts.c.err,
    message_parts.c.receipt_raw,
    message_parts.c.done_at,
    _PARTS_OF_MESSAGE.label("parts_of_message"),
)
PENDING_COLUMNS = (
    pending_receipts.c.id,
    pending_receipts.c.match_key,
    pending_receipts.c.responded_at_us,
    pending_receipts.c.payload,
)


@dataclass(init=False, frozen=True, slots=True)
class NewPart:
    """A part just recorded: where pending receipts may be waiting for it."""

    channel: str
    key: str

    # Written out, not the dataclass's: compiled (parcelsms.compiled_modules).
    def __init__(
        self,
        channel: str,
        key: str,
    ) -> None:
        object.__setattr__(self, "channel", channel)
        object.__setattr__(self, "key", key)


def _candidate_index(
    connection: Connection, keys: Iterable[tuple[str, str]]
) -> dict[tuple[str, str], list[_Part]]:
    """Every stored part each ``(channel, key)`` may name."""
    pairs = set(keys)
    found: dict[tuple[str, str], list[_Part]] = {}
    if not pairs:
        return found
    rows: Iterable[Sequence[Any]]
    if connection.dialect.name == "sqlite":
        rows = _candidate_rows_from_sqlite(connection, pairs)
    else:
        rows = run_query(
            connection,
            select(*_PART_COLUMNS).where(
                pair_in(message_parts.c.channel, message_parts.c.carrier_id, pairs)
            ),
        )
    for (
        message_id,
        part_no,
        channel,
        carrier_id,
        responded_at_us,
        status,
        stat,
        err,
        receipt_raw,
        done_at,
        parts_of_message,
    ) in rows:
        found.setdefault((channel, carrier_id), []).append(
            _Part(
                message_id=message_id,
                part_no=part_no,
                channel=channel,
                key=carrier_id,
                responded_at_us=responded_at_us,
                status=status,
                stat=stat,
                err=err,
                receipt_raw=receipt_raw,
                done_at=done_at,
                parts_of_message=parts_of_message,
            )
        )
    return found


# The same columns, read with the driver's cursor on SQLite (as ``load_states`` does): one
# statement text per channel for any number of keys (a JSON array), searched through
# ``ix_message_parts_channel_carrier_id`` (test_hot_lookup_plans.py).
_SQLITE_CANDIDATES = SqliteDriverQuery(
    select(*_PART_COLUMNS).where(
        message_parts.c.channel == bindparam("channel"),
        in_json_array(message_parts.c.carrier_id, "keys"),
    )
)


def _candidate_rows_from_sqlite(
    connection: Connection, pairs: set[tuple[str, str]]
) -> list[tuple[Any, ...]]:
    return [
        row if row[9] is None else (*row[:9], sqlite_datetime(row[9]), row[10])  # done_at
        for row in _SQLITE_CANDIDATES.rows_per_group(
            connection, pairs, group="channel", keys="keys"
        )
    ]


class _PendingRow(NamedTuple):
    """A row of :data:`PENDING_COLUMNS` as read by the driver (``payload`` decoded)."""

    id: int
    match_key: str | None
    responded_at_us: int | None
    payload: Any


# The pending receipts that may name a just recorded part, looked up for every recorded
# submission and almost always none: on SQLite one statement text per channel for any number
# of keys (a JSON array), searched through ``ix_pending_receipts_channel_match_key``
# (test_hot_lookup_plans.py), run on the driver's cursor like the receipt parts.
_SQLITE_PENDING = SqliteDriverQuery(
    select(*PENDING_COLUMNS).where(
        pending_receipts.c.channel == bindparam("channel"),
        in_json_array(pending_receipts.c.match_key, "keys"),
    )
)


def _pending_rows_from_sqlite(
    connection: Connection, pairs: set[tuple[str, str]]
) -> list[_PendingRow]:
    rows = [
        _PendingRow(row_id, match_key, responded_at_us, msgspec.json.decode(payload))
        for row_id, match_key, responded_at_us, payload in _SQLITE_PENDING.rows_per_group(
            connection, pairs, group="channel", keys="keys"
        )
    ]
    rows.sort(key=lambda row: row.id)  # oldest first, as the other backends read them
    return rows


class ReceiptOperation:
    """The bulk function behind :meth:`MessageStore.apply_receipts`.

    A receipt it cannot place yet is counted ``pending`` even when a submission recorded
    later in the same transaction places it (:class:`.held_receipt_rows.HeldReceipts`): as
    before, when such a receipt was stored and read back within that transaction.
    """

    def __init__(self, context: StorageContext) -> None:
        self._context = context
        self._failover = ReceiptFailover(context)

    def __call__(
        self, connection: Connection, receipts: list[ReceiptRecord]
    ) -> Sequence[ReceiptOutcome]:
        outcomes = self._apply(connection, receipts)
        waiting = [
            receipt
            for receipt, outcome in zip(receipts, outcomes, strict=True)
            if outcome == "pending"
        ]
        if waiting:
            keep_waiting(connection, waiting)
        return outcomes

    def apply_for_parts(self, connection: Connection, parts: Sequence[NewPart]) -> int:
        """Look again at the waiting receipts that may name one of the just recorded parts:
        the stored ones (oldest first), then those this transaction holds.

        Returns how many of them were applied or found to be duplicates (the stored ones are
        deleted, the held ones let go; the others keep waiting).
        """
        if not parts:
            return 0
        pairs = {(part.channel, part.key) for part in parts}
        rows: Sequence[Any]
        if connection.dialect.name == "sqlite":
            rows = _pending_rows_from_sqlite(connection, pairs)
        else:
            rows = run_query(
                connection,
                select(*PENDING_COLUMNS)
                .where(pair_in(pending_receipts.c.channel, pending_receipts.c.match_key, pairs))
                .order_by(pending_receipts.c.id),
            ).all()
        done = self.resolve_rows(connection, rows, mark_checked=False)
        held = existing(connection, HeldReceipts)
        taken = held.take(pairs) if held is not None else []
        if held is None or not taken:
            return done
        outcomes = self._apply(connection, taken)
        still = [
            receipt
            for receipt, outcome in zip(taken, outcomes, strict=True)
            if outcome == "pending"
        ]
        held.hold(still)  # say, a receipt of a final part within the early window
        return done + len(taken) - len(still)

    def resolve_rows(
        self, connection: Connection, rows: Sequence[Any], *, mark_checked: bool
    ) -> int:
        """Decide stored pending receipts again; delete the decided ones."""
        if not rows:
            return 0
        receipts = [_pending_record(row) for row in rows]
        outcomes = self._apply(connection, receipts)
        done = [row.id for row, outcome in zip(rows, outcomes, strict=True) if outcome != "pending"]
        if done:
            connection.execute(delete(pending_receipts).where(pending_receipts.c.id.in_(done)))
        if mark_checked:
            still = [
                row.id for row, outcome in zip(rows, outcomes, strict=True) if outcome == "pending"
            ]
            if still:
                connection.execute(
                    update(pending_receipts)
                    .where(pending_receipts.c.id.in_(still))
                    .values(checked=True)
                )
        return len(done)

    def _apply(
        self, connection: Connection, receipts: Sequence[ReceiptRecord]
    ) -> list[ReceiptOutcome]:
        now_us = micros(self._context.clock())
        window_us = self._context.receipt_early_window_us
        candidates = _candidate_index(
            connection,
            ((receipt.channel, receipt.match) for receipt in receipts if receipt.match is not None),
        )
        outcomes: list[ReceiptOutcome] = []
        finished_parts: dict[str, _Part] = {}
        changed: dict[tuple[str, int], _Part] = {}
        for receipt in receipts:
            match = receipt.match
            if match is None:
                outcomes.append("pending")
                continue
            parts = candidates.get((receipt.channel, match), [])
            choice = _choose(parts, receipt, now_us, window_us)
            if isinstance(choice, Wait):
                outcomes.append("pending")
                continue
            part = parts[choice.index]
            if isinstance(choice, Duplicate) or part.is_final:
                outcomes.append("duplicate")
                continue
            part.stat = receipt.stat
            part.err = receipt.err
            part.receipt_raw = receipt.raw
            changed[(part.message_id, part.part_no)] = part
            if receipt.state is not None:
                part.status = receipt.state
                part.done_at = receipt.received_at
                finished_parts[part.message_id] = part
            outcomes.append("matched")

        if changed:
            _PART_UPDATE.execute(
                connection,
                [
                    (
                        part.status,
                        part.stat,
                        part.err,
                        part.receipt_raw,
                        part.done_at,
                        part.message_id,
                        part.part_no,
                    )
                    for part in changed.values()
                ],
            )
        if finished_parts:
            self._finish_messages(connection, finished_parts)
        return outcomes

    def _finish_messages(self, connection: Connection, finished: dict[str, _Part]) -> None:
        """Finish the messages whose part just became final, if all their parts are."""
        parts_of: dict[str, list[Any]] = {
            message_id: [part]
            for message_id, part in finished.items()
            if part.parts_of_message == 1
        }
        several = sorted(message_id for message_id in finished if message_id not in parts_of)
        if several:
            rows = run_query(
                connection,
                select(
                    message_parts.c.message_id,
                    message_parts.c.part_no,
                    message_parts.c.status,
                    message_parts.c.stat,
                    message_parts.c.err,
                )
                .where(message_parts.c.message_id.in_(several))
                .order_by(message_parts.c.message_id, message_parts.c.part_no),
            )
            for row in rows:
                parts_of.setdefault(row.message_id, []).append(row)
        states = load_states(connection, finished)
        now = self._context.clock()
        transitions = Transitions(self._context)
        failover = self._failover
        failed_attempts: list[FailedAttempt] = []
        for message_id, parts in parts_of.items():
            state = states.get(message_id)
            if state is None or state.status != MessageStatus.SUBMITTED:
                continue  # already final (e.g. expired without receipt): parts only
            if len(parts) == 1:
                status = MessageStatus(parts[0].status)  # the usual single part: its own
                if status not in FINAL_STATUSES:
                    continue
            else:
                combined = combine_part_statuses(MessageStatus(part.status) for part in parts)
                if combined is None:
                    continue
                status = combined
            if failover.considers(state, status):
                failed_attempts.append(
                    FailedAttempt(
                        state,
                        status,
                        [PartReceipt(part.status, part.stat, part.err) for part in parts],
                    )
                )
                continue
            self._finish(transitions, state, status, parts, now)
        if failed_attempts:
            # Retryable failed receipts go to the next channel; the others end as usual.
            requeued = failover.fail_over(connection, transitions, failed_attempts, now)
            for attempt in failed_attempts:
                if attempt.state.id not in requeued:
                    parts = parts_of[attempt.state.id]
                    self._finish(transitions, attempt.state, attempt.status, parts, now)
        transitions.write(connection)

    @staticmethod
    def _finish(
        transitions: Transitions,
        state: MessageState,
        status: MessageStatus,
        parts: Sequence[Any],
        now: datetime,
    ) -> None:
        deciding = next((part for part in parts if part.status == status), parts[0])
        detail = {"stat": deciding.stat, "err": deciding.err, "parts": len(parts)}
        failure = None
        if status is not MessageStatus.DELIVERED:
            failure = ErrorDetail(
                detail=f"the carrier reported {status} (stat {deciding.stat})",
                stat=deciding.stat,
                err=deciding.err,
            )
        transitions.change(state, status, now, detail=detail, error=failure)


def _choose(parts: list[_Part], receipt: ReceiptRecord, now_us: int, window_us: int) -> Choice:
    target = receipt.responded_at_us
    if target is not None:
        # The channel knew the submission: exactly that part, or wait for it to be recorded.
        for index, part in enumerate(parts):
            if part.responded_at_us == target:
                return Duplicate(index) if part.is_final else Apply(index)
        return Wait()
    return choose_part(
        [Candidate(part.responded_at_us, part.is_final) for part in parts],
        receipt.received_at_us,
        now_us,
        window_us,
    )


def _pending_record(row: Any) -> ReceiptRecord:
    record = msgspec.convert(row.payload, ReceiptRecord)
    return msgspec.structs.replace(record, match=row.match_key, responded_at_us=row.responded_at_us)
