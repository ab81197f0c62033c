"""Query strings of paged listings (the operator's, the ledger, notifications): known
parameters only, each at most once, plus ``cursor`` and ``limit``.

Problems are ``invalid_filter`` naming the parameter, so a misspelt filter is never silently
ignored.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from typing import Final

from starlette.datastructures import QueryParams

from parcelsms.api.route_table import Parameter
from parcelsms.api.value_formats import CURSOR, QUERY_TEXT_LIMIT
from parcelsms.domain.error_catalogue import error

DEFAULT_LIMIT: Final = 50
MAX_LIMIT: Final = 500
_MAX_VALUE_LENGTH: Final = QUERY_TEXT_LIMIT

PAGE_PARAMETERS: Final = (
    Parameter("cursor", "query", "The `next_cursor` of the previous page.", CURSOR),
    Parameter(
        "limit",
        "query",
        f"Page size, 1 to {MAX_LIMIT} (default {DEFAULT_LIMIT}).",
        {"type": "integer", "minimum": 1, "maximum": MAX_LIMIT},
    ),
)


def query_values(
    params: QueryParams, allowed: Mapping[str, Collection[str] | None]
) -> dict[str, str]:
    """The single values of the allowed parameters (``allowed[name]``: its choices, or
    ``None`` for free text) plus ``cursor`` and ``limit``."""
    known = {**allowed, "cursor": None, "limit": None}
    values: dict[str, str] = {}
    for name in params:
        if name not in known:
            raise error(
                "invalid_filter",
                f"Unknown parameter; use {', '.join(sorted(known))}.",
                field=name,
            )
        found = params.getlist(name)
        if len(found) > 1:
            raise error("invalid_filter", "Give this parameter at most once.", field=name)
        value = found[0]
        if len(value) > _MAX_VALUE_LENGTH:
            raise error("invalid_filter", "The value is too long.", field=name)
        choices = known[name]
        if choices is not None and value not in choices:
            raise error("invalid_filter", f"Use one of {', '.join(sorted(choices))}.", field=name)
        values[name] = value
    return values


def page_limit(values: Mapping[str, str]) -> int:
    """The ``limit`` parameter, checked."""
    text = values.get("limit")
    if text is None:
        return DEFAULT_LIMIT
    if not (text.isascii() and text.isdigit()) or not 1 <= int(text) <= MAX_LIMIT:
        raise error("invalid_filter", f"limit is a number from 1 to {MAX_LIMIT}.", field="limit")
    return int(text)
