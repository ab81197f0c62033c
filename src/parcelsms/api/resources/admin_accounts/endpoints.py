"""``/admin/v1/accounts``: the operator's view of sender accounts (prices and the rest of
billing: :mod:`parcelsms.api.resources.billing`).

Every route requires an operator key (scope ``admin``); every change is written to the audit
log by storage, in the transaction of the change, naming the operator key that made it.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Protocol

import msgspec
from starlette.requests import Request
from starlette.responses import Response

from parcelsms.api.authentication import Authenticator
from parcelsms.api.error_responses import JsonResponse
from parcelsms.api.list_queries import PAGE_PARAMETERS, page_limit, query_values
from parcelsms.api.request_body import decode_body, optional_json_body, read_json_body
from parcelsms.api.resources.admin_accounts import schemas
from parcelsms.api.resources.admin_accounts.schemas import admin_account_out
from parcelsms.api.resources.keys import KeyCreated, KeyList, key_created, key_out, key_spec
from parcelsms.api.route_table import ApiRoute, Parameter, admin_route
from parcelsms.domain.api_keys import DEFAULT_SENDER_SCOPES
from parcelsms.domain.error_catalogue import error
from parcelsms.domain.money import format_micros, parse_amount, parse_currency
from parcelsms.errors import StorageError
from parcelsms.pipeline.account_security_ports import (
    AccountFilter,
    AccountProfile,
    AccountReviewStore,
    AccountStore,
    KeyStore,
)

_create_decoder = msgspec.json.Decoder(schemas.AdminAccountCreate)
_note_decoder = msgspec.json.Decoder(schemas.ReviewNote)
_reason_decoder = msgspec.json.Decoder(schemas.ReviewReason)
_top_up_decoder = msgspec.json.Decoder(schemas.TopUpCreate)
_key_decoder = msgspec.json.Decoder(schemas.AdminKeyCreate)
_MAX_ID_LENGTH = 64
_STATES = ("unverified", "verified", "suspended")
_REVIEWS = ("none", "pending_review", "rejected", "approved")


class AdminAccountStore(AccountStore, AccountReviewStore, KeyStore, Protocol):
    """What these endpoints read and write."""


class AdminAccountEndpoints:
    """Handlers of the operator's account routes."""

    def __init__(
        self,
        store: AdminAccountStore,
        authenticator: Authenticator,
        account_changed: Callable[[str], None],
        max_body_bytes: int,
    ) -> None:
        self._store = store
        self._auth = authenticator
        self._account_changed = account_changed
        self._max_body_bytes = max_body_bytes

    async def admin_list_accounts(self, request: Request) -> Response:
        """Sender accounts, newest first, optionally by state or review."""
        await self._auth.authenticate(request)
        values = query_values(request.query_params, {"status": _STATES, "review": _REVIEWS})
        filters = AccountFilter(
            state=values.get("status"),  # type: ignore[arg-type]  # checked against _STATES
            review=values.get("review"),  # type: ignore[arg-type]  # checked against _REVIEWS
        )
        page = await self._store.list_account_profiles(
            filters, values.get("cursor"), page_limit(values)
        )
        return JsonResponse(
            schemas.AdminAccountList(
                data=[admin_account_out(profile) for profile in page.items],
                next_cursor=page.next_cursor,
            )
        )

    async def admin_create_account(self, request: Request) -> Response:
        """A new sender account, verified when the operator has checked it offline."""
        caller = await self._auth.authenticate(request)
        payload = decode_body(_create_decoder, await read_json_body(request, self._max_body_bytes))
        name = payload.name.strip()
        if not name or not name.isprintable():
            raise error("invalid_request", "A name of printable characters.", field="name")
        balance = parse_amount(payload.balance, "balance")
        currency = parse_currency(payload.currency)
        if await self._store.find_account_by_name(name) is not None:
            raise error("account_state_conflict", f"An account named {name!r} exists already.")
        try:
            profile = await self._store.create_sender_account(
                name, balance, currency, verified=payload.verified, actor=caller.actor
            )
        except StorageError:
            if await self._store.find_account_by_name(name) is None:
                raise
            raise error(
                "account_state_conflict", f"An account named {name!r} exists already."
            ) from None
        return JsonResponse(
            admin_account_out(profile),
            status_code=201,
            headers={"Location": f"/admin/v1/accounts/{profile.account.id}"},
        )

    async def admin_get_account(self, request: Request) -> Response:
        await self._auth.authenticate(request)
        return JsonResponse(admin_account_out(await self._profile(request)))

    async def admin_verify_account(self, request: Request) -> Response:
        """Verify the account (approving its submitted details, if any)."""
        caller = await self._auth.authenticate(request)
        account_id = self._account_id(request)
        body = await optional_json_body(
            request, _note_decoder, schemas.ReviewNote(), self._max_body_bytes
        )
        profile = await self._store.verify_account(account_id, caller.actor, body.note)
        return self._changed(profile)

    async def admin_reject_account(self, request: Request) -> Response:
        """Reject the submitted details with a reason the sender sees."""
        caller = await self._auth.authenticate(request)
        account_id = self._account_id(request)
        body = await self._reason(request)
        profile = await self._store.reject_account(account_id, body.reason, caller.actor)
        return self._changed(profile)

    async def admin_suspend_account(self, request: Request) -> Response:
        """Suspend the account: it sends nothing until reactivated."""
        caller = await self._auth.authenticate(request)
        account_id = self._account_id(request)
        body = await self._reason(request)
        profile = await self._store.suspend_account(account_id, body.reason, caller.actor)
        return self._changed(profile)

    async def admin_reactivate_account(self, request: Request) -> Response:
        """Lift a suspension; the account returns to its verification state."""
        caller = await self._auth.authenticate(request)
        account_id = self._account_id(request)
        profile = await self._store.reactivate_account(account_id, caller.actor)
        return self._changed(profile)

    async def admin_get_balance(self, request: Request) -> Response:
        await self._auth.authenticate(request)
        account = (await self._profile(request)).account
        return JsonResponse(
            schemas.AdminBalance(
                account_id=account.id,
                currency=account.currency,
                available=format_micros(account.balance_micros),
                reserved=format_micros(account.reserved_micros),
            )
        )

    async def admin_top_up(self, request: Request) -> Response:
        """Add to the account's balance (a ``topup`` ledger row)."""
        caller = await self._auth.authenticate(request)
        account_id = self._account_id(request)
        payload = decode_body(_top_up_decoder, await read_json_body(request, self._max_body_bytes))
        micros = parse_amount(payload.amount, "amount", allow_zero=False)
        if await self._store.get_account(account_id) is None:
            raise error("not_found", "No such account.")
        account = await self._store.top_up_account(
            account_id, micros, payload.note or "operator top-up", caller.actor
        )
        return JsonResponse(
            schemas.AdminBalance(
                account_id=account.id,
                currency=account.currency,
                available=format_micros(account.balance_micros),
                reserved=format_micros(account.reserved_micros),
            ),
            status_code=201,
        )

    async def admin_list_account_keys(self, request: Request) -> Response:
        await self._auth.authenticate(request)
        profile = await self._profile(request)
        records = await self._store.list_keys(profile.account.id)
        return JsonResponse(
            KeyList(data=[key_out(record, with_account=True) for record in records])
        )

    async def admin_create_account_key(self, request: Request) -> Response:
        """A key for the sender (every default sender scope unless ``scopes`` says otherwise)."""
        caller = await self._auth.authenticate(request)
        profile = await self._profile(request)
        payload = decode_body(_key_decoder, await read_json_body(request, self._max_body_bytes))
        spec = msgspec.structs.replace(
            key_spec(payload, DEFAULT_SENDER_SCOPES), query_key_allowed=payload.query_key_allowed
        )
        created = await self._store.create_key(profile.account.id, spec, caller.actor)
        return JsonResponse(
            key_created(created.record, created.plaintext, with_account=True), status_code=201
        )

    async def _reason(self, request: Request) -> schemas.ReviewReason:
        body = decode_body(_reason_decoder, await read_json_body(request, self._max_body_bytes))
        if not body.reason.strip():
            raise error("invalid_request", "Give a reason.", field="reason")
        return body

    def _changed(self, profile: AccountProfile | None) -> Response:
        if profile is None:
            raise error("not_found", "No such account.")
        self._auth.forget_account(profile.account.id)
        self._account_changed(profile.account.id)
        return JsonResponse(admin_account_out(profile))

    async def _profile(self, request: Request) -> AccountProfile:
        profile = await self._store.get_account_profile(self._account_id(request))
        if profile is None:
            raise error("not_found", "No such account.")
        return profile

    @staticmethod
    def _account_id(request: Request) -> str:
        account_id: str = request.path_params["id"]
        if len(account_id) > _MAX_ID_LENGTH:
            raise error("not_found", "No such account.")
        return account_id

    def routes(self) -> list[ApiRoute]:
        """The route table entries of these handlers."""
        base = "/admin/v1/accounts"
        one = f"{base}/{{id}}"
        route = partial(admin_route, self_audited=True)
        return [
            route(
                method="GET",
                path=base,
                handler=self.admin_list_accounts,
                summary="List sender accounts",
                response=schemas.AdminAccountList,
                errors=("invalid_filter", "invalid_cursor"),
                parameters=(
                    Parameter(
                        "status", "query", "Only accounts in this state.", {"enum": list(_STATES)}
                    ),
                    Parameter(
                        "review",
                        "query",
                        "Only accounts whose details are in this review state.",
                        {"enum": list(_REVIEWS)},
                    ),
                    *PAGE_PARAMETERS,
                ),
            ),
            route(
                method="POST",
                path=base,
                handler=self.admin_create_account,
                summary="Create a sender account",
                description="`verified: true` for an account the operator has verified "
                "offline; otherwise it starts `unverified`.",
                request=schemas.AdminAccountCreate,
                response=schemas.AdminAccountOut,
                status=201,
                errors=("account_state_conflict", "amount_out_of_range"),
            ),
            route(
                method="GET",
                path=one,
                handler=self.admin_get_account,
                summary="Get an account",
                response=schemas.AdminAccountOut,
                errors=("not_found",),
            ),
            route(
                method="POST",
                path=f"{one}/verify",
                handler=self.admin_verify_account,
                summary="Verify an account",
                request=schemas.ReviewNote,
                body_required=False,
                description='The body (`{"note": …}`) is optional.',
                response=schemas.AdminAccountOut,
                errors=("not_found", "account_state_conflict"),
            ),
            route(
                method="POST",
                path=f"{one}/reject",
                handler=self.admin_reject_account,
                summary="Reject an account's company details",
                request=schemas.ReviewReason,
                response=schemas.AdminAccountOut,
                errors=("not_found", "account_state_conflict"),
            ),
            route(
                method="POST",
                path=f"{one}/suspend",
                handler=self.admin_suspend_account,
                summary="Suspend an account",
                request=schemas.ReviewReason,
                response=schemas.AdminAccountOut,
                errors=("not_found", "account_state_conflict"),
            ),
            route(
                method="POST",
                path=f"{one}/reactivate",
                handler=self.admin_reactivate_account,
                summary="Reactivate a suspended account",
                response=schemas.AdminAccountOut,
                errors=("not_found", "account_state_conflict"),
            ),
            route(
                method="GET",
                path=f"{one}/balance",
                handler=self.admin_get_balance,
                summary="Get an account's balance",
                response=schemas.AdminBalance,
                errors=("not_found",),
            ),
            route(
                method="POST",
                path=f"{one}/top_ups",
                handler=self.admin_top_up,
                summary="Top up an account",
                request=schemas.TopUpCreate,
                response=schemas.AdminBalance,
                status=201,
                errors=("not_found", "amount_out_of_range"),
            ),
            route(
                method="GET",
                path=f"{one}/keys",
                handler=self.admin_list_account_keys,
                summary="List an account's API keys",
                response=KeyList,
                errors=("not_found",),
            ),
            route(
                method="POST",
                path=f"{one}/keys",
                handler=self.admin_create_account_key,
                summary="Create an API key for an account",
                request=schemas.AdminKeyCreate,
                response=KeyCreated,
                status=201,
                errors=("not_found", "resource_limit"),
            ),
        ]
