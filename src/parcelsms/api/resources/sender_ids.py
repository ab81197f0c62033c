"""``/v1/sender_ids``: who messages come from.

A sender ID is registered per country (or ``*``) and reviewed by the operator; see
``docs/countries.md`` for what each country accepts.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Final, Literal

import msgspec
from starlette.requests import Request
from starlette.responses import Response

from parcelsms.api.authentication import Authenticator
from parcelsms.api.error_responses import JsonResponse
from parcelsms.api.request_body import RequestBody, decode_body, read_json_body
from parcelsms.api.route_table import ApiRoute
from parcelsms.api.value_formats import COUNTRY_CODES
from parcelsms.domain.error_catalogue import error
from parcelsms.pipeline.content_authoring import ContentAuthoring
from parcelsms.pipeline.content_ports import SenderIdRecord, SenderIdStore

SenderStatus = Literal["pending_review", "approved", "rejected"]
_Country = Annotated[
    str,
    msgspec.Meta(
        pattern="^([A-Za-z]{2}|\\*)$",
        extra_json_schema={"enum": [*COUNTRY_CODES, "*"]},
        description="ISO 3166 alpha-2 code, or `*` for every country that accepts the "
        "sender ID without a registration naming the country.",
        examples=["GB"],
    ),
]


# --- schemas --------------------------------------------------------------------------------------


class SenderIdCreate(RequestBody):
    """Register a sender ID for a country; the operator reviews it."""

    sender_id: Annotated[
        str,
        msgspec.Meta(
            max_length=16,
            description="Alphanumeric (1 to 11 of A-Z, a-z, 0-9, space, with a letter) or "
            "numeric (up to 15 digits).",
            examples=["ACME"],
        ),
    ]
    country: _Country


class SenderIdOut(msgspec.Struct, kw_only=True):
    """A sender ID registration."""

    id: str
    sender_id: str
    kind: Literal["alphanumeric", "numeric"]
    country: str
    status: SenderStatus
    reason: str | None
    created_at: datetime
    reviewed_at: datetime | None


class SenderIdList(msgspec.Struct, kw_only=True):
    """Registrations, oldest first."""

    data: list[SenderIdOut]


# --- representations ------------------------------------------------------------------------------


def sender_fields(record: SenderIdRecord) -> dict[str, Any]:
    return {
        "id": record.id,
        "sender_id": record.value,
        "kind": record.kind,
        "country": record.country,
        "status": record.status,
        "reason": record.reason,
        "created_at": record.created_at,
        "reviewed_at": record.reviewed_at,
    }


def sender_id_out(record: SenderIdRecord) -> SenderIdOut:
    """A sender ID registration."""
    return SenderIdOut(**sender_fields(record))


# --- endpoints ------------------------------------------------------------------------------------


_sender_decoder = msgspec.json.Decoder(SenderIdCreate)
_MAX_ID_LENGTH: Final = 64


class SenderIdEndpoints:
    """Handlers of the sender ID routes, scoped to the caller's account."""

    def __init__(
        self,
        authoring: ContentAuthoring,
        senders: SenderIdStore,
        authenticator: Authenticator,
        max_body_bytes: int,
    ) -> None:
        self._authoring = authoring
        self._senders = senders
        self._auth = authenticator
        self._max_body_bytes = max_body_bytes

    async def register_sender_id(self, request: Request) -> Response:
        """Register a sender ID for a country: 201 when new, 200 when already registered."""
        caller = await self._auth.authenticate(request)
        payload = decode_body(_sender_decoder, await read_json_body(request, self._max_body_bytes))
        record, created = await self._authoring.register_sender_id(
            caller.account_id, payload.sender_id, payload.country
        )
        return JsonResponse(
            sender_id_out(record),
            status_code=201 if created else 200,
            headers={"Location": f"/v1/sender_ids/{record.id}"},
        )

    async def list_sender_ids(self, request: Request) -> Response:
        """The account's registrations, oldest first."""
        caller = await self._auth.authenticate(request)
        records = await self._senders.list_sender_ids(caller.account_id)
        return JsonResponse(SenderIdList(data=[sender_id_out(r) for r in records]))

    async def get_sender_id(self, request: Request) -> Response:
        """One registration; another account's id is ``not_found``."""
        caller = await self._auth.authenticate(request)
        sender_id: str = request.path_params["id"]
        record = None
        if len(sender_id) <= _MAX_ID_LENGTH:
            record = await self._senders.get_sender_id(caller.account_id, sender_id)
        if record is None:
            raise error("not_found", "No such sender ID registration in this account.")
        return JsonResponse(sender_id_out(record))

    def routes(self) -> list[ApiRoute]:
        """The route table entries of these handlers."""
        return [
            ApiRoute(
                method="POST",
                path="/v1/sender_ids",
                handler=self.register_sender_id,
                summary="Register a sender ID for a country",
                description="Stored `pending_review` until the operator approves it; "
                "registering one that is already pending or approved for the country "
                "answers it with 200. A country that never delivers that kind of sender "
                "(an alphanumeric one in the US) answers `sender_not_allowed`.",
                scope="account",
                tag="sender IDs",
                request=SenderIdCreate,
                response=SenderIdOut,
                status=201,
                other_statuses={200: "The registration already pending or approved."},
                errors=("invalid_sender_id", "sender_not_allowed"),
                response_headers={"Location": "The registration's URL."},
            ),
            ApiRoute(
                method="GET",
                path="/v1/sender_ids",
                handler=self.list_sender_ids,
                summary="List sender ID registrations",
                scope="account",
                tag="sender IDs",
                response=SenderIdList,
            ),
            ApiRoute(
                method="GET",
                path="/v1/sender_ids/{id}",
                handler=self.get_sender_id,
                summary="Get a sender ID registration",
                scope="account",
                tag="sender IDs",
                response=SenderIdOut,
                errors=("not_found",),
            ),
        ]
