"""The state of a message row that status changes read, and how it is loaded.

:func:`load_states` reads the columns of :class:`MessageState` (locked ``FOR UPDATE`` on
backends that lock rows); changes are collected on the state with :meth:`MessageState.assign`
and written by :class:`~.transition_rows.Transitions`. The last error of a message is stored
as a small JSON document (:func:`error_document`, :func:`error_from_document`).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import msgspec
from sqlalchemy import Select, select
from sqlalchemy.engine import Connection

from parcelsms.adapters.storage.engine.conditions import in_json_array, json_array
from parcelsms.adapters.storage.engine.driver_queries import SqliteDriverQuery
from parcelsms.adapters.storage.engine.query_results import run_query
from parcelsms.adapters.storage.engine.schema.message_tables import messages
from parcelsms.domain.status import FINAL_STATUSES
from parcelsms.pipeline.message_ports import ErrorDetail

# What status changes read: no timestamps (they are only ever written).
_STATE_COLUMNS = (
    messages.c.id,
    messages.c.account_id,
    messages.c.status,
    messages.c.billing,
    messages.c.price_micros,
    messages.c.package_id,
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
    messages.c.last_error,
    # What the report rollups count the message under (.reports.rollup_rows).
    messages.c.template_id,
    messages.c.created_at,
)


@dataclass(init=False, slots=True)
class MessageState:
    """The columns of a message row that status changes read, and the changes to write.

    Change columns with :meth:`assign` (or :meth:`add_flag`): ``changes`` maps each column
    name to its new value, and :meth:`Transitions.write` writes exactly those.
    """

    id: str
    account_id: str
    status: str
    billing: str
    price_micros: int
    package_id: str | None
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
    last_error: dict[str, Any] | None
    template_id: str | None
    created_at: datetime
    # (status, channel, billing) as the report rollups count the row: as loaded, until
    # the rollups are moved along with a change (rollup_rows.count_state_changes).
    counted_as: tuple[str, str | None, str]
    changes: dict[str, Any] = field(default_factory=dict)

    # Written out, not the dataclass's: compiled (parcelsms.compiled_modules).
    def __init__(
        self,
        id: str,
        account_id: str,
        status: str,
        billing: str,
        price_micros: int,
        package_id: str | None,
        currency: str,
        flags: list[str],
        callback_url: str | None,
        client_ref: str | None,
        to_e164: str,
        country: str,
        segments: int,
        channel: str | None,
        route_index: int,
        claim_token: str | None,
        last_error: dict[str, Any] | None,
        template_id: str | None,
        created_at: datetime,
        counted_as: tuple[str, str | None, str],
        changes: dict[str, Any] | None = None,
    ) -> None:
        self.id = id
        self.account_id = account_id
        self.status = status
        self.billing = billing
        self.price_micros = price_micros
        self.package_id = package_id
        self.currency = currency
        self.flags = flags
        self.callback_url = callback_url
        self.client_ref = client_ref
        self.to_e164 = to_e164
        self.country = country
        self.segments = segments
        self.channel = channel
        self.route_index = route_index
        self.claim_token = claim_token
        self.last_error = last_error
        self.template_id = template_id
        self.created_at = created_at
        self.counted_as = counted_as
        self.changes = {} if changes is None else changes

    @property
    def is_final(self) -> bool:
        return self.status in FINAL_STATUSES

    def assign(self, **columns: Any) -> None:
        """Set message columns (loaded or not) to be written by the transaction."""
        for name, value in columns.items():
            if name in _LOADED:
                setattr(self, name, value)
            self.changes[name] = value

    def add_flag(self, flag: str) -> None:
        if flag not in self.flags:
            self.flags.append(flag)
            self.changes["flags"] = self.flags


_LOADED = frozenset(MessageState.__dataclass_fields__) - {"changes", "counted_as"}


def state_query() -> Select[Any]:
    """``SELECT`` of the state columns, to be narrowed with ``.where`` by the caller."""
    return select(*_STATE_COLUMNS)


def state_from_row(row: Any) -> MessageState:
    return MessageState(
        id=row.id,
        account_id=row.account_id,
        status=row.status,
        billing=row.billing,
        price_micros=row.price_micros,
        package_id=row.package_id,
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
        last_error=row.last_error,
        template_id=row.template_id,
        created_at=row.created_at,
        counted_as=(row.status, row.channel, row.billing),
    )


def load_states(connection: Connection, message_ids: Iterable[str]) -> dict[str, MessageState]:
    """The current state of the given messages (missing ids are absent), locked for update."""
    ids = sorted(set(message_ids))
    if not ids:
        return {}
    if connection.dialect.name == "sqlite":
        return _load_states_from_sqlite(connection, ids)
    rows = run_query(connection, state_query().where(messages.c.id.in_(ids)).with_for_update())
    return {row.id: state_from_row(row) for row in rows}


# The same columns as state_query(), read with the driver's cursor: every receipt and every
# submission loads the states of its messages inside the write transaction. One statement
# text for any number of ids (a JSON array).
_SQLITE_STATES = SqliteDriverQuery(
    select(*_STATE_COLUMNS).where(in_json_array(messages.c.id, "ids"))
)


def _load_states_from_sqlite(connection: Connection, ids: list[str]) -> dict[str, MessageState]:
    rows = _SQLITE_STATES.rows(connection, ids=json_array(ids))
    states = {}
    for (
        message_id,
        account_id,
        status,
        billing,
        price_micros,
        package_id,
        currency,
        flags,
        callback_url,
        client_ref,
        to_e164,
        country,
        segments,
        channel,
        route_index,
        claim_token,
        last_error,
        template_id,
        created_at,
    ) in rows:
        states[message_id] = MessageState(
            id=message_id,
            account_id=account_id,
            status=status,
            billing=billing,
            price_micros=price_micros,
            package_id=package_id,
            currency=currency,
            flags=[] if flags == "[]" else msgspec.json.decode(flags),
            callback_url=callback_url,
            client_ref=client_ref,
            to_e164=to_e164,
            country=country,
            segments=segments,
            channel=channel,
            route_index=route_index,
            claim_token=claim_token,
            last_error=None if last_error is None else msgspec.json.decode(last_error),
            template_id=template_id,
            created_at=datetime.fromisoformat(created_at).replace(tzinfo=UTC),
            counted_as=(status, channel, billing),
        )
    return states


def error_document(error: ErrorDetail | None) -> dict[str, Any] | None:
    if error is None:
        return None
    document = {"stat": error.stat, "err": error.err, "detail": error.detail}
    if error.reason is not None:
        document["reason"] = error.reason
    return document


def error_from_document(document: dict[str, Any] | None) -> ErrorDetail | None:
    if document is None:
        return None
    return ErrorDetail(
        detail=str(document.get("detail") or ""),
        stat=document.get("stat"),
        err=document.get("err"),
        reason=document.get("reason"),
    )
