"""``/v1/inbound`` (the account's replies), ``/v1/events`` (status changes and replies by
cursor) and ``/admin/v1/inbound/unmatched`` (replies no account owns).

A reply belongs to the account whose message it answers (docs/inbound.md); the sender never
sees the carrier channel it came on, the operator does.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

import msgspec
from starlette.requests import Request
from starlette.responses import Response

from parcelsms.api.authentication import Authenticator
from parcelsms.api.error_responses import JsonResponse
from parcelsms.api.list_queries import PAGE_PARAMETERS, page_limit, query_values
from parcelsms.api.resources.messages.filters import parse_query_time
from parcelsms.api.route_table import ApiRoute, Parameter, admin_route
from parcelsms.api.value_formats import CURSOR, PHONE_PATTERN
from parcelsms.domain.error_catalogue import error
from parcelsms.domain.numbers import parse_recipient
from parcelsms.errors import CatalogueError
from parcelsms.pipeline.inbound_ports import (
    EventFeed,
    FeedEvent,
    InboundFilter,
    InboundReply,
    InboundStore,
)

# --- schemas --------------------------------------------------------------------------------------

Keyword = Literal["opt_out", "opt_in"]


class InboundOut(msgspec.Struct, kw_only=True, rename={"from_number": "from"}):
    """A reply from a handset, tied to the message it answers."""

    id: str
    from_number: Annotated[str, msgspec.Meta(description="The handset's number (E.164).")]
    to: Annotated[str, msgspec.Meta(description="The number or sender ID it was sent to.")]
    text: str
    received_at: datetime
    message_id: Annotated[
        str | None,
        msgspec.Meta(
            description="The message it answers (the latest one sent "
            "to this number within the match window)."
        ),
    ]
    client_ref: str | None
    keyword: Annotated[
        Keyword | None,
        msgspec.Meta(
            description="`opt_out` or `opt_in` when the whole text is a keyword; the "
            "number was then put on (taken off) the account's suppression list."
        ),
    ]
    complete: Annotated[
        bool,
        msgspec.Meta(
            description="False for a concatenated reply whose `missing_parts` "
            "never arrived; `text` is what did."
        ),
    ]
    missing_parts: list[int]


class InboundList(msgspec.Struct, kw_only=True):
    """A page of replies, newest first; pass `next_cursor` back as `cursor` for the next."""

    data: list[InboundOut]
    next_cursor: str | None


class UnmatchedInboundOut(InboundOut, kw_only=True):
    """A reply no account owns, with the carrier channel it came on."""

    channel: str


class UnmatchedInboundList(msgspec.Struct, kw_only=True):
    """A page of unmatched replies, newest first."""

    data: list[UnmatchedInboundOut]
    next_cursor: str | None


class StatusEventOut(msgspec.Struct, kw_only=True, tag_field="type", tag="message.status"):
    """A message's status changed."""

    at: datetime
    message_id: str
    status: str
    client_ref: str | None


class InboundEventOut(msgspec.Struct, kw_only=True, tag_field="type", tag="message.inbound"):
    """A reply arrived."""

    at: datetime
    inbound: InboundOut


class EventPage(msgspec.Struct, kw_only=True):
    """Events in commit order; poll again with `next_cursor` as `after` (it is always set)."""

    data: list[StatusEventOut | InboundEventOut]
    next_cursor: str
    has_more: Annotated[
        bool,
        msgspec.Meta(
            description="More events are stored already: ask again at once with "
            "`next_cursor` (a page may be short, even empty, and still have more)."
        ),
    ]


# --- representations ------------------------------------------------------------------------------


def _fields(reply: InboundReply) -> dict[str, Any]:
    return {
        "id": reply.id,
        "from_number": reply.from_number,
        "to": reply.to,
        "text": reply.text,
        "received_at": reply.received_at,
        "message_id": reply.message_id,
        "client_ref": reply.client_ref,
        "keyword": reply.keyword.value if reply.keyword is not None else None,
        "complete": reply.complete,
        "missing_parts": list(reply.missing_parts),
    }


def inbound_out(reply: InboundReply) -> InboundOut:
    """A reply as its account sees it."""
    return InboundOut(**_fields(reply))


def _event_out(event: FeedEvent) -> StatusEventOut | InboundEventOut:
    if event.reply is not None:
        return InboundEventOut(at=event.at, inbound=inbound_out(event.reply))
    assert event.message_id is not None
    assert event.status is not None
    return StatusEventOut(
        at=event.at, message_id=event.message_id, status=event.status, client_ref=event.client_ref
    )


# --- endpoints ------------------------------------------------------------------------------------

_FILTERS = {"from": None, "since": None, "until": None, "message_id": None}
_MAX_ID_LENGTH = 64


def _inbound_filter(values: dict[str, str]) -> InboundFilter:
    number = values.get("from")
    if number is not None:
        try:
            number = parse_recipient(number, field="from").e164
        except CatalogueError as problem:
            raise error(
                "invalid_filter",
                f"from is not a valid mobile number: {problem.message}",
                field="from",
            ) from None
    message_id = values.get("message_id")
    if message_id is not None and len(message_id) > _MAX_ID_LENGTH:
        raise error("invalid_filter", "message_id is a message id (msg_…).", field="message_id")
    since, until = values.get("since"), values.get("until")
    return InboundFilter(
        from_number=number,
        message_id=message_id,
        since=parse_query_time("since", since) if since is not None else None,
        until=parse_query_time("until", until) if until is not None else None,
    )


class InboundEndpoints:
    """Handlers of the reply and events routes (the sender's and the operator's)."""

    def __init__(self, store: InboundStore, feed: EventFeed, authenticator: Authenticator) -> None:
        self._store = store
        self._feed = feed
        self._auth = authenticator

    async def list_inbound(self, request: Request) -> Response:
        caller = await self._auth.authenticate(request)
        values = query_values(request.query_params, _FILTERS)
        page = await self._store.list_replies(
            caller.account_id, _inbound_filter(values), values.get("cursor"), page_limit(values)
        )
        return JsonResponse(
            InboundList(
                data=[inbound_out(item) for item in page.items], next_cursor=page.next_cursor
            )
        )

    async def list_events(self, request: Request) -> Response:
        caller = await self._auth.authenticate(request)
        values = query_values(request.query_params, {"after": None})
        if "cursor" in values:
            raise error("invalid_filter", "The events cursor is passed as `after`.", field="cursor")
        page = await self._feed.read_events(
            caller.account_id, values.get("after"), page_limit(values)
        )
        return JsonResponse(
            EventPage(
                data=[_event_out(event) for event in page.events],
                next_cursor=page.next_cursor,
                has_more=page.has_more,
            )
        )

    async def list_unmatched_inbound(self, request: Request) -> Response:
        values = query_values(request.query_params, {})
        page = await self._store.list_unmatched_replies(values.get("cursor"), page_limit(values))
        return JsonResponse(
            UnmatchedInboundList(
                data=[
                    UnmatchedInboundOut(**_fields(item), channel=item.channel)
                    for item in page.items
                ],
                next_cursor=page.next_cursor,
            )
        )

    def routes(self) -> list[ApiRoute]:
        """The route table entries of these handlers."""
        return [
            ApiRoute(
                method="GET",
                path="/v1/inbound",
                handler=self.list_inbound,
                summary="List replies",
                description="Replies from recipients, newest first, each tied to the message it "
                "answers. Opt-out and opt-in keywords are marked (`keyword`).",
                tag="messages",
                response=InboundList,
                errors=("invalid_filter", "invalid_cursor"),
                scope="messages:read",
                parameters=(
                    Parameter(
                        "from",
                        "query",
                        "Only replies from this number (any pasted form; compared in E.164).",
                        {"type": "string", "maxLength": 64, "pattern": PHONE_PATTERN},
                    ),
                    Parameter(
                        "message_id",
                        "query",
                        "Only replies to this message.",
                        {"type": "string", "maxLength": _MAX_ID_LENGTH},
                    ),
                    Parameter(
                        "since",
                        "query",
                        "Received at or after this time (ISO 8601 with a time zone).",
                        {"type": "string", "format": "date-time"},
                    ),
                    Parameter(
                        "until",
                        "query",
                        "Received before this time (ISO 8601 with a time zone).",
                        {"type": "string", "format": "date-time"},
                    ),
                    *PAGE_PARAMETERS,
                ),
            ),
            ApiRoute(
                method="GET",
                path="/v1/events",
                handler=self.list_events,
                summary="Poll status changes and replies",
                description="Every status change of the account's messages and every reply, "
                "in commit order, after the cursor `after` (leave it out to start from the "
                "beginning). The cursor never skips nor repeats an event, whatever is written "
                "meanwhile; `next_cursor` is always set: poll with it again (docs/inbound.md).",
                tag="messages",
                response=EventPage,
                errors=("invalid_filter", "invalid_cursor"),
                scope="messages:read",
                parameters=(
                    Parameter("after", "query", "The `next_cursor` of the previous page.", CURSOR),
                    PAGE_PARAMETERS[1],
                ),
            ),
            admin_route(
                method="GET",
                path="/admin/v1/inbound/unmatched",
                handler=self.list_unmatched_inbound,
                summary="Replies that matched no message",
                description="Replies from numbers no account sent a message to within the "
                "match window (`[inbound] match_window`), newest first, with their channel.",
                response=UnmatchedInboundList,
                errors=("invalid_filter", "invalid_cursor"),
                parameters=PAGE_PARAMETERS,
            ),
        ]
