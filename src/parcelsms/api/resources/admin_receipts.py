"""``/admin/v1/receipts/unmatched``: delivery receipts that matched no submission.

A receipt that finds no part waits in ``pending_receipts`` for the pending time-to-live
(``[receipts] pending_ttl``), then is set aside here with its raw text for the operator
(docs/smpp.md, "Receipts that never match"). Newest first, paged with ``cursor`` like every
operator listing (:mod:`parcelsms.api.list_queries`).
"""

from __future__ import annotations

from datetime import datetime

import msgspec
from starlette.requests import Request
from starlette.responses import Response

from parcelsms.api.error_responses import JsonResponse
from parcelsms.api.list_queries import PAGE_PARAMETERS, page_limit, query_values
from parcelsms.api.route_table import ApiRoute, Parameter, admin_route
from parcelsms.api.value_formats import QUERY_TEXT_LIMIT
from parcelsms.pipeline.receipt_ports import ReceiptStore, UnmatchedReceipt


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
    """A page of unmatched receipts; ``next_cursor`` fetches the next (older) page."""

    data: list[UnmatchedReceiptOut]
    next_cursor: str | None


def unmatched_receipt_out(item: UnmatchedReceipt) -> UnmatchedReceiptOut:
    return UnmatchedReceiptOut(**msgspec.structs.asdict(item))


class AdminReceiptEndpoints:
    """Handlers of the operator's receipt routes."""

    def __init__(self, store: ReceiptStore) -> None:
        self._store = store

    async def list_unmatched_receipts(self, request: Request) -> Response:
        values = query_values(request.query_params, {"channel": None})
        limit = page_limit(values)
        found = await self._store.list_unmatched_receipts(
            channel=values.get("channel"), limit=limit + 1, before=values.get("cursor")
        )
        page = found[:limit]
        return JsonResponse(
            UnmatchedReceiptList(
                data=[unmatched_receipt_out(item) for item in page],
                next_cursor=page[-1].id if len(found) > limit else None,
            )
        )

    def routes(self) -> list[ApiRoute]:
        """The route table entries of these handlers."""
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
                    Parameter(
                        "channel",
                        "query",
                        "Only receipts of this channel.",
                        {"type": "string", "maxLength": QUERY_TEXT_LIMIT},
                    ),
                    *PAGE_PARAMETERS,
                ),
            )
        ]
