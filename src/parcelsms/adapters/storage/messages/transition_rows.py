"""Status changes of messages, written set-based with everything that must go with them.

A bulk operation loads the rows it touches (:func:`~.message_state_rows.load_states`, locked
``FOR UPDATE`` on backends that lock rows), changes them in memory through a
:class:`Transitions` and writes them back with :meth:`Transitions.write`. A status change
always brings, in the same transaction:

* an event row (``message_events``);
* the ledger movement the billing policy asks for (settle or refund, never both: the
  ``billing`` column moves ``reserved → settled | refunded`` exactly once);
* the webhook outbox rows the pipeline's :class:`~parcelsms.pipeline.webhook_ports.WebhookPolicy`
  asks for (which statuses, which body), one per destination
  (:func:`~parcelsms.domain.webhook_routing.route_event`: subscribed endpoints or the
  message's callback URL); a destination that wants none of a change's event types
  costs nothing.
* the move of the message between report rollup rows (:mod:`..reports.rollup_rows`).

Writing costs a few statements per batch, not per row: message rows that received the same
changes (a batch submitted or delivered at one instant: the usual case) are updated by one
``UPDATE ... WHERE id IN (...)``; events, ledger and outbox rows are inserted through
:class:`~.bulk_statements.BulkStatement`. Only the columns a transition changed are written,
and only the columns a transition reads are loaded.
"""

from __future__ import annotations

import logging
from collections import Counter
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import msgspec
from sqlalchemy import bindparam
from sqlalchemy.engine import Connection
from sqlalchemy.sql.dml import Update

from parcelsms.adapters.storage.context import StorageContext
from parcelsms.adapters.storage.engine.bulk_statements import insert_statement
from parcelsms.adapters.storage.engine.conditions import in_json_array, json_array
from parcelsms.adapters.storage.engine.deferred_writes import collector
from parcelsms.adapters.storage.engine.schema.message_tables import message_events, messages
from parcelsms.adapters.storage.messages import ledger_rows as ledger_moves
from parcelsms.adapters.storage.messages.message_state_rows import (
    MessageState,
    error_document,
    error_from_document,
)
from parcelsms.adapters.storage.reports.rollup_rows import count_state_changes
from parcelsms.adapters.storage.webhooks.outbox_routing_rows import (
    OUTBOX_INSERT,
    outbox_rows,
    read_subscriptions,
)
from parcelsms.domain.ids import new_id
from parcelsms.domain.route_labels import route_label
from parcelsms.domain.status import (
    CARRIER_OUTCOMES,
    FAILURE_STATUSES,
    FINAL_STATUSES,
    MessageStatus,
    can_transition,
)
from parcelsms.domain.webhook_routing import route_event, status_event_types
from parcelsms.pipeline.message_ports import ErrorDetail
from parcelsms.pipeline.webhook_ports import WebhookEvent

_log = logging.getLogger(__name__)

REFUSED_TRANSITIONS: Counter[tuple[str, str]] = Counter()
"""Status changes the status machine refused in this process, by ``(from, to)``: each is
also logged. A refusal means a rule elsewhere asked for something impossible."""

# Largest id list of one UPDATE ... IN: far below every backend's parameter limit.
_UPDATE_CHUNK = 500


_updates: dict[tuple[tuple[str, ...], bool], Update] = {}


def _grouped_update(columns: tuple[str, ...], json_ids: bool) -> Update:
    """``UPDATE messages SET <columns> WHERE id IN (:ids)``, built once per column set.

    With ``json_ids`` (SQLite) the ids are one JSON array parameter read by ``json_each``:
    one statement text for any number of ids, where an expanding ``IN`` is rendered again
    for every execution (SQLAlchemy's post-compile step was a tenth of a submission's
    recording)."""
    key = (columns, json_ids)
    statement = _updates.get(key)
    if statement is None:
        condition = (
            in_json_array(messages.c.id, "b_ids")
            if json_ids
            else messages.c.id.in_(bindparam("b_ids", expanding=True))
        )
        statement = (
            messages.update()
            .where(condition)
            .values({name: bindparam(f"b_{name}", type_=messages.c[name].type) for name in columns})
        )
        _updates[key] = statement
    return statement


def _comparable(value: Any) -> Any:
    """A hashable stand-in for a column value, equal exactly when the values are."""
    if value.__class__ is list or value.__class__ is dict:
        return msgspec.json.encode(value)
    return value


_EVENT_INSERT = insert_statement(message_events, ("message_id", "status", "at", "detail"))


class Transitions:
    """Changes to message rows collected during one bulk operation, then written at once."""

    def __init__(self, context: StorageContext) -> None:
        self._context = context
        self._dirty: dict[str, MessageState] = {}
        self._events: list[tuple[str, str, datetime, dict[str, Any] | None]] = []
        self._ledger: list[ledger_moves.LedgerMove] = []
        self._webhooks: list[StatusChange] = []
        self._webhook_statuses = context.webhook_policy.statuses

    def change(
        self,
        state: MessageState,
        status: MessageStatus,
        at: datetime,
        *,
        detail: dict[str, Any] | None = None,
        error: ErrorDetail | None = None,
    ) -> bool:
        """Move ``state`` to ``status``: event, billing and webhook, each per its policy.

        Any claim on the message ends: whoever held it has reported its outcome. A change
        the status machine (:func:`parcelsms.domain.status.can_transition`) refuses is
        logged and counted in :data:`REFUSED_TRANSITIONS`, writes nothing, and returns False.
        """
        previous = state.status
        if not can_transition(previous, status):
            REFUSED_TRANSITIONS[(str(previous), str(status))] += 1
            _log.warning(
                "status change refused by the status machine",
                extra={"message_id": state.id, "from": str(previous), "to": str(status)},
            )
            return False
        state.assign(status=status, updated_at=at, claim_token=None, claimed_at=None)
        if status == "submitted":
            state.assign(submitted_at=at)
        if status in FINAL_STATUSES:
            state.assign(final_at=at)
        if error is not None:
            state.assign(last_error=error_document(error))
        self._dirty[state.id] = state
        self._events.append((state.id, status, at, detail))
        self._bill(state, status, at)
        if status in self._webhook_statuses:
            # What its webhook would say, as of now; the event itself is made only if some
            # destination wants it (TransitionRows.write).
            self._webhooks.append(
                StatusChange(
                    state,
                    status,
                    previous,
                    at,
                    error,
                    state.last_error,
                    tuple(state.flags),
                    state.channel,
                    state.route_index,
                )
            )
        return True

    def keep(self, state: MessageState) -> None:
        """Write ``state``'s assigned columns, nothing else (no event, no webhook)."""
        self._dirty[state.id] = state

    def note(self, state: MessageState, at: datetime, detail: dict[str, Any]) -> None:
        """Record something that happened without a status change (a failover, a recovery)."""
        state.assign(updated_at=at)
        self._dirty[state.id] = state
        self._events.append((state.id, state.status, at, detail))

    def _bill(self, state: MessageState, status: str, at: datetime) -> None:
        if state.billing != "reserved":
            return
        refund_on_reject = self._context.refund_on_reject
        if status == MessageStatus.SUBMITTED:
            if refund_on_reject:
                return  # the reserve waits for the final state
            state.assign(billing="settled")
            move = ledger_moves.settle(state.account_id, state.id, state.price_micros, at)
        elif status in FINAL_STATUSES:
            # ``rejected`` at submit (no carrier ever accepted the message: it has no
            # channel) costs the sender nothing, like ``failed``.
            never_reached_carrier = status not in CARRIER_OUTCOMES or (
                status == MessageStatus.REJECTED and state.channel is None
            )
            if never_reached_carrier or (status == MessageStatus.REJECTED and refund_on_reject):
                state.assign(billing="refunded")
                move = ledger_moves.refund(state.account_id, state.id, state.price_micros, at)
                if state.package_id is not None:
                    # A package paid it: its segments go back to that package.
                    self._ledger.append(move)
                    move = ledger_moves.package_refund(
                        state.account_id, state.id, state.package_id, state.segments, at
                    )
            else:
                state.assign(billing="settled")
                move = ledger_moves.settle(state.account_id, state.id, state.price_micros, at)
        else:
            return
        self._ledger.append(move)

    def write(self, connection: Connection) -> None:
        """Write every collected change; the caller's transaction commits them together.

        Message rows and the ledger are written now: a later operation of the transaction
        reads them. Event and outbox rows, which no operation reads back, join those of the
        transaction's other operations (:class:`TransitionRows`) when the batching writer
        runs it, and are inserted once before the commit.
        """
        if self._dirty:
            count_state_changes(connection, self._dirty.values())
            self._write_messages(connection)
        ledger_moves.write_ledger(connection, self._ledger)
        rows, later = collector(connection, TransitionRows)
        rows.add(self._events, self._webhooks, self._context)
        if not later:
            rows.write(connection)
        self._dirty = {}
        self._events = []
        self._ledger = []
        self._webhooks = []

    def _write_messages(self, connection: Connection) -> None:
        # Rows given the same values share one statement: a batch that moved together
        # (one instant, one outcome) is a single UPDATE instead of one per row.
        groups: dict[tuple[tuple[str, Any], ...], tuple[dict[str, Any], list[str]]] = {}
        for state in self._dirty.values():
            changes = state.changes
            if not changes:
                continue
            # One code path assigns in one order, so unsorted keys group the rows it moved.
            key = tuple([(name, _comparable(value)) for name, value in changes.items()])
            group = groups.get(key)
            if group is None:
                groups[key] = (changes, [state.id])
            else:
                group[1].append(state.id)
            state.changes = {}
        for key, (changes, ids) in groups.items():
            columns = tuple(name for name, _ in key)
            json_ids = connection.dialect.name == "sqlite"
            statement = _grouped_update(columns, json_ids)
            values = {f"b_{name}": changes[name] for name in columns}
            for start in range(0, len(ids), _UPDATE_CHUNK):
                chunk = ids[start : start + _UPDATE_CHUNK]
                given: Any = json_array(chunk) if json_ids else chunk
                connection.execute(statement, {"b_ids": given, **values})


@dataclass(init=False, frozen=True, slots=True)
class StatusChange:
    """A status change that may make webhooks: the message and what its event would say,
    taken at the change (later changes of the state in the transaction do not alter it)."""

    state: MessageState
    status: MessageStatus
    previous: str
    at: datetime
    error: ErrorDetail | None
    last_error: dict[str, Any] | None
    flags: tuple[str, ...]
    channel: str | None
    route_index: int

    # Written out, not the dataclass's: compiled (parcelsms.compiled_modules).
    def __init__(
        self,
        state: MessageState,
        status: MessageStatus,
        previous: str,
        at: datetime,
        error: ErrorDetail | None,
        last_error: dict[str, Any] | None,
        flags: tuple[str, ...],
        channel: str | None,
        route_index: int,
    ) -> None:
        object.__setattr__(self, "state", state)
        object.__setattr__(self, "status", status)
        object.__setattr__(self, "previous", previous)
        object.__setattr__(self, "at", at)
        object.__setattr__(self, "error", error)
        object.__setattr__(self, "last_error", last_error)
        object.__setattr__(self, "flags", flags)
        object.__setattr__(self, "channel", channel)
        object.__setattr__(self, "route_index", route_index)

    def event(self, pepper: bytes) -> WebhookEvent:
        """The webhook event, with a new event id (made when a destination wants it)."""
        state = self.state
        error = self.error
        if error is None and self.status in FAILURE_STATUSES:
            error = error_from_document(self.last_error)
        return WebhookEvent(
            event_id=new_id("evt"),
            account_id=state.account_id,
            message_id=state.id,
            status=self.status,
            previous_status=MessageStatus(self.previous),
            at=self.at,
            to_e164=state.to_e164,
            country=state.country,
            client_ref=state.client_ref,
            segments=state.segments,
            price_micros=state.price_micros,
            currency=state.currency,
            flags=self.flags,
            channel=self.channel,
            route=None if self.channel is None else route_label(self.channel, pepper),
            attempt=self.route_index + 1,
            error=error,
        )


_Event = tuple[str, str, datetime, dict[str, Any] | None]


class TransitionRows:
    """The event rows and webhooks of one transaction's status changes, inserted together.

    A pipeline flush runs several operations in one transaction (claims, submissions,
    receipts), and each wrote its own events, read its accounts' webhook subscriptions and
    wrote its own outbox rows: at a thousand single messages a second that was about five
    of a flush's twenty-four statements (``bench/throughput.py --paced``). Collected here
    (:mod:`..engine.deferred_writes`), they are one multi-row insert of events, one read of
    subscriptions and one insert of outbox rows per transaction, in the order the changes
    were made, so events keep their order by id.
    """

    def __init__(self) -> None:
        self._events: list[_Event] = []
        self._webhooks: list[tuple[StatusChange, StorageContext]] = []

    def add(
        self,
        events: list[_Event],
        webhooks: list[StatusChange],
        context: StorageContext,
    ) -> None:
        """Add one operation's events and the status changes that may make webhooks (with
        the context whose policy builds their bodies)."""
        self._events.extend(events)
        self._webhooks.extend((change, context) for change in webhooks)

    def write(self, connection: Connection) -> None:
        """Insert what was added, in the caller's transaction."""
        _EVENT_INSERT.execute(connection, self._events)
        webhooks = self._webhooks
        self._events = []
        self._webhooks = []
        if not webhooks:
            return
        # One read per transaction: the endpoints and subscriptions of its accounts.
        subscriptions = read_subscriptions(
            connection, (change.state.account_id for change, _ in webhooks)
        )
        rows_to_insert = []
        for change, context in webhooks:
            state = change.state
            routes = route_event(
                status_event_types(change.status),
                subscriptions.get(state.account_id, ()),
                state.callback_url,
            )
            if not routes:
                continue  # no destination wants it: no event id, no body
            event = change.event(context.pepper)
            rows_to_insert.extend(
                outbox_rows(
                    routes,
                    event_id=event.event_id,
                    account_id=state.account_id,
                    message_id=state.id,
                    payload=context.webhook_policy.payload(event),
                    at=event.at,
                )
            )
        OUTBOX_INSERT.execute(connection, rows_to_insert)
