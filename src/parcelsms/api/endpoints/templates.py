"""``/v1/templates``: create template versions for review, list and read them."""

from __future__ import annotations

import msgspec
from starlette.requests import Request
from starlette.responses import Response

from parcelsms.api import schemas
from parcelsms.api.authentication import Authenticator
from parcelsms.api.error_responses import JsonResponse
from parcelsms.api.field_rules import canonical_language, template_name
from parcelsms.api.representations import template_out
from parcelsms.api.request_body import decode_body, read_json_body
from parcelsms.api.route_table import ApiRoute
from parcelsms.domain.error_catalogue import error
from parcelsms.domain.templates import parse_template
from parcelsms.pipeline.ports import TemplateStore

_create_decoder = msgspec.json.Decoder(schemas.TemplateCreate)
_MAX_ID_LENGTH = 64


class TemplateEndpoints:
    """Handlers of the template routes, scoped to the caller's account."""

    def __init__(
        self, templates: TemplateStore, authenticator: Authenticator, max_body_bytes: int
    ) -> None:
        self._templates = templates
        self._auth = authenticator
        self._max_body_bytes = max_body_bytes

    async def create_template(self, request: Request) -> Response:
        """Store a template version as ``pending_review`` after checking its body."""
        caller = await self._auth.authenticate(request)
        body = await read_json_body(request, self._max_body_bytes)
        payload = decode_body(_create_decoder, body)
        name = template_name(payload.name)
        language = canonical_language(payload.language)
        parse_template(payload.body)
        template = await self._templates.create_template(
            caller.account_id, name, language, payload.body
        )
        return JsonResponse(
            template_out(template),
            status_code=201,
            headers={"Location": f"/v1/templates/{template.id}"},
        )

    async def list_templates(self, request: Request) -> Response:
        """Every template version of the account."""
        caller = await self._auth.authenticate(request)
        templates = await self._templates.list_templates(caller.account_id)
        return JsonResponse(schemas.TemplateList(data=[template_out(item) for item in templates]))

    async def get_template(self, request: Request) -> Response:
        """One template version; another account's id is ``not_found``."""
        caller = await self._auth.authenticate(request)
        template_id: str = request.path_params["id"]
        template = None
        if len(template_id) <= _MAX_ID_LENGTH:
            template = await self._templates.get_template(caller.account_id, template_id)
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
                summary="Create a template (pending review)",
                description="Creates a new version of the template `name` in `language`. "
                "It can send once the operator approves it; until then sending with it "
                "answers `template_not_approved`.",
                tag="templates",
                request=schemas.TemplateCreate,
                response=schemas.TemplateOut,
                status=201,
                errors=("invalid_template",),
                response_headers={"Location": "The new template's URL."},
            ),
            ApiRoute(
                method="GET",
                path="/v1/templates",
                handler=self.list_templates,
                summary="List templates",
                tag="templates",
                response=schemas.TemplateList,
            ),
            ApiRoute(
                method="GET",
                path="/v1/templates/{id}",
                handler=self.get_template,
                summary="Get a template",
                tag="templates",
                response=schemas.TemplateOut,
                errors=("not_found",),
            ),
        ]
