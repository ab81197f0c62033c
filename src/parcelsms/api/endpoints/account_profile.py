"""``/v1/account`` and ``/v1/test_numbers``: the account's state, its verification request,
and the numbers it may send to before it is verified."""

from __future__ import annotations

from typing import Protocol

import msgspec
from starlette.requests import Request
from starlette.responses import Response

from parcelsms.api import account_schemas as schemas
from parcelsms.api.account_representations import account_out, present_test_number
from parcelsms.api.authentication import Authenticator
from parcelsms.api.error_responses import JsonResponse
from parcelsms.api.request_body import decode_body, read_json_body
from parcelsms.api.route_table import ApiRoute
from parcelsms.domain.company_details import CompanyDetails, checked_company_details
from parcelsms.domain.error_catalogue import error
from parcelsms.pipeline.account_security_ports import AccountReviewStore, TestNumberStore
from parcelsms.pipeline.sandbox_numbers import SandboxNumberVerification

_details_decoder = msgspec.json.Decoder(schemas.CompanyDetailsIn)
_number_decoder = msgspec.json.Decoder(schemas.TestNumberCreate)
_code_decoder = msgspec.json.Decoder(schemas.CodeConfirm)
_MAX_ID_LENGTH = 64
_NUMBER_ERRORS = ("invalid_number", "not_mobile", "unsupported_country")


class AccountProfileStore(AccountReviewStore, TestNumberStore, Protocol):
    """What these endpoints read and write."""


class AccountProfileEndpoints:
    """Handlers of the account and test-number routes, scoped to the caller's account."""

    def __init__(
        self,
        store: AccountProfileStore,
        verification: SandboxNumberVerification | None,
        authenticator: Authenticator,
        max_body_bytes: int,
    ) -> None:
        self._store = store
        self._verification = verification
        self._auth = authenticator
        self._max_body_bytes = max_body_bytes

    async def get_account(self, request: Request) -> Response:
        """The account with its state, verification and company details."""
        caller = await self._auth.authenticate(request)
        profile = await self._store.get_account_profile(caller.account_id)
        if profile is None:
            raise error("unauthorized", "The API key's account does not exist.")
        return JsonResponse(account_out(profile))

    async def submit_verification(self, request: Request) -> Response:
        """Submit (or resubmit) company details for the operator's review."""
        caller = await self._auth.authenticate(request)
        body = await read_json_body(request, self._max_body_bytes)
        payload = decode_body(_details_decoder, body)
        details = checked_company_details(
            CompanyDetails(
                legal_name=payload.legal_name,
                registration_number=payload.registration_number,
                country=payload.country,
                contact_name=payload.contact_name,
                contact_email=payload.contact_email,
                contact_phone=payload.contact_phone,
            )
        )
        profile = await self._store.submit_company_details(caller.account_id, details, caller.actor)
        return JsonResponse(account_out(profile))

    async def add_test_number(self, request: Request) -> Response:
        """Register a number and send it a code (again, when it is still pending)."""
        caller = await self._auth.authenticate(request)
        body = await read_json_body(request, self._max_body_bytes)
        payload = decode_body(_number_decoder, body)
        if self._verification is None:
            raise error("service_unavailable", "Test numbers are not available on this server.")
        number = await self._verification.add(caller.account_id, payload.number, caller.actor)
        return JsonResponse(
            present_test_number(number),
            status_code=200 if number.status == "verified" else 201,
            headers={"Location": f"/v1/test_numbers/{number.id}"},
        )

    async def confirm_test_number(self, request: Request) -> Response:
        """Confirm a number with the code it received."""
        caller = await self._auth.authenticate(request)
        number_id = self._number_id(request)
        body = await read_json_body(request, self._max_body_bytes)
        payload = decode_body(_code_decoder, body)
        if self._verification is None:
            raise error("service_unavailable", "Test numbers are not available on this server.")
        number = await self._verification.confirm(
            caller.account_id, number_id, payload.code, caller.actor
        )
        return JsonResponse(present_test_number(number))

    async def list_test_numbers(self, request: Request) -> Response:
        caller = await self._auth.authenticate(request)
        numbers = await self._store.list_test_numbers(caller.account_id)
        return JsonResponse(
            schemas.TestNumberList(data=[present_test_number(number) for number in numbers])
        )

    async def get_test_number(self, request: Request) -> Response:
        caller = await self._auth.authenticate(request)
        number = await self._store.get_test_number(caller.account_id, self._number_id(request))
        if number is None:
            raise error("not_found", "No such test number in this account.")
        return JsonResponse(present_test_number(number))

    async def delete_test_number(self, request: Request) -> Response:
        caller = await self._auth.authenticate(request)
        deleted = await self._store.delete_test_number(
            caller.account_id, self._number_id(request), caller.actor
        )
        if not deleted:
            raise error("not_found", "No such test number in this account.")
        return Response(status_code=204)

    @staticmethod
    def _number_id(request: Request) -> str:
        number_id: str = request.path_params["id"]
        if len(number_id) > _MAX_ID_LENGTH:
            raise error("not_found", "No such test number in this account.")
        return number_id

    def routes(self) -> list[ApiRoute]:
        """The route table entries of these handlers."""
        return [
            ApiRoute(
                method="GET",
                path="/v1/account",
                handler=self.get_account,
                summary="Get the account",
                description="`status` is `unverified`, `verified` or `suspended`; "
                "`verification.review` says where submitted company details stand.",
                tag="account",
                response=schemas.AccountOut,
                scope="account",
                allowed_when_suspended=True,
            ),
            ApiRoute(
                method="POST",
                path="/v1/account/verification",
                handler=self.submit_verification,
                summary="Submit company details for verification",
                description="Puts the details up for the operator's review "
                "(`verification.review` becomes `pending_review`). Allowed until the "
                "account is verified; a rejected account may resubmit.",
                tag="account",
                request=schemas.CompanyDetailsIn,
                response=schemas.AccountOut,
                errors=("account_state_conflict",),
                scope="account",
            ),
            ApiRoute(
                method="POST",
                path="/v1/test_numbers",
                handler=self.add_test_number,
                summary="Add a test number (a code is sent by SMS)",
                description="Sends a 6-digit code (free of charge) that confirms the number "
                "for 10 minutes. Adding a pending number again sends a new code (at most one "
                "a minute, ten a day per account); a confirmed number answers 200 and sends "
                "nothing.",
                tag="account",
                request=schemas.TestNumberCreate,
                response=schemas.TestNumberOut,
                status=201,
                other_statuses={200: "The number is confirmed already; no code was sent."},
                errors=(*_NUMBER_ERRORS, "resource_limit", "rate_limited"),
                scope="account",
                response_headers={"Location": "The test number's URL."},
            ),
            ApiRoute(
                method="GET",
                path="/v1/test_numbers",
                handler=self.list_test_numbers,
                summary="List test numbers",
                tag="account",
                response=schemas.TestNumberList,
                scope="account",
            ),
            ApiRoute(
                method="GET",
                path="/v1/test_numbers/{id}",
                handler=self.get_test_number,
                summary="Get a test number",
                tag="account",
                response=schemas.TestNumberOut,
                errors=("not_found",),
                scope="account",
            ),
            ApiRoute(
                method="POST",
                path="/v1/test_numbers/{id}/confirm",
                handler=self.confirm_test_number,
                summary="Confirm a test number with its code",
                description="Five wrong codes use the code up; ask for a new one by adding "
                "the number again.",
                tag="account",
                request=schemas.CodeConfirm,
                response=schemas.TestNumberOut,
                errors=("not_found", "invalid_code", "code_expired"),
                scope="account",
            ),
            ApiRoute(
                method="DELETE",
                path="/v1/test_numbers/{id}",
                handler=self.delete_test_number,
                summary="Delete a test number",
                tag="account",
                status=204,
                errors=("not_found",),
                scope="account",
            ),
        ]
