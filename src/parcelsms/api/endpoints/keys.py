"""``/v1/keys``: the account's own API keys — list, create, read, revoke.

A key can create keys with at most its own scopes (never ``admin``); a revocation takes
effect at once in this process (the authentication cache entry is dropped) and within the
cache time in other processes.
"""

from __future__ import annotations

import msgspec
from starlette.requests import Request
from starlette.responses import Response

from parcelsms.api import account_schemas as schemas
from parcelsms.api.account_representations import key_created, key_out
from parcelsms.api.authentication import Authenticator
from parcelsms.api.error_responses import JsonResponse
from parcelsms.api.request_body import decode_body, read_json_body
from parcelsms.api.route_table import ApiRoute
from parcelsms.domain.api_keys import canonical_scopes
from parcelsms.domain.error_catalogue import error
from parcelsms.domain.ip_allowlist import parse_allowlist
from parcelsms.pipeline.account_security_ports import KeySpec, KeyStore

_create_decoder = msgspec.json.Decoder(schemas.KeyCreate)
_MAX_ID_LENGTH = 64


def key_spec(payload: schemas.KeyCreate, default_scopes: tuple[str, ...]) -> KeySpec:
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
        return JsonResponse(schemas.KeyList(data=[key_out(record) for record in records]))

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
                response=schemas.KeyList,
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
                request=schemas.KeyCreate,
                response=schemas.KeyCreated,
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
                response=schemas.KeyOut,
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
                response=schemas.KeyOut,
                errors=("not_found",),
                scope="keys",
                allowed_when_suspended=True,
            ),
        ]
