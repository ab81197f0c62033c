"""The query string of ``GET /v1/messages``: filters, cursor and page size.

Every problem is an ``invalid_filter`` naming the parameter (an unknown or repeated parameter
too, so a misspelt filter is never silently ignored); a malformed cursor is left to storage,
which answers ``invalid_cursor``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Final

from starlette.datastructures import QueryParams

from parcelsms.api.route_table import Parameter
from parcelsms.api.value_formats import CURSOR, PHONE_PATTERN
from parcelsms.domain.error_catalogue import error
from parcelsms.domain.ids import is_valid_id
from parcelsms.domain.numbers import parse_recipient
from parcelsms.domain.status import MessageStatus
from parcelsms.errors import CatalogueError
from parcelsms.pipeline.message_ports import MessageFilter

DEFAULT_LIMIT: Final = 50
MAX_LIMIT: Final = 200
_STATUSES: Final = frozenset(status.value for status in MessageStatus)
_MAX_VALUE_LENGTH: Final = 512
_MAX_CLIENT_REF: Final = 128
PARAMETERS: Final = (
    Parameter(
        "status",
        "query",
        "Only messages in this status.",
        {"enum": sorted(_STATUSES)},
    ),
    Parameter(
        "to",
        "query",
        "Only messages to this number (any pasted form; compared in E.164).",
        {"type": "string", "maxLength": 64, "pattern": PHONE_PATTERN},
    ),
    Parameter(
        "client_ref",
        "query",
        "Only messages with this client_ref.",
        {"type": "string", "maxLength": _MAX_CLIENT_REF},
    ),
    Parameter(
        "country",
        "query",
        "Only messages to this country (ISO 3166-1 alpha-2, e.g. `DE`).",
        {"type": "string", "pattern": "^[A-Za-z]{2}$"},
    ),
    Parameter(
        "template_id",
        "query",
        "Only messages rendered from this template (`tpl_…`).",
        {"type": "string", "pattern": "^tpl_[0-9A-HJKMNP-TV-Z]{26}$"},
    ),
    Parameter(
        "since",
        "query",
        "Created at or after this time (ISO 8601 with a time zone).",
        {"type": "string", "format": "date-time"},
    ),
    Parameter(
        "until",
        "query",
        "Created before this time (ISO 8601 with a time zone).",
        {"type": "string", "format": "date-time"},
    ),
    Parameter(
        "cursor",
        "query",
        "The `next_cursor` of the previous page.",
        CURSOR,
    ),
    Parameter(
        "limit",
        "query",
        f"Page size, 1 to {MAX_LIMIT}.",
        {"type": "integer", "minimum": 1, "maximum": MAX_LIMIT, "default": DEFAULT_LIMIT},
    ),
)
_KNOWN: Final = frozenset(parameter.name for parameter in PARAMETERS)


@dataclass(frozen=True, slots=True)
class MessageQuery:
    """A checked listing request."""

    filters: MessageFilter
    cursor: str | None
    limit: int


def _invalid(name: str, message: str) -> CatalogueError:
    return error("invalid_filter", message, field=name)


def parse_query_time(name: str, value: str) -> datetime:
    """``value`` of query parameter ``name`` as an aware time, else ``invalid_filter``."""
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise _invalid(
            name, f"{name} must be an ISO 8601 time such as 2024-05-01T12:00:00Z."
        ) from None
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise _invalid(name, f"{name} needs a time zone, e.g. 2024-05-01T12:00:00Z.")
    return moment


def _limit(value: str) -> int:
    if not (value.isascii() and value.isdecimal() and len(value) <= 4):
        raise _invalid("limit", f"limit must be a whole number from 1 to {MAX_LIMIT}.")
    limit = int(value)
    if not 1 <= limit <= MAX_LIMIT:
        raise _invalid("limit", f"limit must be a whole number from 1 to {MAX_LIMIT}.")
    return limit


def _to(value: str) -> str:
    try:
        return parse_recipient(value, field="to").e164
    except CatalogueError as problem:
        raise _invalid("to", f"to is not a valid mobile number: {problem.message}") from None


def parse_message_query(params: QueryParams) -> MessageQuery:
    """Check the listing's query parameters (rules in the module docstring)."""
    values: dict[str, str] = {}
    for name, value in params.multi_items():
        if name not in _KNOWN:
            raise _invalid(name[:64], f"Unknown query parameter {name[:64]!r}.")
        if name in values:
            raise _invalid(name, f"{name} is given more than once.")
        if len(value) > _MAX_VALUE_LENGTH:
            raise _invalid(name, f"{name} is too long.")
        values[name] = value
    status = values.get("status")
    if status is not None and status not in _STATUSES:
        raise _invalid("status", f"status must be one of: {', '.join(sorted(_STATUSES))}.")
    client_ref = values.get("client_ref")
    if client_ref is not None and len(client_ref) > _MAX_CLIENT_REF:
        raise _invalid("client_ref", f"client_ref has at most {_MAX_CLIENT_REF} characters.")
    country = values.get("country")
    if country is not None and not (len(country) == 2 and country.isascii() and country.isalpha()):
        raise _invalid("country", "country must be a two-letter country code such as DE.")
    template_id = values.get("template_id")
    if template_id is not None and not is_valid_id(template_id, "tpl"):
        raise _invalid("template_id", "template_id must be a template id (tpl_…).")
    to = values.get("to")
    since = values.get("since")
    until = values.get("until")
    limit = values.get("limit")
    return MessageQuery(
        filters=MessageFilter(
            status=None if status is None else MessageStatus(status),
            to_e164=_to(to) if to is not None else None,
            client_ref=client_ref,
            country=None if country is None else country.upper(),
            template_id=template_id,
            since=parse_query_time("since", since) if since is not None else None,
            until=parse_query_time("until", until) if until is not None else None,
        ),
        cursor=values.get("cursor") or None,
        limit=_limit(limit) if limit is not None else DEFAULT_LIMIT,
    )
