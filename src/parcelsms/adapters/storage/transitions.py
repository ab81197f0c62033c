"""Status changes of messages, written set-based with everything that must go with them.

A bulk operation loads the rows it touches (:func:`load_states`, locked ``FOR UPDATE`` on
backends that lock rows), changes them in memory through a :class:`Transitions` and writes
them back with :meth:`Transitions.write`: one ``executemany`` per table. A status change
always brings, in the same transaction:

* an event row (``message_events``);
* the ledger movement the billing policy asks for (settle or refund, never both: the
  ``billing`` column moves ``reserved → settled | refunded`` exactly once);
* for every status but ``queued``, a webhook outbox row addressed to the message's
  ``callback_url`` or else the account's endpoint (none when there is neither).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from sqlalchemy import bindparam, select
from sqlalchemy.engine import Connection

from parcelsms.adapters.storage import ledger as ledger_moves
from parcelsms.adapters.storage.context import FINAL_STATUSES, StorageContext
from parcelsms.adapters.storage.schema import (
    message_events,
    messages,
    webhook_endpoints,
    webhook_outbox,
)
from parcelsms.domain.ids import new_id
from parcelsms.pipeline.ports import ErrorDetail, MessageStatus, WebhookEvent

_STATE_COLUMNS = (
    messages.c.id,
    messages.c.account_id,
    messages.c.status,
    messages.c.billing,
    messages.c.price_micros,
    messages.c.currency,
    messages.c.flags,
    messages.c.callback_url,
    messages.c.client_ref,
    messages.c.to_e164,
    messages.c.country,
    messages.c.segments,
    messages.c.channel,
    messages.c.route_index,
    messages.c.claim_token,
    messages.c.claimed_at,
    messages.c.next_attempt_at,
    messages.c.submitted_at,
    messages.c.final_at,
    messages.c.last_error,
    messages.c.valid_until,
    messages.c.updated_at,
)


@dataclass(slots=True)
class MessageState:
    """The columns of a message row that status changes read or write."""

    id: str
    account_id: str
    status: str
    billing: str
    price_micros: int
    currency: str
    flags: list[str]
    callback_url: str | None
    client_ref: str | None
    to_e164: str
    country: str
    segments: int
    channel: str | None
    route_index: int
    claim_token: str | None
    claimed_at: datetime | None
    next_attempt_at: datetime
    submitted_at: datetime | None
    final_at: datetime | None
    last_error: dict[str, Any] | None
    valid_until: datetime
    updated_at: datetime

    @property
    def is_final(self) -> bool:
        return self.status in FINAL_STATUSES

    def add_flag(self, flag: str) -> None:
        if flag not in self.flags:
            self.flags.append(flag)


def state_query() -> Any:
    """``SELECT`` of the state columns, to be narrowed with ``.where`` by the caller."""
    return select(*_STATE_COLUMNS)


def state_from_row(row: Any) -> MessageState:
    return MessageState(
        id=row.id,
        account_id=row.account_id,
        status=row.status,
        billing=row.billing,
        price_micros=row.price_micros,
        currency=row.currency,
        flags=list(row.flags),
        callback_url=row.callback_url,
        client_ref=row.client_ref,
        to_e164=row.to_e164,
        country=row.country,
        segments=row.segments,
        channel=row.channel,
        route_index=row.route_index,
        claim_token=row.claim_token,
        claimed_at=row.claimed_at,
        next_attempt_at=row.next_attempt_at,
        submitted_at=row.submitted_at,
        final_at=row.final_at,
        last_error=row.last_error,
        valid_until=row.valid_until,
        updated_at=row.updated_at,
    )


def load_states(connection: Connection, message_ids: Iterable[str]) -> dict[str, MessageState]:
    """The current state of the given messages (missing ids are absent), locked for update."""
    ids = sorted(set(message_ids))
    if not ids:
        return {}
    rows = connection.execute(state_query().where(messages.c.id.in_(ids)).with_for_update())
    return {row.id: state_from_row(row) for row in rows}


def error_document(error: ErrorDetail | None) -> dict[str, Any] | None:
    if error is None:
        return None
    return {"stat": error.stat, "err": error.err, "detail": error.detail}


def error_from_document(document: dict[str, Any] | None) -> ErrorDetail | None:
    if document is None:
        return None
    return ErrorDetail(
        detail=str(document.get("detail") or ""),
        stat=document.get("stat"),
        err=document.get("err"),
    )


_MESSAGE_UPDATE = (
    messages.update()
    .where(messages.c.id == bindparam("b_id"))
    .values(
        status=bindparam("b_status"),
        billing=bindparam("b_billing"),
        flags=bindparam("b_flags"),
        channel=bindparam("b_channel"),
        route_index=bindparam("b_route_index"),
        claim_token=bindparam("b_claim_token"),
        claimed_at=bindparam("b_claimed_at"),
        next_attempt_at=bindparam("b_next_attempt_at"),
        submitted_at=bindparam("b_submitted_at"),
        final_at=bindparam("b_final_at"),
        last_error=bindparam("b_last_error"),
        updated_at=bindparam("b_updated_at"),
    )
)


class Transitions:
    """Changes to message rows collected during one bulk operation, then written at once."""

    def __init__(self, context: StorageContext) -> None:
        self._context = context
        self._dirty: dict[str, MessageState] = {}
        self._events: list[dict[str, Any]] = []
        self._ledger: list[ledger_moves.LedgerMove] = []
        self._webhooks: list[tuple[MessageState, WebhookEvent]] = []

    def change(
        self,
        state: MessageState,
        status: MessageStatus,
        at: datetime,
        *,
        detail: dict[str, Any] | None = None,
        error: ErrorDetail | None = None,
    ) -> None:
        """Move ``state`` to ``status``: event, billing per policy, webhook unless ``queued``.

        Any claim on the message ends: whoever held it has reported its outcome.
        """
        state.status = status
        state.updated_at = at
        state.claim_token = None
        state.claimed_at = None
        if status == "submitted":
            state.submitted_at = at
        if status in FINAL_STATUSES:
            state.final_at = at
        if error is not None:
            state.last_error = error_document(error)
        self._dirty[state.id] = state
        self._events.append({"message_id": state.id, "status": status, "at": at, "detail": detail})
        self._bill(state, status, at)
        if status != "queued":
            self._webhooks.append((state, self._webhook_event(state, status, at, error)))

    def note(self, state: MessageState, at: datetime, detail: dict[str, Any]) -> None:
        """Record something that happened without a status change (a failover, a recovery)."""
        state.updated_at = at
        self._dirty[state.id] = state
        self._events.append(
            {"message_id": state.id, "status": state.status, "at": at, "detail": detail}
        )

    def touch(self, state: MessageState) -> None:
        """Write ``state`` back although no event is due (e.g. a part-only update)."""
        self._dirty[state.id] = state

    def _bill(self, state: MessageState, status: str, at: datetime) -> None:
        if state.billing != "reserved":
            return
        refund_on_reject = self._context.refund_on_reject
        if status == "submitted":
            if refund_on_reject:
                return  # the reserve waits for the final state
            state.billing = "settled"
            move = ledger_moves.settle(state.account_id, state.id, state.price_micros, at)
        elif status in FINAL_STATUSES:
            never_reached_carrier = status in ("failed", "canceled")
            if never_reached_carrier or (status == "rejected" and refund_on_reject):
                state.billing = "refunded"
                move = ledger_moves.refund(state.account_id, state.id, state.price_micros, at)
            else:
                state.billing = "settled"
                move = ledger_moves.settle(state.account_id, state.id, state.price_micros, at)
        else:
            return
        self._ledger.append(move)

    def _webhook_event(
        self, state: MessageState, status: MessageStatus, at: datetime, error: ErrorDetail | None
    ) -> WebhookEvent:
        if error is None and status not in ("submitted", "delivered"):
            error = error_from_document(state.last_error)
        return WebhookEvent(
            event_id=new_id("evt"),
            account_id=state.account_id,
            message_id=state.id,
            status=status,
            at=at,
            to_e164=state.to_e164,
            country=state.country,
            client_ref=state.client_ref,
            segments=state.segments,
            price_micros=state.price_micros,
            currency=state.currency,
            flags=tuple(state.flags),
            channel=state.channel,
            error=error,
        )

    def write(self, connection: Connection) -> None:
        """Write every collected change; the caller's transaction commits them together."""
        if self._dirty:
            connection.execute(
                _MESSAGE_UPDATE, [_update_parameters(state) for state in self._dirty.values()]
            )
        if self._events:
            connection.execute(message_events.insert(), self._events)
        ledger_moves.write_ledger(connection, self._ledger)
        self._write_outbox(connection)
        self._dirty = {}
        self._events = []
        self._ledger = []
        self._webhooks = []

    def _write_outbox(self, connection: Connection) -> None:
        if not self._webhooks:
            return
        need_endpoint = sorted(
            {state.account_id for state, _ in self._webhooks if not state.callback_url}
        )
        endpoint_urls: dict[str, str] = {}
        if need_endpoint:
            rows = connection.execute(
                select(webhook_endpoints.c.account_id, webhook_endpoints.c.url).where(
                    webhook_endpoints.c.account_id.in_(need_endpoint)
                )
            )
            endpoint_urls = {row.account_id: row.url for row in rows}
        build = self._context.payload_builder
        rows_to_insert = []
        for state, event in self._webhooks:
            url = state.callback_url or endpoint_urls.get(state.account_id)
            if url is None:
                continue
            rows_to_insert.append(
                {
                    "id": event.event_id,
                    "account_id": state.account_id,
                    "message_id": state.id,
                    "url": url,
                    "payload": build(event),
                    "status": "pending",
                    "attempts": 0,
                    "next_attempt_at": event.at,
                    "created_at": event.at,
                }
            )
        if rows_to_insert:
            connection.execute(webhook_outbox.insert(), rows_to_insert)


def _update_parameters(state: MessageState) -> dict[str, Any]:
    return {
        "b_id": state.id,
        "b_status": state.status,
        "b_billing": state.billing,
        "b_flags": cast(Any, state.flags),
        "b_channel": state.channel,
        "b_route_index": state.route_index,
        "b_claim_token": state.claim_token,
        "b_claimed_at": state.claimed_at,
        "b_next_attempt_at": state.next_attempt_at,
        "b_submitted_at": state.submitted_at,
        "b_final_at": state.final_at,
        "b_last_error": state.last_error,
        "b_updated_at": state.updated_at,
    }
