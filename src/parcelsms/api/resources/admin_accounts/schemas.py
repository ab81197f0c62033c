"""The JSON shapes of the operator's account routes, and how an account becomes one.

Request Structs refuse unknown fields; money is a decimal string, times are RFC 3339 UTC.
"""

from __future__ import annotations

from typing import Annotated

import msgspec

from parcelsms.api.request_body import RequestBody
from parcelsms.api.resources.account import AccountOut, account_fields
from parcelsms.api.resources.keys import KeyCreate
from parcelsms.api.value_formats import PRINTABLE, Amount, Money, PositiveAmount
from parcelsms.domain.money import format_micros
from parcelsms.pipeline.account_security_ports import AccountProfile

Reason = Annotated[str, msgspec.Meta(min_length=1, max_length=1000)]


# --- schemas --------------------------------------------------------------------------------------


class AdminAccountCreate(RequestBody):
    name: Annotated[str, msgspec.Meta(min_length=1, max_length=200, extra_json_schema=PRINTABLE)]
    currency: Annotated[str, msgspec.Meta(pattern="^[A-Z]{3}$")] = "EUR"
    balance: Amount = "0"
    verified: bool = False


class AdminAccountOut(AccountOut, kw_only=True):
    """An account as the operator sees it, with its balance."""

    available: Money
    reserved: Money


class AdminAccountList(msgspec.Struct, kw_only=True):
    data: list[AdminAccountOut]
    next_cursor: str | None


class ReviewNote(RequestBody):
    note: Reason | None = None


class ReviewReason(RequestBody):
    reason: Reason


class TopUpCreate(RequestBody):
    amount: PositiveAmount
    note: Annotated[str, msgspec.Meta(max_length=500)] | None = None


class AdminBalance(msgspec.Struct, kw_only=True):
    account_id: str
    currency: str
    available: Money
    reserved: Money


class AdminKeyCreate(KeyCreate):
    """A key for a sender's account, created by the operator.

    Without `scopes` it gets every sender scope except `legacy_get`, which is opt-in.
    `query_key_allowed` lets the key travel as the `api_key` query parameter of
    `GET /v1/messages/send`, for systems that cannot set a header; such a request is refused
    unless it arrives over HTTPS (see `docs/api.md`, legacy sends, for the risks).
    """

    query_key_allowed: bool = False


# --- representations ------------------------------------------------------------------------------


def admin_account_out(profile: AccountProfile) -> AdminAccountOut:
    """The account as the operator sees it, with its balance."""
    return AdminAccountOut(
        **account_fields(profile),
        available=format_micros(profile.account.balance_micros),
        reserved=format_micros(profile.account.reserved_micros),
    )
