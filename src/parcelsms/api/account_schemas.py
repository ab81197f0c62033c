"""The JSON shapes of accounts, verification, API keys, test numbers and the operator API.

Same conventions as :mod:`parcelsms.api.schemas`: request Structs refuse unknown fields,
constraints are declared with ``Meta`` (and appear in ``/openapi.json``), money is a decimal
string, times are RFC 3339 UTC.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

import msgspec

from parcelsms.api.value_formats import (
    CONTACT_PHONE_PATTERN,
    COUNTRY_CODES,
    EMAIL_PATTERN,
    NETWORK,
    PHONE_PATTERN,
    PRINTABLE,
    Amount,
    PositiveAmount,
)
from parcelsms.domain.api_keys import SCOPES, SENDER_SCOPES

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
Reason = Annotated[str, msgspec.Meta(min_length=1, max_length=1000)]
Money = Annotated[str, msgspec.Meta(description="A decimal amount.", examples=["25.00"])]
AccountState = Literal["unverified", "verified", "suspended"]
ReviewState = Literal["none", "pending_review", "rejected", "approved"]


class _Request(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """Base of request bodies: unknown fields are an error."""


# --- keys -----------------------------------------------------------------------------------


class RateLimit(_Request):
    """A key's own request rate (instead of the installation's default)."""

    per_second: Annotated[float, msgspec.Meta(gt=0, le=100_000)]
    burst: Annotated[int, msgspec.Meta(ge=1, le=1_000_000)]


class KeyCreate(_Request):
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


class KeyCreated(KeyOut, kw_only=True):
    """A new key with its plaintext ``key``: shown only in this response."""

    key: str = ""


class KeyList(msgspec.Struct, kw_only=True):
    data: list[KeyOut]


# --- the account ----------------------------------------------------------------------------


class CompanyDetailsIn(_Request):
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
    verification: VerificationOut
    company: CompanyDetailsOut | None
    suspended_reason: str | None
    created_at: datetime


# --- test numbers ---------------------------------------------------------------------------


class TestNumberCreate(_Request):
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


class CodeConfirm(_Request):
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


# --- the operator API -----------------------------------------------------------------------


class AdminAccountCreate(_Request):
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


class ReviewNote(_Request):
    note: Reason | None = None


class ReviewReason(_Request):
    reason: Reason


class TopUpCreate(_Request):
    amount: PositiveAmount
    note: Annotated[str, msgspec.Meta(max_length=500)] | None = None


class AdminBalance(msgspec.Struct, kw_only=True):
    account_id: str
    currency: str
    available: Money
    reserved: Money


class OperatorKeyCreate(_Request):
    label: Label = ""
    allowed_networks: Annotated[list[Network], msgspec.Meta(max_length=32)] | None = None
    require_signature: bool = False


class AdminKeyCreate(KeyCreate):
    """A key for a sender's account, created by the operator."""


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
