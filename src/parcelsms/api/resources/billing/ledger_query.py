"""The ledger's query string (filters, cursor, page size) and its CSV export rows."""

from __future__ import annotations

from datetime import datetime
from typing import Final, cast

from starlette.datastructures import QueryParams

from parcelsms.api.list_queries import PAGE_PARAMETERS, page_limit, query_values
from parcelsms.api.route_table import Parameter
from parcelsms.domain.error_catalogue import error
from parcelsms.domain.money import format_micros
from parcelsms.pipeline.billing_ports import LEDGER_KINDS, LedgerEntry, LedgerFilter, LedgerKind

LEDGER_PARAMETERS: Final = (
    Parameter("kind", "query", "Only rows of this kind.", {"enum": list(LEDGER_KINDS)}),
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
    Parameter("message_id", "query", "Only rows of this message.", {"type": "string"}),
)
LEDGER_PAGE_PARAMETERS: Final = (*LEDGER_PARAMETERS, *PAGE_PARAMETERS)
CSV_COLUMNS: Final = (
    "id",
    "created_at",
    "kind",
    "amount",
    "reserved",
    "segments",
    "currency",
    "message_id",
    "package_id",
    "note",
)


# A spreadsheet runs a cell starting with one of these as a formula (CSV injection).
_FORMULA_STARTS: Final = ("=", "+", "-", "@", "\t", "\r")


def parse_time(name: str, value: str) -> datetime:
    """An ISO 8601 time with a zone; ``invalid_filter`` naming ``name`` otherwise."""
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise error(
            "invalid_filter",
            f"{name} must be an ISO 8601 time such as 2024-05-01T12:00:00Z.",
            field=name,
        ) from None
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise error(
            "invalid_filter", f"{name} needs a time zone, e.g. 2024-05-01T12:00:00Z.", field=name
        )
    return moment


def parse_ledger_query(
    params: QueryParams, *, paged: bool = True
) -> tuple[LedgerFilter, str | None, int]:
    """Filters, cursor and page size of a ledger request (``invalid_filter`` naming the
    parameter for anything unknown, repeated or malformed)."""
    allowed: dict[str, tuple[str, ...] | None] = {
        "kind": LEDGER_KINDS,
        "since": None,
        "until": None,
        "message_id": None,
    }
    values = query_values(params, allowed)
    if not paged:
        for name in ("cursor", "limit"):
            if name in values:
                raise error("invalid_filter", "The export has no pages.", field=name)
    since, until = values.get("since"), values.get("until")
    filters = LedgerFilter(
        kind=cast("LedgerKind | None", values.get("kind")),
        since=parse_time("since", since) if since is not None else None,
        until=parse_time("until", until) if until is not None else None,
        message_id=values.get("message_id"),
    )
    return filters, values.get("cursor") or None, page_limit(values)


def _csv_text(value: str | None) -> str:
    if value is None:
        return ""
    return f"'{value}" if value.startswith(_FORMULA_STARTS) else value


def ledger_csv_row(entry: LedgerEntry, currency: str) -> list[str]:
    """One CSV row in the order of :data:`CSV_COLUMNS`."""
    return [
        entry.id,
        entry.created_at.isoformat().replace("+00:00", "Z"),
        entry.kind,
        format_micros(entry.amount_micros),
        format_micros(entry.reserved_delta_micros),
        str(entry.segments_delta),
        currency,
        entry.message_id or "",
        entry.package_id or "",
        _csv_text(entry.note),
    ]
