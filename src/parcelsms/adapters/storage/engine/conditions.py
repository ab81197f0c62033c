"""SQL conditions shared by the bulk operations."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import ColumnElement, and_, false, or_


def pair_in(
    first: ColumnElement[Any], second: ColumnElement[Any], pairs: Iterable[tuple[Any, Any]]
) -> ColumnElement[bool]:
    """``(first, second) IN pairs``, written so that a two-column index serves it.

    SQLite scans the whole table for a row-value ``IN``; grouped as ``(first = a AND
    second IN (...)) OR ...`` every term is an index search, on PostgreSQL as well.
    """
    grouped: dict[Any, list[Any]] = {}
    for value, other in pairs:
        grouped.setdefault(value, []).append(other)
    if not grouped:
        return false()
    return or_(
        *(
            and_(first == value, second.in_(sorted(set(others))))
            for value, others in sorted(grouped.items())
        )
    )
