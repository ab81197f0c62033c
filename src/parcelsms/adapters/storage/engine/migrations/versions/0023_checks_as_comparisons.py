"""The checks of the rows written for every message, as comparisons instead of IN lists.

``messages.status``, ``messages.billing``, ``ledger.kind`` and ``webhook_outbox.status`` were
checked with ``IN (...)``, which SQLite evaluates through a temporary index it builds and
searches for the rows a statement writes: about 25 µs of the write lock per message on 2
cores (figures in ``schema/checks.py``). The new conditions allow exactly the same values.

On SQLite no table is copied: the CHECK text is changed in the schema, as SQLite's
documentation describes for changing constraints that existing rows already satisfy
("Making Other Kinds Of Table Schema Changes": ``writable_schema``, then ``schema_version``
raised so that every connection reads the schema again). A copy would rebuild ``messages``,
the largest table, with its nine indexes, and trip the foreign keys that point at it. The
old condition is looked for by its exact list of values; anything else stops the migration
unchanged. On PostgreSQL the constraints are dropped and added again (a scan of each table).

Revision ID: 0023
Revises: 0022
Create Date: 2026-12-07
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from alembic import op

revision: str = "0023"
down_revision: str | None = "0022"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# (table, constraint, column, values) as the tables declared them at this revision: copied, not
# imported, so that the migration keeps describing this revision when the lists change later.
_CHECKS: tuple[tuple[str, str, str, tuple[str, ...]], ...] = (
    (
        "messages",
        "ck_messages_status",
        "status",
        (
            "scheduled",
            "queued",
            "submitted",
            "delivered",
            "undelivered",
            "expired",
            "rejected",
            "failed",
            "canceled",
        ),
    ),
    ("messages", "ck_messages_billing", "billing", ("reserved", "settled", "refunded")),
    (
        "ledger",
        "ck_ledger_kind",
        "kind",
        (
            "topup",
            "reserve",
            "settle",
            "refund",
            "package_grant",
            "package_use",
            "package_refund",
        ),
    ),
    ("webhook_outbox", "ck_webhook_outbox_status", "status", ("pending", "delivered", "dead")),
)


def _as_list(column: str, values: Sequence[str]) -> str:
    return f"{column} IN ({', '.join(repr(value) for value in values)})"


def _as_comparisons(column: str, values: Sequence[str]) -> str:
    return " OR ".join(f"{column} = '{value}'" for value in values)


def upgrade() -> None:
    _change(to_comparisons=True)


def downgrade() -> None:
    _change(to_comparisons=False)


def _change(*, to_comparisons: bool) -> None:
    if op.get_bind().dialect.name == "sqlite":
        _rewrite_sqlite_schema(to_comparisons=to_comparisons)
        return
    for table, name, column, values in _CHECKS:
        condition = _as_comparisons(column, values) if to_comparisons else _as_list(column, values)
        op.drop_constraint(op.f(name), table, type_="check")
        op.create_check_constraint(op.f(name), table, condition)


def _rewrite_sqlite_schema(*, to_comparisons: bool) -> None:
    connection = op.get_bind()
    tables: dict[str, str] = {}
    for table, name, column, values in _CHECKS:
        sql = tables.get(table)
        if sql is None:
            sql = connection.exec_driver_sql(
                "SELECT sql FROM sqlite_master WHERE type = 'table' AND name = ?", (table,)
            ).scalar_one()
        old, new = _as_list(column, values), _as_comparisons(column, values)
        if not to_comparisons:
            old, new = new, old
        clause = re.compile(rf'(CONSTRAINT "?{name}"? CHECK \(){re.escape(old)}\)')
        found = clause.findall(sql)
        if len(found) != 1:
            raise RuntimeError(
                f"migration 0023: the check {name} of {table} is not the one this migration "
                f"knows ({old}); the schema was left unchanged"
            )
        (prefix,) = found
        tables[table] = sql.replace(f"{prefix}{old})", f"{prefix}{new})")
    (version,) = connection.exec_driver_sql("PRAGMA schema_version").one()
    connection.exec_driver_sql("PRAGMA writable_schema = ON")
    try:
        for table, sql in tables.items():
            connection.exec_driver_sql(
                "UPDATE sqlite_master SET sql = ? WHERE type = 'table' AND name = ?",
                (sql, table),
            )
        connection.exec_driver_sql(f"PRAGMA schema_version = {int(version) + 1}")
    finally:
        connection.exec_driver_sql("PRAGMA writable_schema = OFF")
