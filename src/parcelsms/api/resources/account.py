"""``/v1/account``: the account's state and its verification request (company details for
the operator's review). Money is a decimal string, times are RFC 3339 UTC."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

import msgspec
from starlette.requests import Request
from starlette.responses import Response

from parcelsms.api.authentication import Authenticator
from parcelsms.api.error_responses import JsonResponse
from parcelsms.api.request_body import RequestBody, decode_body, read_json_body
from parcelsms.api.route_table import ApiRoute
from parcelsms.api.value_formats import (
    CONTACT_PHONE_PATTERN,
    COUNTRY_CODES,
    EMAIL_PATTERN,
    PRINTABLE,
)
from parcelsms.domain.company_details import CompanyDetails, checked_company_details
from parcelsms.domain.error_catalogue import error
from parcelsms.domain.time_zones import check_time_zone
from parcelsms.pipeline.account_security_ports import AccountProfile, AccountReviewStore

AccountState = Literal["unverified", "verified", "suspended"]
ReviewState = Literal["none", "pending_review", "rejected", "approved"]


# --- schemas --------------------------------------------------------------------------------------


class CompanyDetailsIn(RequestBody):
    """Who is behind the account, for the operator's verification."""

    legal_name: Annotated[
        str,
        msgspec.Meta(max_length=200, examples=["Acme Parcels Ltd"], extra_json_schema=PRINTABLE),
    ]
    registration_number: Annotated[
        str, msgspec.Meta(max_length=64, examples=["09876543"], extra_json_schema=PRINTABLE)
    ]
    country: Annotated[
        str,
        msgspec.Meta(
            max_length=2,
            description="ISO 3166 alpha-2.",
            examples=["GB"],
            extra_json_schema={"enum": COUNTRY_CODES},
        ),
    ]
    contact_name: Annotated[
        str, msgspec.Meta(max_length=200, examples=["Jo Bloggs"], extra_json_schema=PRINTABLE)
    ]
    contact_email: Annotated[
        str,
        msgspec.Meta(
            max_length=254,
            examples=["ops@acme.example"],
            extra_json_schema={"pattern": EMAIL_PATTERN},
        ),
    ]
    contact_phone: Annotated[
        str,
        msgspec.Meta(
            max_length=40,
            extra_json_schema={"pattern": CONTACT_PHONE_PATTERN},
            description="International form; a number that does not exist is `invalid_number`.",
            examples=["+44 20 7946 0000"],
        ),
    ]


class AccountSettingsUpdate(RequestBody):
    """Change the account's settings; a field left out keeps its value."""

    time_zone: (
        Annotated[
            str,
            msgspec.Meta(
                max_length=64,
                description="IANA time zone the console shows the account's times and days "
                "in (a console user may choose their own). An unknown name is "
                "`invalid_time_zone`.",
                examples=["Europe/Berlin"],
                extra_json_schema=PRINTABLE,
            ),
        ]
        | None
    ) = None


class CompanyDetailsOut(msgspec.Struct, kw_only=True):
    legal_name: str
    registration_number: str
    country: str
    contact_name: str
    contact_email: str
    contact_phone: str


class VerificationOut(msgspec.Struct, kw_only=True):
    """Where the account's verification stands. ``review`` concerns the submitted details."""

    review: ReviewState
    reason: str | None
    submitted_at: datetime | None
    reviewed_at: datetime | None
    verified_at: datetime | None


class AccountOut(msgspec.Struct, kw_only=True):
    """The account. ``status``: ``unverified`` accounts send only to their test numbers and
    the magic numbers; ``verified`` ones anywhere their routes allow; ``suspended`` ones not
    at all."""

    id: str
    name: str
    status: AccountState
    currency: str
    time_zone: str
    verification: VerificationOut
    company: CompanyDetailsOut | None
    suspended_reason: str | None
    created_at: datetime


# --- representations ------------------------------------------------------------------------------


def account_fields(profile: AccountProfile) -> dict[str, Any]:
    company = profile.company
    return {
        "id": profile.account.id,
        "name": profile.account.name,
        "status": profile.state,
        "currency": profile.account.currency,
        "time_zone": profile.account.time_zone,
        "verification": VerificationOut(
            review=profile.review,
            reason=profile.review_reason,
            submitted_at=profile.submitted_at,
            reviewed_at=profile.reviewed_at,
            verified_at=profile.verified_at,
        ),
        "company": None
        if company is None
        else CompanyDetailsOut(
            legal_name=company.legal_name,
            registration_number=company.registration_number,
            country=company.country,
            contact_name=company.contact_name,
            contact_email=company.contact_email,
            contact_phone=company.contact_phone,
        ),
        "suspended_reason": profile.suspended_reason,
        "created_at": profile.account.created_at,
    }


def account_out(profile: AccountProfile) -> AccountOut:
    """The account as its sender sees it."""
    return AccountOut(**account_fields(profile))


# --- endpoints ------------------------------------------------------------------------------------


_details_decoder = msgspec.json.Decoder(CompanyDetailsIn)
_settings_decoder = msgspec.json.Decoder(AccountSettingsUpdate)


class AccountEndpoints:
    """Handlers of the account routes, scoped to the caller's account."""

    def __init__(
        self, store: AccountReviewStore, authenticator: Authenticator, max_body_bytes: int
    ) -> None:
        self._store = store
        self._auth = authenticator
        self._max_body_bytes = max_body_bytes

    async def get_account(self, request: Request) -> Response:
        """The account with its state, verification and company details."""
        caller = await self._auth.authenticate(request)
        profile = await self._store.get_account_profile(caller.account_id)
        if profile is None:
            raise error("unauthorized", "The API key's account does not exist.")
        return JsonResponse(account_out(profile))

    async def change_settings(self, request: Request) -> Response:
        """Change the account's settings (its time zone); fields left out keep their value."""
        caller = await self._auth.authenticate(request)
        body = await read_json_body(request, self._max_body_bytes)
        payload = decode_body(_settings_decoder, body)
        if payload.time_zone is not None:
            profile = await self._store.set_account_time_zone(
                caller.account_id, check_time_zone(payload.time_zone), caller.actor
            )
        else:
            found = await self._store.get_account_profile(caller.account_id)
            if found is None:
                raise error("unauthorized", "The API key's account does not exist.")
            profile = found
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
                response=AccountOut,
                scope="account",
                allowed_when_suspended=True,
            ),
            ApiRoute(
                method="POST",
                path="/v1/account",
                handler=self.change_settings,
                summary="Change the account's settings",
                description="`time_zone` is the IANA zone the console shows the account's "
                "times and days in (console users who chose a zone of their own keep it).",
                tag="account",
                request=AccountSettingsUpdate,
                response=AccountOut,
                errors=("invalid_time_zone",),
                scope="account",
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
                request=CompanyDetailsIn,
                response=AccountOut,
                errors=("account_state_conflict",),
                scope="account",
            ),
        ]
