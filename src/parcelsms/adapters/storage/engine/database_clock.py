"""The database server's clock, for times several machines must agree on (leases)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

from sqlalchemy import text
from sqlalchemy.engine import Connection


def database_now(connection: Connection, local: Callable[[], datetime]) -> datetime:
    """PostgreSQL: the server's time at the start of the transaction (``now()``); it is
    never later than the moment the caller asked, so a lease computed from it ends early
    rather than late. SQLite: every process is on one machine, so ``local()`` serves."""
    if connection.dialect.name != "postgresql":
        return local()
    value = connection.execute(text("SELECT now()")).scalar_one()
    assert isinstance(value, datetime)
    return value.astimezone(UTC)
