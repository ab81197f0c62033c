"""``/v1/test_numbers``: the numbers an account may send to before it is verified, each
confirmed with a code sent to it by SMS.

The module is named ``sandbox_numbers`` (like :mod:`parcelsms.pipeline.sandbox_numbers`) so
that no tool takes it for a test module; the API keeps the user-facing name "test numbers".
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

import msgspec
from starlette.requests import Request
from starlette.responses import Response

from parcelsms.api.authentication import Authenticator
from parcelsms.api.error_responses import JsonResponse
from parcelsms.api.request_body import RequestBody, decode_body, read_json_body
from parcelsms.api.route_table import ApiRoute
from parcelsms.api.value_formats import PHONE_PATTERN
from parcelsms.domain.error_catalogue import error
from parcelsms.pipeline.account_security_ports import TestNumber, TestNumberStore
from parcelsms.pipeline.sandbox_numbers import SandboxNumberVerification

# --- schemas --------------------------------------------------------------------------------------


class TestNumberCreate(RequestBody):
    """A number the account holds; a code is sent to it by SMS."""

    __test__ = False  # not a pytest test class

    number: Annotated[
        str,
        msgspec.Meta(
            max_length=64,
            extra_json_schema={"pattern": PHONE_PATTERN},
            examples=["+44 7911 123456"],
        ),
    ]


class CodeConfirm(RequestBody):
    code: Annotated[str, msgspec.Meta(pattern="^[0-9]{6}$", examples=["123456"])]


class TestNumberOut(msgspec.Struct, kw_only=True):
    """A test number. ``code_expires_at``: while ``pending``, until when the last code works."""

    __test__ = False  # not a pytest test class

    id: str
    number: str
    country: str
    status: Literal["pending", "verified"]
    code_expires_at: datetime | None
    created_at: datetime
    verified_at: datetime | None


class TestNumberList(msgspec.Struct, kw_only=True):
    __test__ = False  # not a pytest test class

    data: list[TestNumberOut]


# --- representations ------------------------------------------------------------------------------


def present_test_number(number: TestNumber) -> TestNumberOut:
    """A test number (the account's own, so shown in full)."""
    return TestNumberOut(
        id=number.id,
        number=number.e164,
        country=number.country,
        status=number.status,
        code_expires_at=number.code_expires_at if number.status == "pending" else None,
        created_at=number.created_at,
        verified_at=number.verified_at,
    )


# --- endpoints ------------------------------------------------------------------------------------


_number_decoder = msgspec.json.Decoder(TestNumberCreate)
_code_decoder = msgspec.json.Decoder(CodeConfirm)
_MAX_ID_LENGTH = 64
_NUMBER_ERRORS = ("invalid_number", "not_mobile", "unsupported_country")


class SandboxNumberEndpoints:
    """Handlers of the test-number routes, scoped to the caller's account.

    Without ``verification`` (the use case), adding and confirming answer
    ``service_unavailable``.
    """

    def __init__(
        self,
        store: TestNumberStore,
        verification: SandboxNumberVerification | None,
        authenticator: Authenticator,
        max_body_bytes: int,
    ) -> None:
        self._store = store
        self._verification = verification
        self._auth = authenticator
        self._max_body_bytes = max_body_bytes

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
            TestNumberList(data=[present_test_number(number) for number in numbers])
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
                method="POST",
                path="/v1/test_numbers",
                handler=self.add_test_number,
                summary="Add a test number (a code is sent by SMS)",
                description="Sends a 6-digit code (free of charge) that confirms the number "
                "for 10 minutes. Adding a pending number again sends a new code (at most one "
                "a minute, ten a day per account); a confirmed number answers 200 and sends "
                "nothing.",
                tag="account",
                request=TestNumberCreate,
                response=TestNumberOut,
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
                response=TestNumberList,
                scope="account",
            ),
            ApiRoute(
                method="GET",
                path="/v1/test_numbers/{id}",
                handler=self.get_test_number,
                summary="Get a test number",
                tag="account",
                response=TestNumberOut,
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
                request=CodeConfirm,
                response=TestNumberOut,
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
