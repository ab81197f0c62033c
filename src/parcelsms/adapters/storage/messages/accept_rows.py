"""Accepting messages: idempotency, balance reservation and the queued row, set-based.

For a group of items (of any accounts) the bulk function issues a fixed number of statements:
look up idempotency keys, read (and lock) the accounts and their usable packages, read what
was recently sent to the recipients whose per-recipient rule applies (:mod:`.recent_send_rows`),
which recipients opted out or are blacklisted, and the day's use of the accounts whose items
carry a daily rule (:mod:`.daily_usage_rows`), then one
``executemany`` each for messages, events, ledger rows and account balances (rows as tuples,
through :class:`~.bulk_statements.BulkStatement`). The per-item decisions — replay,
conflict, who pays (a package or the balance, :mod:`.accept_billing`), insufficient balance
— are made in memory in arrival order, so an item sees the balance and package segments
left by the items before it in the same group.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any, NamedTuple

from sqlalchemy import bindparam, select
from sqlalchemy.engine import Connection

from parcelsms.adapters.storage.context import StorageContext
from parcelsms.adapters.storage.engine.bulk_statements import insert_statement
from parcelsms.adapters.storage.engine.conditions import in_json_array, pair_in
from parcelsms.adapters.storage.engine.driver_queries import SqliteDriverQuery
from parcelsms.adapters.storage.engine.query_results import run_query
from parcelsms.adapters.storage.engine.schema.column_types import sqlite_datetime
from parcelsms.adapters.storage.engine.schema.message_tables import message_events, messages
from parcelsms.adapters.storage.inbound.recipient_block_rows import (
    add_refusal_counts,
    read_blocked_recipients,
)
from parcelsms.adapters.storage.messages import ledger_rows as ledger_moves
from parcelsms.adapters.storage.messages.accept_billing_rows import AcceptBilling, Funding
from parcelsms.adapters.storage.messages.daily_usage_rows import DailyUsageCounts
from parcelsms.adapters.storage.messages.recent_send_rows import RecentSends
from parcelsms.adapters.storage.reports.rollup_rows import count_accepted
from parcelsms.domain.error_catalogue import error
from parcelsms.domain.ids import new_id_at
from parcelsms.domain.status import MessageStatus
from parcelsms.errors import CatalogueError
from parcelsms.pipeline.message_ports import Accepted, IdempotentRequest, NewMessage

AcceptResult = Accepted | CatalogueError

_REPLAY_COLUMNS = (
    messages.c.id,
    messages.c.account_id,
    messages.c.idempotency_key,
    messages.c.request_hash,
    messages.c.status,
    messages.c.to_e164,
    messages.c.country,
    messages.c.encoding,
    messages.c.segments,
    messages.c.price_micros,
    messages.c.currency,
    messages.c.client_ref,
    messages.c.created_at,
)


class _ReplayRow(NamedTuple):
    """A message as :data:`_REPLAY_COLUMNS` reads it (from SQLite's cursor)."""

    id: str
    account_id: str
    idempotency_key: str
    request_hash: str | None
    status: str
    to_e164: str
    country: str
    encoding: str
    segments: int
    price_micros: int
    currency: str
    client_ref: str | None
    created_at: datetime | None


# The messages already made with a group's idempotency keys, on SQLite: one statement text per
# account whatever the number of keys (a JSON array), run on the driver's cursor
# (driver_queries.py). Through Core, the OR of expanding INs was built and compiled anew for
# every transaction: 0.29 ms more CPU to accept a message sent with an Idempotency-Key than one
# without (2026-12-06). ``IN (json_each)`` implies the key is not NULL, so SQLite uses the
# partial index of keys and looks each key up; with the index's condition also stated, SQLite
# took ``idempotency_key IS NOT NULL`` for a range and walked every key of the account instead
# (3.2 ms at 30,000 keys; test_hot_lookup_plans.py asserts the lookup by key).
_SQLITE_REPLAYS = SqliteDriverQuery(
    select(*_REPLAY_COLUMNS).where(
        messages.c.account_id == bindparam("b_account"),
        in_json_array(messages.c.idempotency_key, "b_keys"),
    )
)


# The columns a new message is inserted with (the others start NULL).
_MESSAGE_INSERT = insert_statement(
    messages,
    (
        "id",
        "account_id",
        "to_e164",
        "country",
        "template_id",
        "language",
        "body",
        "encoding",
        "segments",
        "price_micros",
        "currency",
        "billing",
        "package_id",
        "sender_id",
        "client_ref",
        "callback_url",
        "status",
        "route_plan",
        "route_index",
        "next_attempt_at",
        "valid_until",
        "flags",
        "idempotency_key",
        "request_hash",
        "created_at",
        "updated_at",
    ),
)
_EVENT_INSERT = insert_statement(message_events, ("message_id", "status", "at", "detail"))


class AcceptOperation:
    """The bulk function behind :meth:`MessageStore.accept_messages`."""

    def __init__(self, context: StorageContext) -> None:
        self._context = context

    def __call__(self, connection: Connection, items: list[NewMessage]) -> Sequence[AcceptResult]:
        now = self._context.clock()
        owners = self._existing_owners(connection, items)
        billing = AcceptBilling.load(connection, [item.account_id for item in items], now)
        recent = RecentSends.load(connection, items, now)
        blocked = _blocked_recipients(connection, items)
        daily = DailyUsageCounts.load(connection, items, now)
        refused: dict[str, Counter[str]] = {}

        results: list[AcceptResult] = []
        message_rows: list[tuple[Any, ...]] = []
        event_rows: list[tuple[Any, ...]] = []
        moves: list[ledger_moves.LedgerMove] = []
        for item in items:
            key = (item.account_id, item.idempotency_key)
            if item.idempotency_key is not None and key in owners:
                results.append(owners[key].answer(item.request_hash))
                continue
            status = billing.status(item.account_id)
            if status is None:
                results.append(error("not_found", "No such account.", field="account_id"))
                continue
            if status != "active":
                results.append(error("account_suspended", field="account_id"))
                continue
            # The limits first: a number both opted out and over a limit is refused for
            # the limit (the refusal the sender can act on by waiting).
            refusal = recent.refusal(item, now) or daily.refusal(item)
            if refusal is not None:
                results.append(refusal)
                continue
            reason = blocked.get((item.account_id, item.to_e164)) if item.check_blocks else None
            if reason is not None:
                results.append(error(reason, field="to"))
                refused.setdefault(item.account_id, Counter())[reason] += 1
                continue
            funding = billing.pay(item)
            if isinstance(funding, CatalogueError):
                results.append(funding)
                continue
            accepted = self._insert_rows(item, funding, now, message_rows, event_rows, moves)
            recent.add(item, now)
            daily.add(item, funding.price_micros)
            if item.idempotency_key is not None:
                owners[key] = IdempotentRequest(request_hash=item.request_hash, accepted=accepted)
            results.append(accepted)

        if message_rows:
            _MESSAGE_INSERT.execute(connection, message_rows)
            _EVENT_INSERT.execute(connection, event_rows)
            ledger_moves.write_ledger(connection, moves)
            count_accepted(connection, _MESSAGE_INSERT.names, message_rows)
        billing.finish(connection)
        daily.write(connection)
        if refused:
            day = now.astimezone(UTC).date().isoformat()
            for account_id, counts in refused.items():
                add_refusal_counts(connection, account_id, day, counts)
        return results

    def _insert_rows(
        self,
        item: NewMessage,
        funding: Funding,
        now: datetime,
        message_rows: list[tuple[Any, ...]],
        event_rows: list[tuple[Any, ...]],
        moves: list[ledger_moves.LedgerMove],
    ) -> Accepted:
        message_id = new_id_at("msg", now)
        message_rows.append(
            (
                message_id,
                item.account_id,
                item.to_e164,
                item.country,
                item.template_id,
                item.language,
                item.body,
                item.encoding,
                item.segments,
                funding.price_micros,
                item.currency,
                "reserved",
                funding.package_id,
                item.sender_id,
                item.client_ref,
                item.callback_url,
                "queued",
                list(item.route_plan),
                0,
                now,
                item.valid_until,
                [],
                item.idempotency_key,
                item.request_hash,
                now,
                now,
            )
        )
        event_rows.append((message_id, "queued", now, None))
        moves.append(ledger_moves.reserve(item.account_id, message_id, funding.price_micros, now))
        if funding.package_id is not None:
            moves.append(
                ledger_moves.package_use(
                    item.account_id, message_id, funding.package_id, item.segments, now
                )
            )
        return Accepted(
            message_id=message_id,
            account_id=item.account_id,
            status=MessageStatus.QUEUED,
            to_e164=item.to_e164,
            country=item.country,
            encoding=item.encoding,
            segments=item.segments,
            price_micros=funding.price_micros,
            currency=item.currency,
            client_ref=item.client_ref,
            created_at=now,
        )

    def _existing_owners(
        self, connection: Connection, items: list[NewMessage]
    ) -> dict[tuple[str, str | None], IdempotentRequest]:
        keys: set[tuple[str, str]] = set()
        for item in items:
            if item.idempotency_key is not None:
                keys.add((item.account_id, item.idempotency_key))
        if not keys:
            return {}
        rows: Sequence[Any]
        if connection.dialect.name == "sqlite":
            found = _SQLITE_REPLAYS.rows_per_group(
                connection, sorted(keys), group="b_account", keys="b_keys"
            )
            rows = [_ReplayRow._make((*row[:12], sqlite_datetime(row[12]))) for row in found]
        else:
            rows = run_query(
                connection,
                select(*_REPLAY_COLUMNS).where(
                    pair_in(messages.c.account_id, messages.c.idempotency_key, keys),
                    messages.c.idempotency_key.is_not(None),
                ),
            ).all()
        return {(row.account_id, row.idempotency_key): _idempotent_request(row) for row in rows}


def _blocked_recipients(
    connection: Connection, items: list[NewMessage]
) -> dict[tuple[str, str], str]:
    """``(account, number)`` of the items that check blocks and may not be texted, with the
    catalogued reason: one statement per account in the group (usually one)."""
    numbers: dict[str, set[str]] = {}
    for item in items:
        if item.check_blocks:
            numbers.setdefault(item.account_id, set()).add(item.to_e164)
    found: dict[tuple[str, str], str] = {}
    for account_id, wanted in numbers.items():
        for number, reason in read_blocked_recipients(
            connection, account_id, sorted(wanted)
        ).items():
            found[(account_id, number)] = reason
    return found


def read_idempotent_request(
    connection: Connection, account_id: str, idempotency_key: str
) -> IdempotentRequest | None:
    """The message ``account_id`` created with ``idempotency_key`` (a reader's query)."""
    row = run_query(
        connection,
        select(*_REPLAY_COLUMNS).where(
            messages.c.account_id == account_id, messages.c.idempotency_key == idempotency_key
        ),
    ).first()
    return None if row is None else _idempotent_request(row)


def _idempotent_request(row: Any) -> IdempotentRequest:
    return IdempotentRequest(
        request_hash=row.request_hash,
        accepted=Accepted(
            message_id=row.id,
            account_id=row.account_id,
            status=row.status,
            to_e164=row.to_e164,
            country=row.country,
            encoding=row.encoding,
            segments=row.segments,
            price_micros=row.price_micros,
            currency=row.currency,
            client_ref=row.client_ref,
            created_at=row.created_at,
        ),
    )
