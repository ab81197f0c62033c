"""``/admin/v1/receipts/unmatched``: delivery receipts that matched no submission.

A receipt that finds no part waits in ``pending_receipts`` for the pending time-to-live
(``[receipts] pending_ttl``), then is set aside here with its raw text for the operator
(docs/smpp.md, "Receipts that never match"). Newest first, paged with ``before``.
"""

from __future__ import annotations

from datetime import datetime
from typing import Final

import msgspec
from starlette.requests import Request
from starlette.responses import Response

from parcelsms.api.error_responses import JsonResponse
from parcelsms.api.route_table import ApiRoute, Parameter, admin_route
from parcelsms.api.value_formats import PRINTABLE
from parcelsms.domain.error_catalogue import error
from parcelsms.pipeline.receipt_ports import ReceiptStore

_MAX_LIMIT: Final = 500
_DEFAULT_LIMIT: Final = 100
_MAX_TEXT: Final = 100


class UnmatchedReceiptOut(msgspec.Struct, kw_only=True):
    """A receipt set aside: its channel, the id it named, its raw text and times."""

    id: str
    channel: str
    carrier_id: str
    stat: str | None
    err: str | None
    raw: str
    received_at: datetime
    moved_at: datetime


class UnmatchedReceiptList(msgspec.Struct, kw_only=True):
    """A page of unmatched receipts; ``next_before`` fetches the next (older) page."""

    data: list[UnmatchedReceiptOut]
    next_before: str | None


class AdminReceiptEndpoints:
    """Handlers of the operator's receipt routes."""

    def __init__(self, store: ReceiptStore) -> None:
        self._store = store

    async def list_unmatched_receipts(self, request: Request) -> Response:
        channel, before, limit = None, None, _DEFAULT_LIMIT
        seen: set[str] = set()
        for key, value in request.query_params.multi_items():
            if key in seen or key not in ("channel", "before", "limit"):
                raise error("invalid_filter", f"Unknown or repeated parameter {key!r}.", field=key)
            seen.add(key)
            if key == "limit":
                if not value.isdigit() or not 1 <= int(value) <= _MAX_LIMIT:
                    raise error("invalid_filter", f"limit is 1 to {_MAX_LIMIT}.", field=key)
                limit = int(value)
            elif not value or len(value) > _MAX_TEXT or not value.isprintable():
                raise error(
                    "invalid_filter", f"{key} is 1 to {_MAX_TEXT} printable characters.", field=key
                )
            elif key == "channel":
                channel = value
            else:
                before = value
        found = await self._store.list_unmatched_receipts(
            channel=channel, limit=limit + 1, before=before
        )
        page = found[:limit]
        return JsonResponse(
            UnmatchedReceiptList(
                data=[
                    UnmatchedReceiptOut(
                        id=item.id,
                        channel=item.channel,
                        carrier_id=item.carrier_id,
                        stat=item.stat,
                        err=item.err,
                        raw=item.raw,
                        received_at=item.received_at,
                        moved_at=item.moved_at,
                    )
                    for item in page
                ],
                next_before=page[-1].id if len(found) > limit else None,
            )
        )

    def routes(self) -> list[ApiRoute]:
        """The route table entries of these handlers."""
        text = {"type": "string", "minLength": 1, "maxLength": _MAX_TEXT, **PRINTABLE}
        return [
            admin_route(
                method="GET",
                path="/admin/v1/receipts/unmatched",
                handler=self.list_unmatched_receipts,
                summary="Receipts that matched no submission",
                description="Receipts that found no submitted part within the pending "
                "time-to-live (`[receipts] pending_ttl`), newest first, with their raw text.",
                response=UnmatchedReceiptList,
                errors=("invalid_filter",),
                parameters=(
                    Parameter("channel", "query", "Only receipts of this channel.", text),
                    Parameter("before", "query", "The `next_before` of the previous page.", text),
                    Parameter(
                        "limit",
                        "query",
                        f"At most this many, 1 to {_MAX_LIMIT} (default {_DEFAULT_LIMIT}).",
                        {"type": "integer", "minimum": 1, "maximum": _MAX_LIMIT},
                    ),
                ),
            )
        ]
