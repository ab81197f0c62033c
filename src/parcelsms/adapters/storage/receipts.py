"""Delivery receipts: correlate with parts, finish messages, keep the early ones.

A receipt names its part by ``(channel, carrier id)``. It may arrive before the submission that
created the part is recorded (the SMSC answers ``submit_sm`` and sends the receipt at once, and
our write of the ``submit_sm_resp`` may still be queued). Such a receipt is stored in
``pending_receipts`` — so it can be acknowledged to the SMSC without being lost — and applied
by :meth:`ReceiptOperation.apply_pending` in the transaction that records the submission.

A part's first final receipt wins; later ones for a final part are duplicates and change
nothing. When every part of a ``submitted`` message is final the message becomes final:
``delivered`` only if every part was delivered, else by precedence ``rejected`` >
``undelivered`` > ``expired``.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

import msgspec
from sqlalchemy import bindparam, delete, func, select
from sqlalchemy.engine import Connection

from parcelsms.adapters.storage.bulk_statements import BulkStatement
from parcelsms.adapters.storage.conditions import pair_in
from parcelsms.adapters.storage.context import FINAL_STATUSES, StorageContext
from parcelsms.adapters.storage.schema import UtcDateTime, message_parts, pending_receipts
from parcelsms.adapters.storage.transitions import Transitions, load_states
from parcelsms.domain.ids import new_id
from parcelsms.pipeline.ports import ErrorDetail, MessageStatus, ReceiptRecord

ReceiptOutcome = Literal["matched", "duplicate", "pending"]

_PRECEDENCE: tuple[MessageStatus, ...] = ("rejected", "undelivered", "expired")


@dataclass(slots=True)
class _Part:
    message_id: str
    part_no: int
    status: str
    stat: str | None
    err: str | None
    receipt_raw: str | None
    done_at: datetime | None
    parts_of_message: int
    changed: bool = False

    @property
    def is_final(self) -> bool:
        return self.status in FINAL_STATUSES


_PART_UPDATE = BulkStatement(
    message_parts.update()
    .where(
        message_parts.c.message_id == bindparam("b_message_id"),
        message_parts.c.part_no == bindparam("b_part_no"),
    )
    .values(
        status=bindparam("b_status"),
        stat=bindparam("b_stat"),
        err=bindparam("b_err"),
        receipt_raw=bindparam("b_receipt_raw"),
        done_at=bindparam("b_done_at", type_=UtcDateTime),
    ),
    ("b_status", "b_stat", "b_err", "b_receipt_raw", "b_done_at", "b_message_id", "b_part_no"),
    {"b_done_at": UtcDateTime()},
)
_sibling_parts = message_parts.alias("sibling_parts")
# How many parts the message of a part has: one (the usual case) spares a second query.
_PARTS_OF_MESSAGE = (
    select(func.count())
    .where(_sibling_parts.c.message_id == message_parts.c.message_id)
    .scalar_subquery()
)


class ReceiptOperation:
    """The bulk function behind :meth:`MessageStore.apply_receipts`."""

    def __init__(self, context: StorageContext) -> None:
        self._context = context

    def __call__(
        self, connection: Connection, receipts: list[ReceiptRecord]
    ) -> Sequence[ReceiptOutcome]:
        outcomes, unmatched = self._apply(connection, receipts)
        if unmatched:
            _store_pending(connection, unmatched)
        return outcomes

    def apply_pending(self, connection: Connection, pairs: Iterable[tuple[str, str]]) -> int:
        """Apply stored receipts for the given new ``(channel, carrier_id)`` parts.

        Returns how many stored receipts matched (they are deleted).
        """
        wanted = sorted(set(pairs))
        if not wanted:
            return 0
        rows = connection.execute(
            select(pending_receipts.c.receipt_id, pending_receipts.c.payload)
            .where(pair_in(pending_receipts.c.channel, pending_receipts.c.carrier_id, wanted))
            .order_by(pending_receipts.c.id)
        ).all()
        if not rows:
            return 0
        # One receipt has a row per candidate id: keep the first of each.
        stored: dict[str, ReceiptRecord] = {}
        for row in rows:
            if row.receipt_id not in stored:
                stored[row.receipt_id] = msgspec.convert(row.payload, ReceiptRecord)
        receipt_ids = list(stored)
        outcomes, _ = self._apply(connection, list(stored.values()))
        done = [
            rid for rid, outcome in zip(receipt_ids, outcomes, strict=True) if outcome != "pending"
        ]
        if done:
            connection.execute(
                delete(pending_receipts).where(pending_receipts.c.receipt_id.in_(done))
            )
        return len(done)

    def _apply(
        self, connection: Connection, receipts: Sequence[ReceiptRecord]
    ) -> tuple[list[ReceiptOutcome], list[ReceiptRecord]]:
        candidates = _parts_by_carrier_id(connection, receipts)
        outcomes: list[ReceiptOutcome] = []
        unmatched: list[ReceiptRecord] = []
        finished_parts: dict[str, _Part] = {}
        for receipt in receipts:
            part = _pick_part(candidates, receipt)
            if part is None:
                unmatched.append(receipt)
                outcomes.append("pending")
            elif part.is_final:
                outcomes.append("duplicate")
            else:
                part.stat = receipt.stat
                part.err = receipt.err
                part.receipt_raw = receipt.raw
                part.changed = True
                if receipt.state is not None:
                    part.status = receipt.state
                    part.done_at = receipt.received_at
                    finished_parts[part.message_id] = part
                outcomes.append("matched")

        changed = [part for parts in candidates.values() for part in parts if part.changed]
        if changed:
            unique = {(part.message_id, part.part_no): part for part in changed}
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
                    for part in unique.values()
                ],
            )
            for part in unique.values():
                part.changed = False
        if finished_parts:
            self._finish_messages(connection, finished_parts)
        return outcomes, unmatched

    def _finish_messages(self, connection: Connection, finished: dict[str, _Part]) -> None:
        """Finish the messages whose part just became final, if all their parts are."""
        parts_of: dict[str, list[Any]] = {
            message_id: [part]
            for message_id, part in finished.items()
            if part.parts_of_message == 1
        }
        several = sorted(message_id for message_id in finished if message_id not in parts_of)
        if several:
            rows = connection.execute(
                select(
                    message_parts.c.message_id,
                    message_parts.c.part_no,
                    message_parts.c.status,
                    message_parts.c.stat,
                    message_parts.c.err,
                )
                .where(message_parts.c.message_id.in_(several))
                .order_by(message_parts.c.message_id, message_parts.c.part_no)
            )
            for row in rows:
                parts_of.setdefault(row.message_id, []).append(row)
        states = load_states(connection, finished)
        now = self._context.clock()
        transitions = Transitions(self._context)
        for message_id, parts in parts_of.items():
            state = states.get(message_id)
            if state is None or state.status != "submitted":
                continue  # already final (e.g. expired without receipt): parts only
            if not all(part.status in FINAL_STATUSES for part in parts):
                continue
            status, deciding = _combine(parts)
            detail = {"stat": deciding.stat, "err": deciding.err, "parts": len(parts)}
            failure = None
            if status != "delivered":
                failure = ErrorDetail(
                    detail=f"the carrier reported {status} (stat {deciding.stat})",
                    stat=deciding.stat,
                    err=deciding.err,
                )
            transitions.change(state, status, now, detail=detail, error=failure)
        transitions.write(connection)


def _combine(parts: list[Any]) -> tuple[MessageStatus, Any]:
    for status in _PRECEDENCE:
        for part in parts:
            if part.status == status:
                return status, part
    return "delivered", parts[0]


def _parts_by_carrier_id(
    connection: Connection, receipts: Sequence[ReceiptRecord]
) -> dict[tuple[str, str], list[_Part]]:
    pairs = sorted(
        {
            (receipt.channel, candidate)
            for receipt in receipts
            for candidate in receipt.carrier_id_candidates
        }
    )
    if not pairs:
        return {}
    rows = connection.execute(
        select(
            message_parts.c.message_id,
            message_parts.c.part_no,
            message_parts.c.channel,
            message_parts.c.carrier_id,
            message_parts.c.status,
            message_parts.c.stat,
            message_parts.c.err,
            message_parts.c.receipt_raw,
            message_parts.c.done_at,
            _PARTS_OF_MESSAGE.label("parts_of_message"),
        ).where(pair_in(message_parts.c.channel, message_parts.c.carrier_id, pairs))
    )
    found: dict[tuple[str, str], list[_Part]] = {}
    for row in rows:
        found.setdefault((row.channel, row.carrier_id), []).append(
            _Part(
                message_id=row.message_id,
                part_no=row.part_no,
                status=row.status,
                stat=row.stat,
                err=row.err,
                receipt_raw=row.receipt_raw,
                done_at=row.done_at,
                parts_of_message=row.parts_of_message,
            )
        )
    # Carriers reuse ids eventually: prefer a part still waiting, then the newest message
    # (two stable sorts: newest first, then waiting before final).
    for parts in found.values():
        parts.sort(key=lambda part: part.message_id, reverse=True)
        parts.sort(key=lambda part: part.is_final)
    return found


def _pick_part(
    candidates: dict[tuple[str, str], list[_Part]], receipt: ReceiptRecord
) -> _Part | None:
    for carrier_id in receipt.carrier_id_candidates:
        parts = candidates.get((receipt.channel, carrier_id))
        if parts:
            waiting = [part for part in parts if not part.is_final]
            return waiting[0] if waiting else parts[0]
    return None


def _store_pending(connection: Connection, receipts: list[ReceiptRecord]) -> None:
    rows = []
    for receipt in receipts:
        receipt_id = new_id("rcp")
        payload = msgspec.to_builtins(receipt)
        for carrier_id in dict.fromkeys(receipt.carrier_id_candidates):
            rows.append(
                {
                    "receipt_id": receipt_id,
                    "channel": receipt.channel,
                    "carrier_id": carrier_id,
                    "received_at": receipt.received_at,
                    "payload": payload,
                }
            )
    if rows:
        connection.execute(pending_receipts.insert(), rows)
