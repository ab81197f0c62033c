"""``/v1/templates``: create template versions, submit drafts, list and read them.

``POST /v1/templates`` keeps its first form (``name``, ``language``, ``body`` → a version
pending review) and adds ``variables`` (typed declarations), ``submit: false`` (a draft)
and ``default_language``. Every version carries the findings of the automatic checks.
Request Structs forbid unknown fields; constraints declared with ``Meta`` are both enforced
and published in ``/openapi.json``.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Final, Literal, get_args

import msgspec
from starlette.requests import Request
from starlette.responses import Response

from parcelsms.api.authentication import Authenticator
from parcelsms.api.error_responses import JsonResponse
from parcelsms.api.field_rules import canonical_language, template_name
from parcelsms.api.request_body import RequestBody, check_utf8, decode_body, read_json_body
from parcelsms.api.route_table import ApiRoute, Parameter
from parcelsms.api.value_formats import LanguageTag, TemplateName
from parcelsms.domain.error_catalogue import error
from parcelsms.domain.templates import parse_template
from parcelsms.errors import CatalogueError
from parcelsms.pipeline.content_authoring import ContentAuthoring
from parcelsms.pipeline.content_ports import (
    Template,
    TemplateFinding,
    TemplateStore,
    TemplateVariable,
)

TemplateStatus = Literal["draft", "pending_review", "approved", "rejected", "superseded"]
VariableType = Literal["text", "tracking_number", "date", "date_time", "money", "link"]
Severity = Literal["error", "warning"]


# --- schemas --------------------------------------------------------------------------------------


class VariableDeclaration(RequestBody):
    """A typed variable: how a value is checked and written (see `docs/templates.md`)."""

    type: VariableType = "text"
    max_length: Annotated[
        int,
        msgspec.Meta(
            ge=1,
            le=80,
            description="The longest value, as written in the message (dates and amounts "
            "after formatting).",
        ),
    ] = 80


PlaceholderName = Annotated[
    str, msgspec.Meta(pattern="^[a-z][a-z0-9_]{0,39}$", description="A placeholder's name.")
]
Variables = Annotated[
    dict[PlaceholderName, VariableDeclaration],
    msgspec.Meta(
        description="Every placeholder's declaration, by name.",
        examples=[{"tracking_number": {"type": "tracking_number", "max_length": 30}}],
    ),
]


class TemplateCreate(RequestBody):
    """A new version of the variant `name` + `language`.

    Stored `pending_review` (or `draft` with `submit: false`); an open draft or pending
    version of the same variant is superseded by it. Without `variables` the declarations
    of the template's latest version (any language) are used.
    """

    name: TemplateName
    language: LanguageTag
    body: Annotated[
        str,
        msgspec.Meta(
            description="1 to 1,600 characters; placeholders are `{name}`, literal braces "
            "`{{` and `}}`.",
            examples=["Your parcel {tracking_number} has shipped."],
        ),
    ]
    variables: Variables | None = None
    submit: Annotated[bool, msgspec.Meta(description="`false` stores a draft to submit later.")] = (
        True
    )
    default_language: LanguageTag | None = None


class TemplateCreateEnvelope(RequestBody):
    """:class:`TemplateCreate` as decoded: each declaration stays raw JSON until it is
    decoded on its own, so an error can name its variable (``variables.eta.max_length``)."""

    name: TemplateName
    language: LanguageTag
    body: str
    variables: dict[str, msgspec.Raw] | None = None
    submit: bool = True
    default_language: LanguageTag | None = None


class Finding(msgspec.Struct, kw_only=True):
    """A content check's finding: `error` findings block approval, `warning`s need judgement.

    `span` is `[start, end)` in the body, as character (code point) offsets.
    """

    code: str
    severity: Severity
    message: str
    span: tuple[int, int] | None
    field: str


class TemplateOut(msgspec.Struct, kw_only=True):
    """A template version (one variant: name + language)."""

    id: str
    name: str
    language: str
    version: int
    body: str
    placeholders: list[str]
    variables: dict[str, Any]
    status: TemplateStatus
    reason: str | None
    findings: list[Finding]
    default_language: str | None
    superseded_by: str | None
    created_at: datetime
    submitted_at: datetime | None
    reviewed_at: datetime | None


class TemplateList(msgspec.Struct, kw_only=True):
    """The account's template versions, oldest first."""

    data: list[TemplateOut]


# --- representations ------------------------------------------------------------------------------


def _finding(finding: TemplateFinding) -> Finding:
    return Finding(
        code=finding.code,
        severity=finding.severity,
        message=finding.message,
        span=finding.span,
        field=finding.field,
    )


def template_fields(template: Template) -> dict[str, Any]:
    try:
        placeholders = list(parse_template(template.body).placeholders)
    except CatalogueError:
        # Bodies are checked when created; one stored by an older rule still lists.
        placeholders = []
    return {
        "id": template.id,
        "name": template.name,
        "language": template.language,
        "version": template.version,
        "body": template.body,
        "placeholders": placeholders,
        "variables": msgspec.to_builtins(template.variables),
        "status": template.status,
        "reason": template.reason,
        "findings": [_finding(finding) for finding in template.findings],
        "default_language": template.default_language,
        "superseded_by": template.superseded_by,
        "created_at": template.created_at,
        "submitted_at": template.submitted_at,
        "reviewed_at": template.reviewed_at,
    }


def template_out(template: Template) -> TemplateOut:
    """A template version with its placeholders, declarations and findings."""
    return TemplateOut(**template_fields(template))


# --- endpoints ------------------------------------------------------------------------------------


_create_decoder = msgspec.json.Decoder(TemplateCreateEnvelope)
_variable_decoder = msgspec.json.Decoder(VariableDeclaration)
_MAX_ID_LENGTH: Final = 64
_STATUSES: Final = frozenset(get_args(TemplateStatus))
LIST_PARAMETERS: Final = (
    Parameter(
        "name", "query", "Only versions of this template.", msgspec.json.schema(TemplateName)
    ),
    Parameter(
        "language", "query", "Only versions in this language.", msgspec.json.schema(LanguageTag)
    ),
    Parameter("status", "query", "Only versions in this status.", {"enum": sorted(_STATUSES)}),
)


def template_id_of(request: Request) -> str:
    """The ``{id}`` path parameter, refused as ``not_found`` when no id could be that long."""
    template_id: str = request.path_params["id"]
    if len(template_id) > _MAX_ID_LENGTH:
        raise error("not_found", "No such template in this account.")
    return template_id


class TemplateEndpoints:
    """Handlers of the template routes, scoped to the caller's account."""

    def __init__(
        self,
        authoring: ContentAuthoring,
        templates: TemplateStore,
        authenticator: Authenticator,
        max_body_bytes: int,
    ) -> None:
        self._authoring = authoring
        self._templates = templates
        self._auth = authenticator
        self._max_body_bytes = max_body_bytes

    async def create_template(self, request: Request) -> Response:
        """Store a template version (pending review, or a draft) with its findings."""
        caller = await self._auth.authenticate(request)
        body = await read_json_body(request, self._max_body_bytes)
        check_utf8(body)
        payload = decode_body(_create_decoder, body)
        variables = None
        if payload.variables is not None:
            variables = {}
            for name, raw in payload.variables.items():
                item = decode_body(_variable_decoder, raw, field_prefix=f"variables.{name}")
                variables[name] = TemplateVariable(type=item.type, max_length=item.max_length)
        default_language = (
            canonical_language(payload.default_language, field="default_language")
            if payload.default_language is not None
            else None
        )
        template = await self._authoring.create(
            caller.account_id,
            name=template_name(payload.name),
            language=canonical_language(payload.language),
            body=payload.body,
            variables=variables,
            submit=payload.submit,
            default_language=default_language,
        )
        return JsonResponse(
            template_out(template),
            status_code=201,
            headers={"Location": f"/v1/templates/{template.id}"},
        )

    async def submit_template(self, request: Request) -> Response:
        """Submit a draft for review; its findings are computed again."""
        caller = await self._auth.authenticate(request)
        template = await self._authoring.submit(caller.account_id, template_id_of(request))
        if template is None:
            raise error("not_found", "No such template in this account.")
        return JsonResponse(template_out(template))

    async def list_templates(self, request: Request) -> Response:
        """The account's template versions, oldest first, optionally filtered."""
        caller = await self._auth.authenticate(request)
        wanted = _list_filters(request)
        templates = await self._templates.list_templates(caller.account_id)
        shown = [item for item in templates if _matches(item, wanted)]
        return JsonResponse(TemplateList(data=[template_out(item) for item in shown]))

    async def get_template(self, request: Request) -> Response:
        """One template version; another account's id is ``not_found``."""
        caller = await self._auth.authenticate(request)
        template = await self._templates.get_template(caller.account_id, template_id_of(request))
        if template is None:
            raise error("not_found", "No such template in this account.")
        return JsonResponse(template_out(template))

    def routes(self) -> list[ApiRoute]:
        """The route table entries of these handlers."""
        return [
            ApiRoute(
                method="POST",
                path="/v1/templates",
                handler=self.create_template,
                summary="Create a template version",
                description="Creates a new version of the variant `name` + `language`, "
                "pending review (or a draft with `submit: false`), with the findings of the "
                "automatic content checks. It can send once the operator approves it; until "
                "then the variant's approved version (if any) keeps sending.",
                scope="templates",
                tag="templates",
                request=TemplateCreate,
                response=TemplateOut,
                status=201,
                errors=("invalid_template",),
                response_headers={"Location": "The new template's URL."},
            ),
            ApiRoute(
                method="POST",
                path="/v1/templates/{id}/submit",
                handler=self.submit_template,
                summary="Submit a draft for review",
                description="Moves a `draft` to `pending_review`; its findings are computed again.",
                scope="templates",
                tag="templates",
                response=TemplateOut,
                errors=("not_found", "invalid_state"),
            ),
            ApiRoute(
                method="GET",
                path="/v1/templates",
                handler=self.list_templates,
                summary="List template versions",
                scope="templates",
                tag="templates",
                response=TemplateList,
                errors=("invalid_filter",),
                parameters=LIST_PARAMETERS,
            ),
            ApiRoute(
                method="GET",
                path="/v1/templates/{id}",
                handler=self.get_template,
                summary="Get a template version",
                scope="templates",
                tag="templates",
                response=TemplateOut,
                errors=("not_found",),
            ),
        ]


def _list_filters(request: Request) -> dict[str, str]:
    wanted: dict[str, str] = {}
    for key, value in request.query_params.multi_items():
        if key not in ("name", "language", "status") or key in wanted:
            raise error(
                "invalid_filter",
                f"Unknown or repeated parameter {key!r}; filters are name, language, status.",
                field=key,
            )
        if key == "status" and value not in _STATUSES:
            raise error(
                "invalid_filter",
                f"status is one of {', '.join(sorted(_STATUSES))}.",
                field="status",
            )
        try:
            if key == "language":
                value = canonical_language(value, field="language")
            elif key == "name":
                value = template_name(value)
        except CatalogueError as problem:
            raise error("invalid_filter", problem.message, field=key) from None
        wanted[key] = value
    return wanted


def _matches(template: Template, wanted: dict[str, str]) -> bool:
    return (
        wanted.get("name", template.name) == template.name
        and wanted.get("language", template.language) == template.language
        and wanted.get("status", template.status) == template.status
    )
