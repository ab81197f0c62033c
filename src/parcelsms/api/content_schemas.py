"""JSON shapes of templates, sender IDs, message settings, previews and the operator's review.

Like :mod:`parcelsms.api.schemas` (which re-exports the template shapes): request Structs
forbid unknown fields, and constraints declared with ``Meta`` are both enforced and
published in ``/openapi.json``.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

import msgspec

from parcelsms.api.value_formats import COUNTRY_CODES, DOMAIN_PATTERN

TemplateStatus = Literal["draft", "pending_review", "approved", "rejected", "superseded"]
VariableType = Literal["text", "tracking_number", "date", "date_time", "money", "link"]
Severity = Literal["error", "warning"]
SenderStatus = Literal["pending_review", "approved", "rejected"]

TemplateName = Annotated[
    str,
    msgspec.Meta(
        pattern="^[a-z0-9_]{1,64}$",
        description="1 to 64 lowercase letters, digits and underscores.",
        examples=["shipped"],
    ),
]
LanguageTag = Annotated[
    str,
    msgspec.Meta(
        pattern="^[A-Za-z]{2,3}(-[A-Za-z0-9]{1,8})*$",
        max_length=35,
        description="A BCP 47 language tag such as `en`, `es`, `pt-BR` or `zh-Hans`.",
        examples=["en"],
    ),
]
_TemplateName = TemplateName
_LanguageTag = LanguageTag
_Reason = Annotated[
    str,
    msgspec.Meta(
        min_length=1, max_length=1000, description="Why, for the sender.", examples=["Promotional"]
    ),
]
_Country = Annotated[
    str,
    msgspec.Meta(
        pattern="^([A-Za-z]{2}|\\*)$",
        extra_json_schema={"enum": [*COUNTRY_CODES, "*"]},
        description="ISO 3166 alpha-2 code, or `*` for every country that accepts the "
        "sender ID without a registration naming the country.",
        examples=["GB"],
    ),
]


class _Request(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """Base of request bodies: unknown fields are an error."""


# --- templates ------------------------------------------------------------------------------


class VariableDeclaration(_Request):
    """A typed variable: how a value is checked and written (see `docs/templates.md`)."""

    type: VariableType = "text"
    max_length: Annotated[
        int,
        msgspec.Meta(
            ge=1,
            le=80,
            description="The longest value, as written in the message (dates and amounts "
            "after formatting).",
        ),
    ] = 80


PlaceholderName = Annotated[
    str, msgspec.Meta(pattern="^[a-z][a-z0-9_]{0,39}$", description="A placeholder's name.")
]
Variables = Annotated[
    dict[PlaceholderName, VariableDeclaration],
    msgspec.Meta(
        description="Every placeholder's declaration, by name.",
        examples=[{"tracking_number": {"type": "tracking_number", "max_length": 30}}],
    ),
]


class TemplateCreate(_Request):
    """A new version of the variant `name` + `language`.

    Stored `pending_review` (or `draft` with `submit: false`); an open draft or pending
    version of the same variant is superseded by it. Without `variables` the declarations
    of the template's latest version (any language) are used.
    """

    name: _TemplateName
    language: _LanguageTag
    body: Annotated[
        str,
        msgspec.Meta(
            description="1 to 1,600 characters; placeholders are `{name}`, literal braces "
            "`{{` and `}}`.",
            examples=["Your parcel {tracking_number} has shipped."],
        ),
    ]
    variables: Variables | None = None
    submit: Annotated[bool, msgspec.Meta(description="`false` stores a draft to submit later.")] = (
        True
    )
    default_language: _LanguageTag | None = None


class TemplateCreateEnvelope(_Request):
    """:class:`TemplateCreate` as decoded: each declaration stays raw JSON until it is
    decoded on its own, so an error can name its variable (``variables.eta.max_length``)."""

    name: _TemplateName
    language: _LanguageTag
    body: str
    variables: dict[str, msgspec.Raw] | None = None
    submit: bool = True
    default_language: _LanguageTag | None = None


class Finding(msgspec.Struct, kw_only=True):
    """A content check's finding: `error` findings block approval, `warning`s need judgement.

    `span` is `[start, end)` in the body, as character (code point) offsets.
    """

    code: str
    severity: Severity
    message: str
    span: tuple[int, int] | None
    field: str


class TemplateOut(msgspec.Struct, kw_only=True):
    """A template version (one variant: name + language)."""

    id: str
    name: str
    language: str
    version: int
    body: str
    placeholders: list[str]
    variables: dict[str, Any]
    status: TemplateStatus
    reason: str | None
    findings: list[Finding]
    default_language: str | None
    superseded_by: str | None
    created_at: datetime
    submitted_at: datetime | None
    reviewed_at: datetime | None


class TemplateList(msgspec.Struct, kw_only=True):
    """The account's template versions, oldest first."""

    data: list[TemplateOut]


class AdminTemplateOut(TemplateOut, kw_only=True):
    """A template version with its account, as the operator sees it."""

    account_id: str


class AdminTemplateList(msgspec.Struct, kw_only=True):
    """Template versions of every account, oldest first."""

    data: list[AdminTemplateOut]


class ApproveRequest(_Request):
    """Approve a version; `override_findings` approves one with error findings."""

    override_findings: bool = False
    note: _Reason | None = None


class RejectRequest(_Request):
    """Reject a version or a registration, telling the sender why."""

    reason: _Reason


# --- sender IDs -----------------------------------------------------------------------------


class SenderIdCreate(_Request):
    """Register a sender ID for a country; the operator reviews it."""

    sender_id: Annotated[
        str,
        msgspec.Meta(
            max_length=16,
            description="Alphanumeric (1 to 11 of A-Z, a-z, 0-9, space, with a letter) or "
            "numeric (up to 15 digits).",
            examples=["ACME"],
        ),
    ]
    country: _Country


class SenderIdOut(msgspec.Struct, kw_only=True):
    """A sender ID registration."""

    id: str
    sender_id: str
    kind: Literal["alphanumeric", "numeric"]
    country: str
    status: SenderStatus
    reason: str | None
    created_at: datetime
    reviewed_at: datetime | None


class SenderIdList(msgspec.Struct, kw_only=True):
    """Registrations, oldest first."""

    data: list[SenderIdOut]


class AdminSenderIdOut(SenderIdOut, kw_only=True):
    """A registration with its account, as the operator sees it."""

    account_id: str


class AdminSenderIdList(msgspec.Struct, kw_only=True):
    """Registrations of every account, oldest first."""

    data: list[AdminSenderIdOut]


# --- message settings -----------------------------------------------------------------------


class MessageSettingsUpdate(_Request):
    """Change the account's message settings; a field left out keeps its value."""

    smart_encoding: (
        Annotated[
            bool,
            msgspec.Meta(
                description="Replace typographic quotes, dashes, ellipses and special spaces "
                "with GSM-7 characters when that keeps a message GSM-7."
            ),
        ]
        | None
    ) = None
    link_domains: (
        Annotated[
            list[
                Annotated[str, msgspec.Meta(min_length=3, max_length=253, pattern=DOMAIN_PATTERN)]
            ],
            msgspec.Meta(
                max_length=50,
                description="Domains (with their subdomains) links may point to.",
                examples=[["shop.example", "track.example.com"]],
            ),
        ]
        | None
    ) = None


class MessageSettingsOut(msgspec.Struct, kw_only=True):
    """The account's message settings."""

    smart_encoding: bool
    link_domains: list[str]
    updated_at: datetime | None


# --- preview --------------------------------------------------------------------------------


class PreviewSegment(msgspec.Struct, kw_only=True):
    """One SMS: its text and its size in septets (GSM-7) or UTF-16 units (UCS-2)."""

    text: str
    units: int


class Replacement(msgspec.Struct, kw_only=True):
    """A character smart encoding replaced, at `position` of the text before replacing."""

    original: str
    replacement: str
    position: int


class PreviewSender(msgspec.Struct, kw_only=True):
    """The sender the message would go out with (`null` `sender_id`: the operator's default)."""

    sender_id: str | None
    requested: bool
    fallback_reason: str | None


class SmartEncodingOut(msgspec.Struct, kw_only=True):
    """Whether smart encoding changed the text, and how."""

    applied: bool
    replacements: list[Replacement]


class MessagePreviewOut(msgspec.Struct, kw_only=True):
    """A message as it would be sent; nothing was stored or charged."""

    to: str
    country: str
    template_id: str
    template: str
    language: str
    language_reason: Literal["requested", "pinned", "country", "default"]
    text: str
    encoding: Literal["GSM7", "UCS2"]
    characters: int
    units: int
    segment_count: int
    segments: list[PreviewSegment]
    sender: PreviewSender
    price: Annotated[str, msgspec.Meta(description="A decimal amount in the account currency.")]
    currency: str
    smart_encoding: SmartEncodingOut
    time_zone: str | None
    findings: list[Finding]
