"""The message search (console and ``GET /v1/messages``) reads a stretch of one index per
filter, newest first, never the account's whole history: on an account with 1M messages a
walk through its ``(account_id, id)`` index costs half a second or more per page
(``bench/console_pages.py``)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.dialects import sqlite
from sqlalchemy.engine import Connection

from parcelsms.adapters.storage.engine.migrate import migrate_blocking
from parcelsms.adapters.storage.engine.sqlite_engine import create_sqlite_engine
from parcelsms.adapters.storage.messages.message_query_rows import message_page_query
from parcelsms.domain.status import MessageStatus
from parcelsms.pipeline.message_ports import MessageFilter

DAY = datetime(2026, 1, 1, tzinfo=UTC)
NEXT_DAY = datetime(2026, 1, 2, tzinfo=UTC)


@pytest.fixture(scope="module")
def connection(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Connection]:
    path: Path = tmp_path_factory.mktemp("plans") / "plans.db"
    url = f"sqlite:///{path}"
    migrate_blocking(url)
    engine = create_sqlite_engine(url)
    try:
        with engine.connect() as opened:
            yield opened
    finally:
        engine.dispose()


def _plan(connection: Connection, statement: Any) -> list[str]:
    compiled = statement.compile(dialect=sqlite.dialect())
    parameters = [compiled.params[name] for name in compiled.positiontup or ()]
    rows = connection.exec_driver_sql(f"EXPLAIN QUERY PLAN {compiled}", tuple(parameters))
    return [row[3] for row in rows]


@pytest.mark.parametrize(
    ("name", "filters", "expected"),
    [
        ("no filter", MessageFilter(), "ix_messages_account_id_id (account_id=?)"),
        (
            "status",
            MessageFilter(status=MessageStatus.CANCELED),
            "ix_messages_account_id_status_id (account_id=? AND status=?)",
        ),
        (
            "country",
            MessageFilter(country="JP"),
            "ix_messages_account_id_country_id (account_id=? AND country=?)",
        ),
        (
            "number",
            MessageFilter(to_e164="+447700900123"),
            "ix_messages_account_id_to_e164_id (account_id=? AND to_e164=?)",
        ),
        (
            "client_ref",
            MessageFilter(client_ref="order-1"),
            "ix_messages_account_id_client_ref_id (account_id=? AND client_ref=?)",
        ),
        (
            "date range",
            MessageFilter(since=DAY, until=NEXT_DAY),
            "ix_messages_account_id_id (account_id=? AND id>? AND id<?)",
        ),
        (
            "country in a date range",
            MessageFilter(country="US", since=DAY, until=NEXT_DAY),
            "(account_id=? AND country=? AND id>? AND id<?)",
        ),
        (
            "status since a day",
            MessageFilter(status=MessageStatus.FAILED, since=DAY),
            "(account_id=? AND status=? AND id>?)",
        ),
    ],
)
def test_each_message_search_filter_reads_a_stretch_of_an_index(
    connection: Connection, name: str, filters: MessageFilter, expected: str
) -> None:
    plan = _plan(connection, message_page_query("acc_x", filters, None, 50))
    assert any(step.startswith("SEARCH messages USING") and expected in step for step in plan), (
        name,
        plan,
    )
    # Newest first straight from the index: no sort of the matching rows.
    assert not any("TEMP B-TREE" in step for step in plan), (name, plan)
