"""Money checks on a stopped platform's database: nothing billed twice, balances add up.

The queries are plain SQL that SQLite and PostgreSQL both read (``database`` is a
``sqlite3`` connection or a ``database_peek.Peek``)."""

from __future__ import annotations

import sqlite3
from pathlib import Path


def double_billed_messages(database: sqlite3.Connection) -> list[str]:
    """Messages reserved other than once, or settled/refunded more than once."""
    rows = database.execute(
        "SELECT message_id FROM ledger WHERE message_id IS NOT NULL "
        "GROUP BY message_id HAVING SUM(CASE WHEN kind = 'reserve' THEN 1 ELSE 0 END) != 1 "
        "OR SUM(CASE WHEN kind IN ('settle', 'refund') THEN 1 ELSE 0 END) > 1"
    ).fetchall()
    return [row[0] for row in rows]


def unbalanced_accounts(database: sqlite3.Connection) -> list[str]:
    """Accounts whose balance or reserve differs from the sum of their ledger."""
    rows = database.execute(
        "SELECT a.id FROM accounts a WHERE a.balance_micros != "
        "(SELECT COALESCE(SUM(amount_micros), 0) FROM ledger l WHERE l.account_id = a.id) "
        "OR a.reserved_micros != "
        "(SELECT COALESCE(SUM(reserved_delta_micros), 0) FROM ledger l "
        " WHERE l.account_id = a.id)"
    ).fetchall()
    return [row[0] for row in rows]


def audit_ledger(path: Path) -> tuple[list[str], list[str]]:
    """(double-billed messages, unbalanced accounts) of the database file at ``path``."""
    database = sqlite3.connect(path)
    try:
        return double_billed_messages(database), unbalanced_accounts(database)
    finally:
        database.close()
