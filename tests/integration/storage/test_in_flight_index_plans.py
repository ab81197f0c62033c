"""The queue, recovery and expiry queries go through the partial indexes of messages in
flight (migration 0012), not through the whole table: on a database holding millions of
final messages, a scan here would cost seconds per claim."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.dialects import sqlite
from sqlalchemy.engine import Connection

from parcelsms.adapters.storage.engine.migrate import migrate_blocking
from parcelsms.adapters.storage.engine.sqlite_engine import create_sqlite_engine
from parcelsms.adapters.storage.messages import dispatch_rows
from parcelsms.adapters.storage.reports import metrics_rows

NOW = datetime(2026, 1, 1, tzinfo=UTC)


def _plan(connection: Connection, statement: Any) -> list[str]:
    compiled = statement.compile(dialect=sqlite.dialect())
    sql = str(compiled)
    parameters = tuple("x" for _ in range(sql.count("?")))
    rows = connection.exec_driver_sql(f"EXPLAIN QUERY PLAN {sql}", parameters)
    return [row[3] for row in rows]


@pytest.mark.parametrize(
    ("name", "statement", "index"),
    [
        ("claim", dispatch_rows._CLAIM, "ix_messages_queue"),
        ("recovery", dispatch_rows.claimed_by_others("token", 100), "ix_messages_queue"),
        (
            "expiry",
            dispatch_rows.overdue_submissions(NOW, timedelta(hours=1), 100),
            "ix_messages_awaiting_receipt",
        ),
        ("queue depth", metrics_rows.QUEUE_DEPTH, None),
    ],
)
def test_the_in_flight_queries_use_the_partial_indexes(
    tmp_path: Path, name: str, statement: Any, index: str | None
) -> None:
    url = f"sqlite:///{tmp_path / 'plans.db'}"
    migrate_blocking(url)
    engine = create_sqlite_engine(url)
    try:
        with engine.connect() as connection:
            plan = _plan(connection, statement)
    finally:
        engine.dispose()
    expected = index or "ix_messages_queue"
    assert any(expected in step for step in plan), (name, plan)
    assert not any(step.startswith("SCAN messages") and expected not in step for step in plan), (
        name,
        plan,
    )
