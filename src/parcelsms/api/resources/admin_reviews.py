"""``/admin/v1``: the operator's review of templates and sender IDs.

Every route needs the operator: an operator key (scope ``admin``) or the bootstrap
token ``[security] admin_token``, as the ``authenticate`` callable given to
:class:`AdminReviewEndpoints` decides. The queues list versions and registrations of every
account, oldest first, ``pending_review`` by default.
Approving a template version with error findings needs ``override_findings: true``.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated, Final, cast, get_args

import msgspec
from starlette.requests import Request
from starlette.responses import Response

from parcelsms.api.error_responses import JsonResponse
from parcelsms.api.request_body import RequestBody, decode_body, read_body_within
from parcelsms.api.resources.sender_ids import SenderIdOut, SenderStatus, sender_fields
from parcelsms.api.resources.templates import TemplateOut, TemplateStatus, template_fields
from parcelsms.api.route_table import ApiRoute, Parameter, admin_route
from parcelsms.domain.error_catalogue import error
from parcelsms.pipeline.content_authoring import ContentAuthoring
from parcelsms.pipeline.content_ports import (
    SenderIdRecord,
    SenderIdStatus,
    SenderIdStore,
    Template,
    TemplateStore,
)
from parcelsms.pipeline.content_ports import TemplateStatus as StoredTemplateStatus

_Reason = Annotated[
    str,
    msgspec.Meta(
        min_length=1, max_length=1000, description="Why, for the sender.", examples=["Promotional"]
    ),
]


# --- schemas --------------------------------------------------------------------------------------


class AdminTemplateOut(TemplateOut, kw_only=True):
    """A template version with its account, as the operator sees it."""

    account_id: str


class AdminTemplateList(msgspec.Struct, kw_only=True):
    """Template versions of every account, oldest first."""

    data: list[AdminTemplateOut]


class ApproveRequest(RequestBody):
    """Approve a version; `override_findings` approves one with error findings."""

    override_findings: bool = False
    note: _Reason | None = None


class RejectRequest(RequestBody):
    """Reject a version or a registration, telling the sender why."""

    reason: _Reason


class AdminSenderIdOut(SenderIdOut, kw_only=True):
    """A registration with its account, as the operator sees it."""

    account_id: str


class AdminSenderIdList(msgspec.Struct, kw_only=True):
    """Registrations of every account, oldest first."""

    data: list[AdminSenderIdOut]


# --- representations ------------------------------------------------------------------------------


def admin_template_out(template: Template) -> AdminTemplateOut:
    """A template version with its account (operator view)."""
    return AdminTemplateOut(**template_fields(template), account_id=template.account_id)


def admin_sender_id_out(record: SenderIdRecord) -> AdminSenderIdOut:
    """A registration with its account (operator view)."""
    return AdminSenderIdOut(**sender_fields(record), account_id=record.account_id)


# --- endpoints ------------------------------------------------------------------------------------


_approve_decoder = msgspec.json.Decoder(ApproveRequest)
_reject_decoder = msgspec.json.Decoder(RejectRequest)
_MAX_ID_LENGTH: Final = 64
_MAX_LIMIT: Final = 1000
_TEMPLATE_STATUSES: Final = frozenset(get_args(TemplateStatus))
_SENDER_STATUSES: Final = frozenset(get_args(SenderStatus))
_REVIEW_ERRORS: Final = ("not_found", "invalid_state")


def _queue_parameters(statuses: frozenset[str]) -> tuple[Parameter, ...]:
    return (
        Parameter(
            "status",
            "query",
            "Only this status; `pending_review` (the review queue) by default.",
            {"enum": sorted(statuses)},
        ),
        Parameter(
            "limit",
            "query",
            f"At most this many, 1 to {_MAX_LIMIT} (default 100).",
            {"type": "integer", "minimum": 1, "maximum": _MAX_LIMIT},
        ),
    )


def _queue_query(request: Request, statuses: frozenset[str]) -> tuple[str, int]:
    status, limit = "pending_review", 100
    seen: set[str] = set()
    for key, value in request.query_params.multi_items():
        if key in seen or key not in ("status", "limit"):
            raise error("invalid_filter", f"Unknown or repeated parameter {key!r}.", field=key)
        seen.add(key)
        if key == "status":
            if value not in statuses:
                raise error(
                    "invalid_filter", f"status is one of {', '.join(sorted(statuses))}.", field=key
                )
            status = value
        elif not value.isdigit() or not 1 <= int(value) <= _MAX_LIMIT:
            raise error("invalid_filter", f"limit is 1 to {_MAX_LIMIT}.", field=key)
        else:
            limit = int(value)
    return status, limit


def _path_id(request: Request, what: str) -> str:
    value: str = request.path_params["id"]
    if len(value) > _MAX_ID_LENGTH:
        raise error("not_found", f"No such {what}.")
    return value


class AdminReviewEndpoints:
    """The operator's review routes."""

    def __init__(
        self,
        authoring: ContentAuthoring,
        templates: TemplateStore,
        senders: SenderIdStore,
        authenticate: Callable[[Request], Awaitable[object]],
        max_body_bytes: int,
    ) -> None:
        """``authenticate(request)`` raises unless the caller is the operator."""
        self._authoring = authoring
        self._templates = templates
        self._senders = senders
        self._authenticate = authenticate
        self._max_body_bytes = max_body_bytes

    async def list_templates_for_review(self, request: Request) -> Response:
        """Template versions of every account in a status (pending review by default)."""
        await self._authenticate(request)
        status, limit = _queue_query(request, _TEMPLATE_STATUSES)
        found = await self._templates.list_templates_by_status(
            cast("StoredTemplateStatus", status), limit
        )
        return JsonResponse(AdminTemplateList(data=[admin_template_out(t) for t in found]))

    async def get_template_for_review(self, request: Request) -> Response:
        """Any account's template version, with its findings."""
        await self._authenticate(request)
        template = await self._templates.get_template_for_review(_path_id(request, "template"))
        if template is None:
            raise error("not_found", "No such template version.")
        return JsonResponse(admin_template_out(template))

    async def approve_template(self, request: Request) -> Response:
        """Approve a pending version; it sends from now on, superseding the previous one."""
        await self._authenticate(request)
        template_id = _path_id(request, "template version")
        body = await read_body_within(request, self._max_body_bytes)
        payload = decode_body(_approve_decoder, body) if body.strip() else ApproveRequest()
        reviewed = await self._authoring.review_template(
            template_id,
            approved=True,
            reason=payload.note,
            override_findings=payload.override_findings,
        )
        if reviewed is None:
            raise error("not_found", "No such template version.")
        return JsonResponse(admin_template_out(reviewed))

    async def reject_template(self, request: Request) -> Response:
        """Reject a pending version with the reason the sender will read."""
        await self._authenticate(request)
        template_id = _path_id(request, "template version")
        payload = decode_body(
            _reject_decoder, await read_body_within(request, self._max_body_bytes)
        )
        reviewed = await self._authoring.review_template(
            template_id, approved=False, reason=payload.reason
        )
        if reviewed is None:
            raise error("not_found", "No such template version.")
        return JsonResponse(admin_template_out(reviewed))

    async def list_sender_ids_for_review(self, request: Request) -> Response:
        """Sender ID registrations of every account in a status (pending by default)."""
        await self._authenticate(request)
        status, limit = _queue_query(request, _SENDER_STATUSES)
        found = await self._senders.list_sender_ids_by_status(cast("SenderIdStatus", status), limit)
        return JsonResponse(AdminSenderIdList(data=[admin_sender_id_out(item) for item in found]))

    async def approve_sender_id(self, request: Request) -> Response:
        """Approve a pending registration."""
        await self._authenticate(request)
        sender_id = _path_id(request, "sender ID registration")
        reviewed = await self._authoring.review_sender_id(sender_id, approved=True, reason=None)
        if reviewed is None:
            raise error("not_found", "No such sender ID registration.")
        return JsonResponse(admin_sender_id_out(reviewed))

    async def reject_sender_id(self, request: Request) -> Response:
        """Reject a pending registration with a reason."""
        await self._authenticate(request)
        sender_id = _path_id(request, "sender ID registration")
        payload = decode_body(
            _reject_decoder, await read_body_within(request, self._max_body_bytes)
        )
        reviewed = await self._authoring.review_sender_id(
            sender_id, approved=False, reason=payload.reason
        )
        if reviewed is None:
            raise error("not_found", "No such sender ID registration.")
        return JsonResponse(admin_sender_id_out(reviewed))

    def routes(self) -> list[ApiRoute]:
        """The route table entries of these handlers."""
        template_queue = _queue_parameters(_TEMPLATE_STATUSES)
        sender_queue = _queue_parameters(_SENDER_STATUSES)
        return [
            admin_route(
                method="GET",
                path="/admin/v1/templates",
                handler=self.list_templates_for_review,
                summary="Template review queue",
                response=AdminTemplateList,
                errors=("invalid_filter",),
                parameters=template_queue,
            ),
            admin_route(
                method="GET",
                path="/admin/v1/templates/{id}",
                handler=self.get_template_for_review,
                summary="Get any template version",
                response=AdminTemplateOut,
                errors=("not_found",),
            ),
            admin_route(
                method="POST",
                path="/admin/v1/templates/{id}/approve",
                handler=self.approve_template,
                summary="Approve a template version",
                description="The body may be empty. A version with error findings needs "
                "`override_findings: true`.",
                request=ApproveRequest,
                body_required=False,
                response=AdminTemplateOut,
                errors=(*_REVIEW_ERRORS, "template_has_errors"),
            ),
            admin_route(
                method="POST",
                path="/admin/v1/templates/{id}/reject",
                handler=self.reject_template,
                summary="Reject a template version",
                request=RejectRequest,
                response=AdminTemplateOut,
                errors=_REVIEW_ERRORS,
            ),
            admin_route(
                method="GET",
                path="/admin/v1/sender_ids",
                handler=self.list_sender_ids_for_review,
                summary="Sender ID review queue",
                response=AdminSenderIdList,
                errors=("invalid_filter",),
                parameters=sender_queue,
            ),
            admin_route(
                method="POST",
                path="/admin/v1/sender_ids/{id}/approve",
                handler=self.approve_sender_id,
                summary="Approve a sender ID registration",
                response=AdminSenderIdOut,
                errors=_REVIEW_ERRORS,
            ),
            admin_route(
                method="POST",
                path="/admin/v1/sender_ids/{id}/reject",
                handler=self.reject_sender_id,
                summary="Reject a sender ID registration",
                request=RejectRequest,
                response=AdminSenderIdOut,
                errors=_REVIEW_ERRORS,
            ),
        ]
