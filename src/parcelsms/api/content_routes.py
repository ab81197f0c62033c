"""The routes of templates, sender IDs, message settings, previews and the operator's review.

One function so that the application's route table adds them in one line:
:func:`content_routes` builds the shared :class:`ContentAuthoring` use case on the
services' storage, with the accept step's country rules and segment limit, and tells the
accept step to forget an account's cached templates and senders whenever a review or a
settings change affects them. The operator routes accept an operator key (scope ``admin``)
or the bootstrap token ``[security] admin_token`` (see :mod:`parcelsms.api.authentication`).
"""

from __future__ import annotations

from starlette.requests import Request

from parcelsms.api.authentication import Authenticator
from parcelsms.api.endpoints.admin import AdminEndpoints
from parcelsms.api.endpoints.preview import PreviewEndpoints
from parcelsms.api.endpoints.sender_ids import SenderIdEndpoints
from parcelsms.api.endpoints.templates import TemplateEndpoints
from parcelsms.api.route_table import ApiRoute
from parcelsms.api.services import ApiServices
from parcelsms.domain.api_keys import ADMIN_SCOPE
from parcelsms.pipeline.content_authoring import ContentAuthoring


def content_routes(services: ApiServices, authenticator: Authenticator) -> list[ApiRoute]:
    """The route table entries of the content routes (``/v1/templates`` … ``/admin/v1``)."""
    content = services.storage.content
    accept = services.accept
    limit = services.max_body_bytes
    settings = accept.compose_settings
    authoring = ContentAuthoring(
        content,
        country_rules=settings.country_rules,
        max_segments=settings.max_segments,
        on_change=accept.forget_account,
    )

    async def operator(request: Request) -> None:
        # An operator key (scope admin) or the bootstrap [security] admin_token.
        await authenticator.authenticate(request, ADMIN_SCOPE)

    routes: list[ApiRoute] = []
    routes += TemplateEndpoints(authoring, content, authenticator, limit).routes()
    routes += SenderIdEndpoints(
        authoring, content, content, authenticator, limit, accept.forget_account
    ).routes()
    routes += PreviewEndpoints(accept, authenticator, limit).routes()
    routes += AdminEndpoints(authoring, content, content, operator, limit).routes()
    return routes
