"""``/v1/message_settings``: how the account's messages are written — its smart-encoding
choice and the domains its links may point to."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Annotated

import msgspec
from starlette.requests import Request
from starlette.responses import Response

from parcelsms.api.authentication import Authenticator
from parcelsms.api.error_responses import JsonResponse
from parcelsms.api.request_body import RequestBody, decode_body, read_json_body
from parcelsms.api.route_table import ApiRoute
from parcelsms.api.value_formats import DOMAIN_PATTERN
from parcelsms.domain.content.links import normal_domain
from parcelsms.domain.error_catalogue import error
from parcelsms.pipeline.content_ports import MessageSettings, MessageSettingsStore

# --- schemas --------------------------------------------------------------------------------------


class MessageSettingsUpdate(RequestBody):
    """Change the account's message settings; a field left out keeps its value."""

    smart_encoding: (
        Annotated[
            bool,
            msgspec.Meta(
                description="Replace typographic quotes, dashes, ellipses and special spaces "
                "with GSM-7 characters when that keeps a message GSM-7."
            ),
        ]
        | None
    ) = None
    link_domains: (
        Annotated[
            list[
                Annotated[str, msgspec.Meta(min_length=3, max_length=253, pattern=DOMAIN_PATTERN)]
            ],
            msgspec.Meta(
                max_length=50,
                description="Domains (with their subdomains) links may point to.",
                examples=[["shop.example", "track.example.com"]],
            ),
        ]
        | None
    ) = None
    opt_out_reply: (
        Annotated[
            str,
            msgspec.Meta(
                max_length=320,
                description="Sent back, free of charge, to a recipient who opts out with "
                "STOP (or another opt-out keyword); an empty text sends none (countries whose "
                "rules require a confirmation still get a standard one).",
                examples=["You will receive no more messages from Acme. Reply START to undo."],
            ),
        ]
        | None
    ) = None


class MessageSettingsOut(msgspec.Struct, kw_only=True):
    """The account's message settings."""

    smart_encoding: bool
    link_domains: list[str]
    updated_at: datetime | None
    opt_out_reply: str | None = None


# --- representations ------------------------------------------------------------------------------


def message_settings_out(settings: MessageSettings) -> MessageSettingsOut:
    """The account's message settings."""
    return MessageSettingsOut(
        smart_encoding=settings.smart_encoding,
        link_domains=list(settings.link_domains),
        updated_at=settings.updated_at,
        opt_out_reply=settings.opt_out_reply,
    )


# --- endpoints ------------------------------------------------------------------------------------


_settings_decoder = msgspec.json.Decoder(MessageSettingsUpdate)


class MessageSettingsEndpoints:
    """Handlers of the message settings routes, scoped to the caller's account.

    ``on_change(account_id)`` is told after every change (the accept step forgets the
    account's cached settings).
    """

    def __init__(
        self,
        settings: MessageSettingsStore,
        authenticator: Authenticator,
        max_body_bytes: int,
        on_change: Callable[[str], None],
    ) -> None:
        self._settings = settings
        self._auth = authenticator
        self._max_body_bytes = max_body_bytes
        self._on_change = on_change

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
            caller.account_id,
            smart_encoding=payload.smart_encoding,
            link_domains=domains,
            opt_out_reply=payload.opt_out_reply,
        )
        self._on_change(caller.account_id)
        return JsonResponse(message_settings_out(settings))

    def routes(self) -> list[ApiRoute]:
        """The route table entries of these handlers."""
        return [
            ApiRoute(
                method="GET",
                path="/v1/message_settings",
                handler=self.get_message_settings,
                summary="Get the message settings",
                scope="account",
                tag="account",
                response=MessageSettingsOut,
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
                request=MessageSettingsUpdate,
                response=MessageSettingsOut,
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
