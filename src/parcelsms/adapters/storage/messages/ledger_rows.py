"""Ledger rows and the account balances they move, written set-based.

Every change of ``accounts.balance_micros`` / ``reserved_micros`` and of a package's
``remaining_segments`` goes through :func:`write_ledger`, which books the ledger rows and
applies their sums to the accounts (and packages) in the same transaction, so
``balance == SUM(amount)``, ``reserved == SUM(reserved_delta)`` and
``remaining_segments == SUM(segments_delta)`` hold by construction.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from sqlalchemy import bindparam
from sqlalchemy.engine import Connection

from parcelsms.adapters.storage.engine.bulk_statements import BulkStatement, insert_statement
from parcelsms.adapters.storage.engine.schema.account_tables import accounts
from parcelsms.adapters.storage.engine.schema.billing_tables import ledger, packages
from parcelsms.domain.ids import new_id

LedgerKind = Literal[
    "topup", "reserve", "settle", "refund", "package_grant", "package_use", "package_refund"
]


@dataclass(init=False, frozen=True, slots=True)
class LedgerMove:
    """One ledger row: ``amount`` moves the available balance, ``reserved_delta`` the reserve,
    ``segments_delta`` the segments of ``package_id``."""

    account_id: str
    message_id: str | None
    kind: LedgerKind
    amount_micros: int
    reserved_delta_micros: int
    at: datetime
    note: str | None = None
    package_id: str | None = None
    segments_delta: int = 0

    # Written out, not the dataclass's: compiled (parcelsms.compiled_modules).
    def __init__(
        self,
        account_id: str,
        message_id: str | None,
        kind: LedgerKind,
        amount_micros: int,
        reserved_delta_micros: int,
        at: datetime,
        note: str | None = None,
        package_id: str | None = None,
        segments_delta: int = 0,
    ) -> None:
        object.__setattr__(self, "account_id", account_id)
        object.__setattr__(self, "message_id", message_id)
        object.__setattr__(self, "kind", kind)
        object.__setattr__(self, "amount_micros", amount_micros)
        object.__setattr__(self, "reserved_delta_micros", reserved_delta_micros)
        object.__setattr__(self, "at", at)
        object.__setattr__(self, "note", note)
        object.__setattr__(self, "package_id", package_id)
        object.__setattr__(self, "segments_delta", segments_delta)


def reserve(account_id: str, message_id: str, price: int, at: datetime) -> LedgerMove:
    return LedgerMove(account_id, message_id, "reserve", -price, price, at)


def settle(account_id: str, message_id: str, price: int, at: datetime) -> LedgerMove:
    return LedgerMove(account_id, message_id, "settle", 0, -price, at)


def refund(account_id: str, message_id: str, price: int, at: datetime) -> LedgerMove:
    return LedgerMove(account_id, message_id, "refund", price, -price, at)


def package_use(
    account_id: str, message_id: str, package_id: str, segments: int, at: datetime
) -> LedgerMove:
    return LedgerMove(
        account_id,
        message_id,
        "package_use",
        0,
        0,
        at,
        package_id=package_id,
        segments_delta=-segments,
    )


def package_refund(
    account_id: str, message_id: str, package_id: str, segments: int, at: datetime
) -> LedgerMove:
    return LedgerMove(
        account_id,
        message_id,
        "package_refund",
        0,
        0,
        at,
        package_id=package_id,
        segments_delta=segments,
    )


# The relative updates run as bulk statements (plain tuples on SQLite's cursor): through
# Core's executemany, a one-row update of the account cost about half a millisecond of every
# accept and submission transaction.
_ACCOUNT_UPDATE = BulkStatement(
    accounts.update()
    .where(accounts.c.id == bindparam("b_id"))
    .values(
        balance_micros=accounts.c.balance_micros + bindparam("b_amount"),
        reserved_micros=accounts.c.reserved_micros + bindparam("b_reserved"),
    ),
    ("b_id", "b_amount", "b_reserved"),
    {},
)


_LEDGER_INSERT = insert_statement(
    ledger,
    (
        "id",
        "account_id",
        "message_id",
        "kind",
        "amount_micros",
        "reserved_delta_micros",
        "created_at",
        "note",
        "package_id",
        "segments_delta",
    ),
)

_PACKAGE_UPDATE = BulkStatement(
    packages.update()
    .where(packages.c.id == bindparam("b_id"))
    .values(remaining_segments=packages.c.remaining_segments + bindparam("b_segments")),
    ("b_id", "b_segments"),
    {},
)


def write_ledger(connection: Connection, moves: list[LedgerMove]) -> None:
    """Insert the rows and add their sums to the accounts (relative updates)."""
    if not moves:
        return
    _LEDGER_INSERT.execute(
        connection,
        [
            (
                new_id("led"),
                move.account_id,
                move.message_id,
                move.kind,
                move.amount_micros,
                move.reserved_delta_micros,
                move.at,
                move.note,
                move.package_id,
                move.segments_delta,
            )
            for move in moves
        ],
    )
    totals: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for move in moves:
        total = totals[move.account_id]
        total[0] += move.amount_micros
        total[1] += move.reserved_delta_micros
    # Sorted so concurrent transactions (PostgreSQL) lock accounts in one order. Rows that
    # move no money (free messages, package movements) leave the account row alone.
    _ACCOUNT_UPDATE.execute(
        connection,
        [
            (account_id, amount, reserved)
            for account_id, (amount, reserved) in sorted(totals.items())
            if amount or reserved
        ],
    )
    segments: dict[str, int] = defaultdict(int)
    for move in moves:
        if move.package_id is not None and move.segments_delta:
            segments[move.package_id] += move.segments_delta
    _PACKAGE_UPDATE.execute(connection, sorted(segments.items()))
