"""``/admin/v1/messages/{id}``: any account's message as the operator sees it.

Senders see an opaque route label for the carrier channel that took each part
(:mod:`parcelsms.domain.route_labels`); the operator sees the channel itself, in the parts
and in the history, next to the same label (to match what a sender reports).
"""

from __future__ import annotations

import msgspec
from starlette.requests import Request
from starlette.responses import Response

from parcelsms.api.error_responses import JsonResponse
from parcelsms.api.resources.messages.schemas import (
    HistoryEntry,
    Message,
    MessagePart,
    message_detail_out,
)
from parcelsms.api.route_table import ApiRoute, admin_route
from parcelsms.domain.country_rules import CountryRules
from parcelsms.domain.error_catalogue import error
from parcelsms.pipeline.message_ports import MessageQueries

_MAX_ID_LENGTH = 64


class OperatorMessagePart(MessagePart, kw_only=True):
    """A part with the carrier channel that took it."""

    channel: str


class OperatorMessageDetail(Message, kw_only=True):
    """A message of any account, its history naming channels, its parts with them."""

    account_id: str
    history: list[HistoryEntry]
    parts: list[OperatorMessagePart]


class AdminMessageEndpoints:
    """Handlers of the operator's message routes."""

    def __init__(self, queries: MessageQueries, country_rules: CountryRules) -> None:
        self._queries = queries
        self._rules = country_rules

    async def get_message_for_operator(self, request: Request) -> Response:
        message_id: str = request.path_params["id"]
        if len(message_id) > _MAX_ID_LENGTH:
            raise error("not_found", "No such message.")
        detail = await self._queries.get_message_for_operator(message_id)
        if detail is None:
            raise error("not_found", "No such message.")
        # Storage gave the operator's history (channels named); parts gain their channel.
        view = msgspec.structs.asdict(message_detail_out(detail, self._rules))
        del view["replies"]  # the sender's listing; the operator has no such route
        view["parts"] = [
            OperatorMessagePart(**msgspec.structs.asdict(part), channel=stored.channel)
            for part, stored in zip(view["parts"], detail.parts, strict=True)
        ]
        return JsonResponse(OperatorMessageDetail(**view, account_id=detail.message.account_id))

    def routes(self) -> list[ApiRoute]:
        """The route table entries of these handlers."""
        return [
            admin_route(
                method="GET",
                path="/admin/v1/messages/{id}",
                handler=self.get_message_for_operator,
                summary="Get any account's message, with its carrier channels",
                description="What the sender sees in `GET /v1/messages/{id}`, plus the account "
                "and the carrier channel of each part and submission.",
                response=OperatorMessageDetail,
                errors=("not_found",),
            )
        ]
