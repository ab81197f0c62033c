"""Account rows: creation, top-ups, status, key usage, and the ledger totals check.

Writes here are rare operator or API actions; each runs item by item inside the writer's
group transaction. Balances only move through :func:`~.ledger.write_ledger`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from sqlalchemy import bindparam, func, select
from sqlalchemy.engine import Connection

from parcelsms.adapters.storage.context import StorageContext
from parcelsms.adapters.storage.engine.schema.account_tables import accounts, api_keys
from parcelsms.adapters.storage.engine.schema.billing_tables import ledger
from parcelsms.adapters.storage.messages import ledger_rows as ledger_moves
from parcelsms.domain.error_catalogue import error
from parcelsms.domain.ids import new_id
from parcelsms.domain.money import balance_overflow, balance_room
from parcelsms.errors import StorageError
from parcelsms.pipeline.account_security_ports import Account
from parcelsms.pipeline.message_ports import LedgerTotals


@dataclass(frozen=True, slots=True)
class NewAccount:
    name: str
    balance_micros: int
    currency: str


@dataclass(frozen=True, slots=True)
class TopUp:
    account_id: str
    micros: int
    note: str | None


@dataclass(frozen=True, slots=True)
class AccountStatusChange:
    account_id: str
    status: Literal["active", "suspended"]


@dataclass(frozen=True, slots=True)
class KeyUse:
    key_id: str
    at: datetime


def account_from_row(row: Any) -> Account:
    return Account(
        id=row.id,
        name=row.name,
        status=row.status,
        currency=row.currency,
        balance_micros=row.balance_micros,
        reserved_micros=row.reserved_micros,
        created_at=row.created_at,
        time_zone=row.time_zone,
    )


def read_account(connection: Connection, account_id: str) -> Account | None:
    row = connection.execute(select(accounts).where(accounts.c.id == account_id)).first()
    return None if row is None else account_from_row(row)


def read_account_by_name(connection: Connection, name: str) -> Account | None:
    row = connection.execute(select(accounts).where(accounts.c.name == name)).first()
    return None if row is None else account_from_row(row)


def _existing_account(connection: Connection, account_id: str) -> Account:
    account = read_account(connection, account_id)
    if account is None:
        raise error("not_found", "No such account.", field="account_id")
    return account


class AccountOperations:
    """Bulk functions for account writes (one item at a time inside the group)."""

    def __init__(self, context: StorageContext) -> None:
        self._context = context

    def create(self, connection: Connection, items: list[NewAccount]) -> Sequence[Account]:
        results = []
        for item in items:
            if read_account_by_name(connection, item.name) is not None:
                raise StorageError(f"an account named {item.name!r} already exists")
            now = self._context.clock()
            account_id = new_id("acc")
            connection.execute(
                accounts.insert().values(
                    id=account_id,
                    name=item.name,
                    status="active",
                    currency=item.currency,
                    balance_micros=0,
                    reserved_micros=0,
                    created_at=now,
                )
            )
            if item.balance_micros:
                ledger_moves.write_ledger(
                    connection,
                    [
                        ledger_moves.LedgerMove(
                            account_id, None, "topup", item.balance_micros, 0, now, "opening"
                        )
                    ],
                )
            results.append(_existing_account(connection, account_id))
        return results

    def top_up(self, connection: Connection, items: list[TopUp]) -> Sequence[Account]:
        results = []
        for item in items:
            account = _existing_account(connection, item.account_id)
            if item.micros > balance_room(account.balance_micros, account.reserved_micros):
                raise balance_overflow("amount", account.balance_micros, account.reserved_micros)
            ledger_moves.write_ledger(
                connection,
                [
                    ledger_moves.LedgerMove(
                        item.account_id,
                        None,
                        "topup",
                        item.micros,
                        0,
                        self._context.clock(),
                        item.note,
                    )
                ],
            )
            results.append(_existing_account(connection, item.account_id))
        return results

    def set_status(
        self, connection: Connection, items: list[AccountStatusChange]
    ) -> Sequence[Account | None]:
        results: list[Account | None] = []
        for item in items:
            connection.execute(
                accounts.update().where(accounts.c.id == item.account_id).values(status=item.status)
            )
            results.append(read_account(connection, item.account_id))
        return results

    def touch_keys(self, connection: Connection, items: list[KeyUse]) -> Sequence[None]:
        connection.execute(
            api_keys.update()
            .where(api_keys.c.id == bindparam("b_id"))
            .values(last_used_at=bindparam("b_at")),
            [{"b_id": item.key_id, "b_at": item.at} for item in items],
        )
        return [None] * len(items)


def read_ledger_totals(connection: Connection, account_id: str) -> LedgerTotals | None:
    account = read_account(connection, account_id)
    if account is None:
        return None
    rows = connection.execute(
        select(
            ledger.c.kind,
            func.count(),
            func.coalesce(func.sum(ledger.c.amount_micros), 0),
            func.coalesce(func.sum(ledger.c.reserved_delta_micros), 0),
        )
        .where(ledger.c.account_id == account_id)
        .group_by(ledger.c.kind)
    )
    entries: dict[str, int] = {}
    amount = reserved = 0
    for kind, count, amount_sum, reserved_sum in rows:
        entries[kind] = int(count)
        amount += int(amount_sum)
        reserved += int(reserved_sum)
    return LedgerTotals(
        balance_micros=account.balance_micros,
        reserved_micros=account.reserved_micros,
        ledger_amount_micros=amount,
        ledger_reserved_micros=reserved,
        entries_by_kind=entries,
    )
