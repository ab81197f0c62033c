"""Column types the tables share: UTC times, JSON documents, ids.

:class:`UtcDateTime` keeps every time zone-aware UTC on every backend; :func:`json_column`
stores ``None`` as SQL NULL; :data:`AutoIncrementId` is an integer key on every backend;
:data:`ID` is the length of a prefixed id.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, DateTime, Dialect, Integer
from sqlalchemy.types import TypeDecorator

from parcelsms.domain.utc_text import utc_text


class UtcDateTime(TypeDecorator[datetime]):
    """A timezone-aware UTC ``datetime`` on every backend.

    SQLite has no time zone type: values are stored as naive UTC text
    ``YYYY-MM-DD HH:MM:SS.ffffff`` (SQLAlchemy's own format, which sorts correctly) and come
    back marked UTC. On SQLite the conversion is done here with the C-level ``isoformat`` /
    ``fromisoformat`` instead of SQLAlchemy's generic processors: timestamps are on every
    hot row, and this halves their cost. Naive values are refused on the way in, because a
    naive time silently shifted by the server's zone is the classic billing-report bug.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def bind_processor(self, dialect: Dialect) -> Callable[[Any], Any] | None:
        if dialect.name == "sqlite":
            return sqlite_text
        return super().bind_processor(dialect)

    def result_processor(self, dialect: Dialect, coltype: Any) -> Callable[[Any], Any] | None:
        if dialect.name == "sqlite":
            return sqlite_datetime
        return super().result_processor(dialect, coltype)

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return _aware(value).astimezone(UTC)

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if not isinstance(value, datetime):
            raise TypeError(f"expected a datetime from the database, got {type(value)!r}")
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _aware(value: datetime) -> datetime:
    if value.tzinfo is None:
        raise ValueError("naive datetime given to the database; use UTC-aware times")
    return value


def sqlite_text(value: datetime | None) -> str | None:
    """An aware ``datetime`` (or ``None``) as a :class:`UtcDateTime` column's SQLite text (for
    code that binds values on the driver's cursor); a naive one raises ``ValueError``."""
    if value is None:
        return None
    text = utc_text(_aware(value))  # isoformat's text, in a quarter of the time
    return (text[:10] + b" " + text[11:]).decode("ascii")


def sqlite_datetime(value: str | None) -> datetime | None:
    """A :class:`UtcDateTime` column's SQLite text (or NULL) as an aware UTC datetime (also
    for code that reads rows with the driver's cursor)."""
    if value is None:
        return None
    return datetime.fromisoformat(value).replace(tzinfo=UTC)


def json_column() -> JSON:
    """A JSON column type; ``None`` is SQL NULL."""
    # none_as_null: a Python None is SQL NULL, not the JSON text 'null'.
    return JSON(none_as_null=True)


# SQLite only makes INTEGER PRIMARY KEY an alias of the rowid; PostgreSQL wants BIGINT.
AutoIncrementId = BigInteger().with_variant(Integer(), "sqlite")

ID = 32  # "msg_" + 26 characters, with room for longer prefixes
