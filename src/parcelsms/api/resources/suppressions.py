"""``/v1/suppressions`` (numbers an account may not text) and ``/admin/v1/blacklist`` (numbers
no account may text).

A recipient's opt-out keyword adds to the suppression list by itself (docs/inbound.md); a
sender adds numbers one at a time or imports a CSV, and removes one only when its recipient
asked. A send to a listed number is refused with ``recipient_opted_out`` /
``recipient_blacklisted`` and costs nothing.
"""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime
from typing import Annotated, Literal

import msgspec
from starlette.requests import Request
from starlette.responses import Response

from parcelsms.api.authentication import Authenticator
from parcelsms.api.error_responses import ErrorInfo, JsonResponse
from parcelsms.api.list_queries import PAGE_PARAMETERS, page_limit, query_values
from parcelsms.api.request_body import RequestBody, decode_body, read_json_body
from parcelsms.api.resources.messages.schemas import Recipient
from parcelsms.api.route_table import ApiRoute, Parameter, admin_route
from parcelsms.api.value_formats import PHONE_PATTERN
from parcelsms.domain.error_catalogue import error
from parcelsms.domain.numbers import parse_recipient
from parcelsms.errors import CatalogueError
from parcelsms.pipeline.inbound_ports import RecipientBlockStore

MAX_IMPORT_ROWS = 5_000

# --- schemas --------------------------------------------------------------------------------------


class SuppressionCreate(RequestBody):
    """A number this account must not text."""

    number: Recipient


class SuppressionImport(RequestBody):
    """A CSV of numbers: one per row, in the first column; a header row is allowed."""

    csv: Annotated[
        str,
        msgspec.Meta(
            # Below the 1 MiB request body limit even with every character written as an
            # escaped surrogate pair (12 bytes), so a longer text is refused as invalid
            # (422, naming the field), not as too large.
            max_length=80_000,
            description=f"CSV text, at most {MAX_IMPORT_ROWS:,} rows; the first column of "
            "each row is a number. A first row whose first cell is not a number (a header) "
            "is skipped.",
            examples=["number\n+44 7911 123456\n+34 612 345 678\n"],
        ),
    ]


class SuppressionOut(msgspec.Struct, kw_only=True):
    """A suppressed number; `source` says who put it there."""

    number: str
    source: Literal["keyword", "api", "import"]
    created_at: datetime


class SuppressionList(msgspec.Struct, kw_only=True):
    """A page of suppressed numbers by number; `next_cursor` fetches the next."""

    data: list[SuppressionOut]
    next_cursor: str | None


class ImportRow(msgspec.Struct, kw_only=True):
    """The outcome of one CSV row (`row` counts from 1, the header included)."""

    row: int
    number: str | None
    status: Literal["added", "existing", "rejected"]
    error: ErrorInfo | msgspec.UnsetType = msgspec.UNSET


class ImportOut(msgspec.Struct, kw_only=True):
    """One result per data row, in file order, and the totals."""

    results: list[ImportRow]
    added: int
    existing: int
    rejected: int


class BlacklistCreate(RequestBody):
    """A number no account may text, with an optional note for other operators."""

    number: Recipient
    note: Annotated[str, msgspec.Meta(max_length=200)] | None = None


class BlacklistOut(msgspec.Struct, kw_only=True):
    number: str
    note: str | None
    created_at: datetime


class BlacklistList(msgspec.Struct, kw_only=True):
    """A page of blacklisted numbers by number; `next_cursor` fetches the next."""

    data: list[BlacklistOut]
    next_cursor: str | None


# --- endpoints ------------------------------------------------------------------------------------

_create_decoder = msgspec.json.Decoder(SuppressionCreate)
_import_decoder = msgspec.json.Decoder(SuppressionImport)
_blacklist_decoder = msgspec.json.Decoder(BlacklistCreate)
_NUMBER_ERRORS = ("invalid_number", "not_mobile", "unsupported_country")
_NUMBER_PARAMETER = Parameter(
    "number",
    "path",
    "The number (E.164, e.g. `+447911123456`; URL-encode the `+` as `%2B`).",
    {"type": "string", "maxLength": 64, "pattern": PHONE_PATTERN},
    required=True,
)


def _path_number(request: Request, missing: str) -> str:
    raw: str = request.path_params["number"]
    try:
        return parse_recipient(raw[:64], field="number").e164
    except CatalogueError:
        raise error("not_found", missing) from None


def _error_info(problem: CatalogueError) -> ErrorInfo:
    return ErrorInfo(code=problem.code, message=problem.message, field=problem.field)


def _csv_rows(text: str) -> list[list[str]]:
    try:
        rows = list(csv.reader(io.StringIO(text)))
    except csv.Error as exc:
        raise error("invalid_request", f"The CSV is malformed: {exc}.", field="csv") from None
    if len(rows) > MAX_IMPORT_ROWS + 1:
        raise error("invalid_request", f"At most {MAX_IMPORT_ROWS:,} rows per import.", field="csv")
    return rows


class SuppressionEndpoints:
    """Handlers of the sender's suppression list and the operator's blacklist."""

    def __init__(
        self, store: RecipientBlockStore, authenticator: Authenticator, max_body_bytes: int
    ) -> None:
        self._store = store
        self._auth = authenticator
        self._max_body_bytes = max_body_bytes

    async def list_suppressions(self, request: Request) -> Response:
        caller = await self._auth.authenticate(request)
        values = query_values(request.query_params, {})
        items, next_cursor = await self._store.list_suppressions(
            caller.account_id, values.get("cursor"), page_limit(values)
        )
        return JsonResponse(
            SuppressionList(
                data=[SuppressionOut(**msgspec.structs.asdict(item)) for item in items],
                next_cursor=next_cursor,
            )
        )

    async def add_suppression(self, request: Request) -> Response:
        caller = await self._auth.authenticate(request)
        body = decode_body(_create_decoder, await read_json_body(request, self._max_body_bytes))
        number = parse_recipient(body.number, field="number").e164
        at = datetime.now(UTC)
        (added,) = await self._store.add_suppressions(caller.account_id, [number], "api", at)
        return JsonResponse(
            SuppressionOut(number=number, source="api", created_at=at),
            status_code=201 if added else 200,
        )

    async def import_suppressions(self, request: Request) -> Response:
        caller = await self._auth.authenticate(request)
        body = decode_body(_import_decoder, await read_json_body(request, self._max_body_bytes))
        rows = _csv_rows(body.csv)
        results: list[ImportRow] = []
        numbers: list[str] = []
        positions: list[int] = []
        for index, row in enumerate(rows, start=1):
            cell = row[0].strip() if row else ""
            if not cell:
                continue
            try:
                number = parse_recipient(cell, field=f"csv[{index}]").e164
            except CatalogueError as problem:
                if index == 1:
                    continue  # a header row
                results.append(
                    ImportRow(row=index, number=None, status="rejected", error=_error_info(problem))
                )
                continue
            positions.append(len(results))
            results.append(ImportRow(row=index, number=number, status="added"))
            numbers.append(number)
        if numbers:
            added = await self._store.add_suppressions(
                caller.account_id, numbers, "import", datetime.now(UTC)
            )
            for position, is_new in zip(positions, added, strict=True):
                if not is_new:
                    results[position].status = "existing"
        counts = {status: 0 for status in ("added", "existing", "rejected")}
        for result in results:
            counts[result.status] += 1
        return JsonResponse(ImportOut(results=results, **counts))

    async def remove_suppression(self, request: Request) -> Response:
        caller = await self._auth.authenticate(request)
        missing = "This number is not on the account's suppression list."
        number = _path_number(request, missing)
        if not await self._store.remove_suppression(caller.account_id, number):
            raise error("not_found", missing)
        return Response(status_code=204)

    async def list_blacklist(self, request: Request) -> Response:
        values = query_values(request.query_params, {})
        items, next_cursor = await self._store.list_blacklist(
            values.get("cursor"), page_limit(values)
        )
        return JsonResponse(
            BlacklistList(
                data=[BlacklistOut(**msgspec.structs.asdict(item)) for item in items],
                next_cursor=next_cursor,
            )
        )

    async def add_to_blacklist(self, request: Request) -> Response:
        body = decode_body(_blacklist_decoder, await read_json_body(request, self._max_body_bytes))
        number = parse_recipient(body.number, field="number").e164
        at = datetime.now(UTC)
        added = await self._store.add_to_blacklist(number, body.note, at)
        return JsonResponse(
            BlacklistOut(number=number, note=body.note, created_at=at),
            status_code=201 if added else 200,
        )

    async def remove_from_blacklist(self, request: Request) -> Response:
        missing = "This number is not on the blacklist."
        if not await self._store.remove_from_blacklist(_path_number(request, missing)):
            raise error("not_found", missing)
        return Response(status_code=204)

    def routes(self) -> list[ApiRoute]:
        """The route table entries of these handlers."""
        return [
            ApiRoute(
                method="GET",
                path="/v1/suppressions",
                handler=self.list_suppressions,
                summary="List suppressed numbers",
                description="Numbers this account may not text: recipients who replied with an "
                "opt-out keyword (`source` `keyword`) and numbers you added.",
                tag="suppressions",
                response=SuppressionList,
                errors=("invalid_filter", "invalid_cursor"),
                scope="messages:read",
                parameters=PAGE_PARAMETERS,
            ),
            ApiRoute(
                method="POST",
                path="/v1/suppressions",
                handler=self.add_suppression,
                summary="Suppress a number",
                description="Sends to the number are refused with `recipient_opted_out` (free of "
                "charge) until it is removed or its recipient replies START.",
                tag="suppressions",
                request=SuppressionCreate,
                response=SuppressionOut,
                status=201,
                other_statuses={200: "The number was on the list already."},
                errors=_NUMBER_ERRORS,
                scope="messages:send",
            ),
            ApiRoute(
                method="POST",
                path="/v1/suppression_imports",
                handler=self.import_suppressions,
                summary="Import suppressed numbers from a CSV",
                description="Each row is added, found on the list already, or rejected with "
                "its own error (an invalid number does not stop the import).",
                tag="suppressions",
                request=SuppressionImport,
                response=ImportOut,
                scope="messages:send",
            ),
            ApiRoute(
                method="DELETE",
                path="/v1/suppressions/{number}",
                handler=self.remove_suppression,
                summary="Remove a suppressed number",
                description="Only when its recipient asked to receive your messages again.",
                tag="suppressions",
                status=204,
                errors=("not_found",),
                scope="messages:send",
                parameters=(_NUMBER_PARAMETER,),
            ),
            admin_route(
                method="GET",
                path="/admin/v1/blacklist",
                handler=self.list_blacklist,
                summary="List blacklisted numbers",
                description="Numbers no account may text.",
                response=BlacklistList,
                errors=("invalid_filter", "invalid_cursor"),
                parameters=PAGE_PARAMETERS,
            ),
            admin_route(
                method="POST",
                path="/admin/v1/blacklist",
                handler=self.add_to_blacklist,
                summary="Blacklist a number",
                description="Every account's sends to it are refused with "
                "`recipient_blacklisted` (free of charge). Blacklisting a listed number again "
                "replaces its note.",
                request=BlacklistCreate,
                response=BlacklistOut,
                status=201,
                other_statuses={200: "The number was blacklisted already."},
                errors=_NUMBER_ERRORS,
            ),
            admin_route(
                method="DELETE",
                path="/admin/v1/blacklist/{number}",
                handler=self.remove_from_blacklist,
                summary="Remove a number from the blacklist",
                status=204,
                errors=("not_found",),
                parameters=(_NUMBER_PARAMETER,),
            ),
        ]
