"""``/v1/sender_ids`` and ``/v1/message_settings``: who messages come from, and how they
are written.

A sender ID is registered per country (or ``*``) and reviewed by the operator; see
``docs/countries.md`` for what each country accepts. Message settings hold the account's
smart-encoding choice and the domains its links may point to.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Final

import msgspec
from starlette.requests import Request
from starlette.responses import Response

from parcelsms.api import content_schemas as schemas
from parcelsms.api.authentication import Authenticator
from parcelsms.api.content_representations import message_settings_out, sender_id_out
from parcelsms.api.error_responses import JsonResponse
from parcelsms.api.request_body import decode_body, read_json_body
from parcelsms.api.route_table import ApiRoute
from parcelsms.domain.content.links import normal_domain
from parcelsms.domain.error_catalogue import error
from parcelsms.pipeline.content_authoring import ContentAuthoring
from parcelsms.pipeline.content_ports import MessageSettingsStore, SenderIdStore

_sender_decoder = msgspec.json.Decoder(schemas.SenderIdCreate)
_settings_decoder = msgspec.json.Decoder(schemas.MessageSettingsUpdate)
_MAX_ID_LENGTH: Final = 64


class SenderIdEndpoints:
    """Handlers of the sender ID and message settings routes, scoped to the caller."""

    def __init__(
        self,
        authoring: ContentAuthoring,
        senders: SenderIdStore,
        settings: MessageSettingsStore,
        authenticator: Authenticator,
        max_body_bytes: int,
        on_change: Callable[[str], None],
    ) -> None:
        self._authoring = authoring
        self._senders = senders
        self._settings = settings
        self._auth = authenticator
        self._max_body_bytes = max_body_bytes
        self._on_change = on_change

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
        return JsonResponse(schemas.SenderIdList(data=[sender_id_out(r) for r in records]))

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

    async def get_message_settings(self, request: Request) -> Response:
        """The account's message settings."""
        caller = await self._auth.authenticate(request)
        settings = await self._settings.get_message_settings(caller.account_id)
        return JsonResponse(message_settings_out(settings))

    async def set_message_settings(self, request: Request) -> Response:
        """Change smart encoding and/or the link domains; fields left out keep their value."""
        caller = await self._auth.authenticate(request)
        payload = decode_body(
            _settings_decoder, await read_json_body(request, self._max_body_bytes)
        )
        domains = None
        if payload.link_domains is not None:
            domains = [_domain(item, index) for index, item in enumerate(payload.link_domains)]
            domains = list(dict.fromkeys(domains))
        settings = await self._settings.set_message_settings(
            caller.account_id, smart_encoding=payload.smart_encoding, link_domains=domains
        )
        self._on_change(caller.account_id)
        return JsonResponse(message_settings_out(settings))

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
                request=schemas.SenderIdCreate,
                response=schemas.SenderIdOut,
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
                response=schemas.SenderIdList,
            ),
            ApiRoute(
                method="GET",
                path="/v1/sender_ids/{id}",
                handler=self.get_sender_id,
                summary="Get a sender ID registration",
                scope="account",
                tag="sender IDs",
                response=schemas.SenderIdOut,
                errors=("not_found",),
            ),
            ApiRoute(
                method="GET",
                path="/v1/message_settings",
                handler=self.get_message_settings,
                summary="Get the message settings",
                scope="account",
                tag="account",
                response=schemas.MessageSettingsOut,
            ),
            ApiRoute(
                method="POST",
                path="/v1/message_settings",
                handler=self.set_message_settings,
                summary="Change the message settings",
                description="`smart_encoding` applies to every message that does not say "
                "otherwise; `link_domains` are the domains links in templates and `link` "
                "variables may point to (subdomains included).",
                scope="account",
                tag="account",
                request=schemas.MessageSettingsUpdate,
                response=schemas.MessageSettingsOut,
            ),
        ]


def _domain(value: str, index: int) -> str:
    domain = normal_domain(value)
    labels = domain.split(".")
    if (
        len(labels) < 2
        or not all(label and len(label) <= 63 for label in labels)
        or not all(c.isalnum() or c in "-." for c in domain)
        or not domain.isascii()
    ):
        raise error(
            "invalid_request",
            f"{value!r} is not a domain name such as 'shop.example' (no scheme or path).",
            field=f"link_domains[{index}]",
        )
    return domain
