"""``/v1/keys``: the account's own API keys — list, create, read, revoke.

A key can create keys with at most its own scopes (never ``admin``); a revocation takes
effect at once in this process (the authentication cache entry is dropped) and within the
cache time in other processes.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

import msgspec
from starlette.requests import Request
from starlette.responses import Response

from parcelsms.api.authentication import Authenticator
from parcelsms.api.error_responses import JsonResponse
from parcelsms.api.request_body import RequestBody, decode_body, read_json_body
from parcelsms.api.route_table import ApiRoute
from parcelsms.api.value_formats import NETWORK, PRINTABLE
from parcelsms.domain.api_keys import SCOPES, SENDER_SCOPES, canonical_scopes
from parcelsms.domain.error_catalogue import error
from parcelsms.domain.ip_allowlist import parse_allowlist
from parcelsms.pipeline.account_security_ports import KeyRecord, KeySpec, KeyStore

Scope = Annotated[
    str,
    msgspec.Meta(
        description="One of: " + ", ".join(f"`{name}` ({what})" for name, what in SCOPES.items()),
        examples=["messages:send"],
        extra_json_schema={"enum": list(SENDER_SCOPES)},
    ),
]
Network = Annotated[
    str,
    msgspec.Meta(
        max_length=64,
        extra_json_schema=NETWORK,
        description="An IPv4 or IPv6 network in CIDR form (host bits zero), or one address.",
        examples=["203.0.113.0/24"],
    ),
]
Label = Annotated[
    str,
    msgspec.Meta(max_length=200, examples=["warehouse integration"], extra_json_schema=PRINTABLE),
]


# --- schemas --------------------------------------------------------------------------------------


class RateLimit(RequestBody):
    """A key's own request rate (instead of the installation's default)."""

    per_second: Annotated[float, msgspec.Meta(gt=0, le=100_000)]
    burst: Annotated[int, msgspec.Meta(ge=1, le=1_000_000)]


class KeyCreate(RequestBody):
    """A new API key. Without ``scopes`` it gets the creating key's own scopes; it can never
    get a scope the creating key lacks."""

    label: Label = ""
    scopes: Annotated[list[Scope], msgspec.Meta(min_length=1, max_length=16)] | None = None
    allowed_networks: Annotated[list[Network], msgspec.Meta(max_length=32)] | None = None
    require_signature: bool = False
    rate_limit: RateLimit | None = None


class KeyOut(msgspec.Struct, kw_only=True):
    """An API key (never its secret)."""

    id: str
    label: str
    scopes: list[str]
    allowed_networks: list[str] | None
    require_signature: bool
    rate_limit: RateLimit | None
    can_sign: bool
    created_at: datetime
    revoked_at: datetime | None
    last_used_at: datetime | None
    account_id: str | None = None
    query_key_allowed: Annotated[
        bool,
        msgspec.Meta(
            description="The operator allows this key as the `api_key` query parameter of "
            "`GET /v1/messages/send` (over HTTPS only)."
        ),
    ] = False


class KeyCreated(KeyOut, kw_only=True):
    """A new key with its plaintext ``key``: shown only in this response."""

    key: str = ""


class KeyList(msgspec.Struct, kw_only=True):
    data: list[KeyOut]


# --- representations ------------------------------------------------------------------------------


def key_out(record: KeyRecord, *, with_account: bool = False) -> KeyOut:
    """A key without its secret; ``with_account`` adds its account id (operator views)."""
    return KeyOut(**_key_fields(record, with_account))


def key_created(record: KeyRecord, plaintext: str, *, with_account: bool = False) -> KeyCreated:
    """A new key with its plaintext (shown once)."""
    return KeyCreated(**_key_fields(record, with_account), key=plaintext)


def _key_fields(record: KeyRecord, with_account: bool) -> dict[str, Any]:
    rate = None
    if record.rate_per_second is not None and record.rate_burst is not None:
        rate = RateLimit(per_second=record.rate_per_second, burst=record.rate_burst)
    return {
        "id": record.id,
        "label": record.label,
        "scopes": list(record.scopes),
        "allowed_networks": None
        if record.allowed_networks is None
        else list(record.allowed_networks),
        "require_signature": record.require_signature,
        "rate_limit": rate,
        "can_sign": record.can_sign,
        "created_at": record.created_at,
        "revoked_at": record.revoked_at,
        "last_used_at": record.last_used_at,
        "account_id": record.account_id if with_account else None,
        "query_key_allowed": record.query_key_allowed,
    }


# --- endpoints ------------------------------------------------------------------------------------


_create_decoder = msgspec.json.Decoder(KeyCreate)
_MAX_ID_LENGTH = 64


def key_spec(payload: KeyCreate, default_scopes: tuple[str, ...]) -> KeySpec:
    """Validate a key request into a :class:`KeySpec` (``invalid_request`` naming the field)."""
    scopes = default_scopes
    if payload.scopes is not None:
        try:
            scopes = canonical_scopes(payload.scopes)
        except ValueError as problem:
            raise error("invalid_request", str(problem), field="scopes") from None
    networks = None
    if payload.allowed_networks is not None:
        networks = parse_allowlist(payload.allowed_networks)
    label = payload.label.strip()
    if not label.isprintable():
        raise error("invalid_request", "The label must be printable text.", field="label")
    rate = payload.rate_limit
    return KeySpec(
        scopes=scopes,
        label=label,
        allowed_networks=networks,
        require_signature=payload.require_signature,
        rate_per_second=None if rate is None else rate.per_second,
        rate_burst=None if rate is None else rate.burst,
    )


class KeyEndpoints:
    """Handlers of the key routes, scoped to the caller's account."""

    def __init__(self, keys: KeyStore, authenticator: Authenticator, max_body_bytes: int) -> None:
        self._keys = keys
        self._auth = authenticator
        self._max_body_bytes = max_body_bytes

    async def list_keys(self, request: Request) -> Response:
        """The account's keys, revoked ones included, oldest first."""
        caller = await self._auth.authenticate(request)
        records = await self._keys.list_keys(caller.account_id)
        return JsonResponse(KeyList(data=[key_out(record) for record in records]))

    async def create_key(self, request: Request) -> Response:
        """A new key for the account; the plaintext is in this response only."""
        caller = await self._auth.authenticate(request)
        body = await read_json_body(request, self._max_body_bytes)
        spec = key_spec(decode_body(_create_decoder, body), caller.scopes)
        beyond = [scope for scope in spec.scopes if scope not in caller.scopes]
        if beyond:
            raise error(
                "forbidden",
                f"A key cannot grant scopes it does not hold itself: {', '.join(beyond)}.",
            )
        created = await self._keys.create_key(caller.account_id, spec, caller.actor)
        return JsonResponse(
            key_created(created.record, created.plaintext),
            status_code=201,
            headers={"Location": f"/v1/keys/{created.record.id}"},
        )

    async def get_key(self, request: Request) -> Response:
        """One key of the account; another account's id is ``not_found``."""
        caller = await self._auth.authenticate(request)
        key_id: str = request.path_params["id"]
        record = await self._keys.get_key(key_id) if len(key_id) <= _MAX_ID_LENGTH else None
        if record is None or record.account_id != caller.account_id:
            raise error("not_found", "No such API key in this account.")
        return JsonResponse(key_out(record))

    async def revoke_key(self, request: Request) -> Response:
        """Revoke a key of the account at once (revoking a revoked key changes nothing)."""
        caller = await self._auth.authenticate(request)
        key_id: str = request.path_params["id"]
        record = None
        if len(key_id) <= _MAX_ID_LENGTH:
            record = await self._keys.revoke_key(key_id, caller.actor, caller.account_id)
        if record is None:
            raise error("not_found", "No such API key in this account.")
        self._auth.forget_key(key_id)
        return JsonResponse(key_out(record))

    def routes(self) -> list[ApiRoute]:
        """The route table entries of these handlers."""
        return [
            ApiRoute(
                method="GET",
                path="/v1/keys",
                handler=self.list_keys,
                summary="List API keys",
                tag="keys",
                response=KeyList,
                scope="keys",
                allowed_when_suspended=True,
            ),
            ApiRoute(
                method="POST",
                path="/v1/keys",
                handler=self.create_key,
                summary="Create an API key",
                description="Scopes default to the creating key's own and can never exceed "
                "them. `allowed_networks` restricts the key to those CIDR networks; "
                "`require_signature` refuses it as a Bearer token (it must sign every "
                "request); `rate_limit` replaces the installation's default request rate. "
                "The plaintext `key` appears in this response only.",
                tag="keys",
                request=KeyCreate,
                response=KeyCreated,
                status=201,
                errors=("forbidden", "resource_limit"),
                scope="keys",
                response_headers={"Location": "The new key's URL."},
            ),
            ApiRoute(
                method="GET",
                path="/v1/keys/{id}",
                handler=self.get_key,
                summary="Get an API key",
                tag="keys",
                response=KeyOut,
                errors=("not_found",),
                scope="keys",
                allowed_when_suspended=True,
            ),
            ApiRoute(
                method="DELETE",
                path="/v1/keys/{id}",
                handler=self.revoke_key,
                summary="Revoke an API key",
                description="Effective at once on this server; requests with the key are "
                "refused from then on.",
                tag="keys",
                response=KeyOut,
                errors=("not_found",),
                scope="keys",
                allowed_when_suspended=True,
            ),
        ]
