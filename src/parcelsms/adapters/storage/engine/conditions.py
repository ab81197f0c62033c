"""SQL conditions shared by the bulk operations."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import msgspec
from sqlalchemy import ColumnElement, and_, bindparam, false, func, or_, select


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


def in_json_array(column: ColumnElement[Any], parameter: str) -> ColumnElement[bool]:
    """``column IN (the values of the JSON array bound as parameter)`` (SQLite's ``json_each``).

    One statement text whatever the number of values: an expanding ``IN`` is rendered again
    for every execution, and its text differs by count (SQLite parses each anew).
    """
    values = func.json_each(bindparam(parameter)).table_valued("value")
    return column.in_(select(values.c.value).scalar_subquery())


def json_array(values: Iterable[Any]) -> str:
    """``values`` as the JSON array text an :func:`in_json_array` parameter is bound to."""
    return msgspec.json.encode(list(values)).decode()
