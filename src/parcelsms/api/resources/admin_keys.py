"""``/admin/v1/keys``, ``/admin/v1/operator_keys`` and ``/admin/v1/audit``: every API key of
the installation, operator keys, and the audit log."""

from __future__ import annotations

from datetime import datetime
from functools import partial
from typing import Annotated, Any, Protocol

import msgspec
from starlette.requests import Request
from starlette.responses import Response

from parcelsms.api.authentication import Authenticator
from parcelsms.api.error_responses import JsonResponse
from parcelsms.api.list_queries import PAGE_PARAMETERS, page_limit, query_values
from parcelsms.api.request_body import RequestBody, decode_body, read_json_body
from parcelsms.api.resources.keys import (
    KeyCreated,
    KeyList,
    KeyOut,
    Label,
    Network,
    key_created,
    key_out,
)
from parcelsms.api.route_table import ApiRoute, Parameter, admin_route
from parcelsms.api.value_formats import QUERY_TEXT_LIMIT
from parcelsms.domain.api_keys import OPERATOR_SCOPES
from parcelsms.domain.error_catalogue import error
from parcelsms.domain.ip_allowlist import parse_allowlist
from parcelsms.pipeline.account_security_ports import (
    AccountReviewStore,
    AuditEntry,
    AuditFilter,
    AuditStore,
    KeySpec,
    KeyStore,
)

# --- schemas --------------------------------------------------------------------------------------


class OperatorKeyCreate(RequestBody):
    label: Label = ""
    allowed_networks: Annotated[list[Network], msgspec.Meta(max_length=32)] | None = None
    require_signature: bool = False


class AuditEntryOut(msgspec.Struct, kw_only=True):
    id: str
    at: datetime
    actor: str
    actor_key_id: str | None
    action: str
    target_type: str
    target_id: str | None
    account_id: str | None
    before: dict[str, Any] | None
    after: dict[str, Any] | None
    request_id: str | None


class AuditList(msgspec.Struct, kw_only=True):
    data: list[AuditEntryOut]
    next_cursor: str | None


# --- representations ------------------------------------------------------------------------------


def audit_out(entry: AuditEntry) -> AuditEntryOut:
    return AuditEntryOut(
        id=entry.id,
        at=entry.at,
        actor=entry.actor,
        actor_key_id=entry.actor_key_id,
        action=entry.action,
        target_type=entry.target_type,
        target_id=entry.target_id,
        account_id=entry.account_id,
        before=entry.before,
        after=entry.after,
        request_id=entry.request_id,
    )


# --- endpoints ------------------------------------------------------------------------------------


_operator_key_decoder = msgspec.json.Decoder(OperatorKeyCreate)
_MAX_ID_LENGTH = 64


class AdminKeyStore(AccountReviewStore, KeyStore, AuditStore, Protocol):
    """What these endpoints read and write."""


class AdminKeyEndpoints:
    """Handlers of the operator's key and audit routes."""

    def __init__(
        self, store: AdminKeyStore, authenticator: Authenticator, max_body_bytes: int
    ) -> None:
        self._store = store
        self._auth = authenticator
        self._max_body_bytes = max_body_bytes

    async def admin_list_keys(self, request: Request) -> Response:
        """Every key, or one account's (``account_id``)."""
        await self._auth.authenticate(request)
        values = query_values(request.query_params, {"account_id": None})
        records = await self._store.list_keys(values.get("account_id"))
        return JsonResponse(
            KeyList(data=[key_out(record, with_account=True) for record in records])
        )

    async def admin_revoke_key(self, request: Request) -> Response:
        """Revoke any key at once (an operator key too, the caller's own included)."""
        caller = await self._auth.authenticate(request)
        key_id: str = request.path_params["id"]
        record = None
        if len(key_id) <= _MAX_ID_LENGTH:
            record = await self._store.revoke_key(key_id, caller.actor)
        if record is None:
            raise error("not_found", "No such API key.")
        self._auth.forget_key(key_id)
        return JsonResponse(key_out(record, with_account=True))

    async def admin_create_operator_key(self, request: Request) -> Response:
        """A new operator key (scope ``admin``); the plaintext is in this response only."""
        caller = await self._auth.authenticate(request)
        payload = decode_body(
            _operator_key_decoder, await read_json_body(request, self._max_body_bytes)
        )
        networks = None
        if payload.allowed_networks is not None:
            networks = parse_allowlist(payload.allowed_networks)
        spec = KeySpec(
            scopes=OPERATOR_SCOPES,
            label=payload.label.strip(),
            allowed_networks=networks,
            require_signature=payload.require_signature,
        )
        operator = await self._store.operator_account()
        created = await self._store.create_key(operator.id, spec, caller.actor)
        return JsonResponse(
            key_created(created.record, created.plaintext, with_account=True), status_code=201
        )

    async def admin_list_audit(self, request: Request) -> Response:
        """The audit log, newest first."""
        await self._auth.authenticate(request)
        values = query_values(
            request.query_params, {"account_id": None, "action": None, "actor_key_id": None}
        )
        page = await self._store.list_audit(
            AuditFilter(
                account_id=values.get("account_id"),
                action=values.get("action"),
                actor_key_id=values.get("actor_key_id"),
            ),
            values.get("cursor"),
            page_limit(values),
        )
        return JsonResponse(
            AuditList(data=[audit_out(entry) for entry in page.items], next_cursor=page.next_cursor)
        )

    def routes(self) -> list[ApiRoute]:
        """The route table entries of these handlers."""
        route = partial(admin_route, self_audited=True)
        return [
            route(
                method="GET",
                path="/admin/v1/keys",
                handler=self.admin_list_keys,
                summary="List API keys",
                response=KeyList,
                errors=("invalid_filter",),
                parameters=(
                    Parameter(
                        "account_id",
                        "query",
                        "Only this account's keys.",
                        {"type": "string", "maxLength": QUERY_TEXT_LIMIT},
                    ),
                ),
            ),
            route(
                method="DELETE",
                path="/admin/v1/keys/{id}",
                handler=self.admin_revoke_key,
                summary="Revoke an API key",
                response=KeyOut,
                errors=("not_found",),
            ),
            route(
                method="POST",
                path="/admin/v1/operator_keys",
                handler=self.admin_create_operator_key,
                summary="Create an operator key",
                description="Operator keys hold the `admin` scope and nothing else.",
                request=OperatorKeyCreate,
                response=KeyCreated,
                status=201,
            ),
            route(
                method="GET",
                path="/admin/v1/audit",
                handler=self.admin_list_audit,
                summary="Read the audit log",
                description="Every change made through the operator API, the CLI and the "
                "account and key endpoints: who (`actor`, `actor_key_id`), what (`action`, "
                "`target_type`, `target_id`), when (`at`) and the state `before`/`after`.",
                response=AuditList,
                errors=("invalid_filter", "invalid_cursor"),
                parameters=(
                    Parameter(
                        "account_id",
                        "query",
                        "Only this account's entries.",
                        {"type": "string", "maxLength": QUERY_TEXT_LIMIT},
                    ),
                    Parameter(
                        "action",
                        "query",
                        "Only this action, e.g. `account.verify`.",
                        {"type": "string", "maxLength": QUERY_TEXT_LIMIT},
                    ),
                    Parameter(
                        "actor_key_id",
                        "query",
                        "Only actions of this key.",
                        {"type": "string", "maxLength": QUERY_TEXT_LIMIT},
                    ),
                    *PAGE_PARAMETERS,
                ),
            ),
        ]
