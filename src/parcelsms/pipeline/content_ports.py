"""The storage port for what a message may say and who it comes from.

Templates, sender IDs and per-account message settings: their records and the protocols
the storage adapter implements (``storage.content``: one object for the three, the
:class:`ContentStore` the accept and authoring use cases need).

Template lifecycle (one row per *version* of one *variant*, a variant being a template
name in one language)::

    draft ──submit──▶ pending_review ──approve──▶ approved ──(newer approved)──▶ superseded
                          │
                          └──reject (reason)──▶ rejected
    draft / pending_review ──(a newer version of the variant is created)──▶ superseded

Approved versions never change; editing creates a new version that is reviewed on its own
while the approved one keeps sending. A variant has at most one open version (``draft`` or
``pending_review``) and at most one ``approved`` version, the one that sends.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Literal, Protocol

import msgspec

TemplateStatus = Literal["draft", "pending_review", "approved", "rejected", "superseded"]
VariableType = Literal["text", "tracking_number", "date", "date_time", "money", "link"]
SenderIdStatus = Literal["pending_review", "approved", "rejected"]
SenderIdKind = Literal["alphanumeric", "numeric"]
OPEN_TEMPLATE_STATUSES: frozenset[str] = frozenset({"draft", "pending_review"})


class TemplateVariable(msgspec.Struct, frozen=True, kw_only=True):
    """A declared variable: its type and the longest value (after formatting) it may take."""

    type: VariableType = "text"
    max_length: int = 80


class TemplateFinding(msgspec.Struct, frozen=True, kw_only=True):
    """A content check's finding, stored with the version it was found in.

    ``span`` is ``(start, end)`` into the body (end excluded) when the finding points at
    text; ``field`` names what to change (``body`` or ``variables.<name>``).
    """

    code: str
    severity: Literal["error", "warning"]
    message: str
    span: tuple[int, int] | None = None
    field: str = "body"


class Template(msgspec.Struct, frozen=True, kw_only=True):
    """One version of one variant (name + language) of a template.

    ``version`` counts the versions of the variant from 1. ``default_language`` is the
    template's (shared by its variants). ``superseded_by`` names the version that replaced
    this one. ``findings`` were computed when the version was submitted.
    """

    id: str
    account_id: str
    name: str
    language: str
    body: str
    status: TemplateStatus
    reason: str | None
    created_at: datetime
    reviewed_at: datetime | None
    version: int = 1
    variables: dict[str, TemplateVariable] = msgspec.field(default_factory=dict)
    findings: tuple[TemplateFinding, ...] = ()
    default_language: str | None = None
    submitted_at: datetime | None = None
    superseded_by: str | None = None

    @property
    def has_errors(self) -> bool:
        """True when a finding of severity ``error`` blocks approval."""
        return any(finding.severity == "error" for finding in self.findings)


class TemplateLookup(msgspec.Struct, frozen=True, kw_only=True):
    """The answer to "which template version would this message use?".

    ``template`` is the latest approved version when one can send; otherwise ``problem`` is
    the catalogue code to answer with and ``languages`` lists the languages that do have an
    approved version of that name.
    """

    template: Template | None
    problem: (
        Literal["unknown_template", "template_not_approved", "template_language_unavailable"] | None
    )
    languages: tuple[str, ...] = ()


class TemplateVariants(msgspec.Struct, frozen=True, kw_only=True):
    """Everything a send needs to pick the variant of a template.

    ``approved`` holds the sending (approved) version of each language that has one.
    ``languages`` lists every language with any version, approved or not.
    ``pinned_language`` is set when the template was referenced by a version id: that
    version's language, which a message without ``language`` uses.
    """

    name: str
    default_language: str
    approved: tuple[Template, ...]
    languages: tuple[str, ...]
    pinned_language: str | None = None


class NewTemplateVersion(msgspec.Struct, frozen=True, kw_only=True):
    """A new version to store: ``submit`` stores it ``pending_review``, else ``draft``.

    ``default_language``, when given, becomes the template's default language.
    """

    account_id: str
    name: str
    language: str
    body: str
    variables: dict[str, TemplateVariable]
    findings: tuple[TemplateFinding, ...]
    submit: bool = True
    default_language: str | None = None


class SenderIdRecord(msgspec.Struct, frozen=True, kw_only=True):
    """A sender ID an account registered for ``country`` (``"*"``: every country that
    accepts it without a registration naming the country)."""

    id: str
    account_id: str
    value: str
    kind: SenderIdKind
    country: str
    status: SenderIdStatus
    reason: str | None
    created_at: datetime
    reviewed_at: datetime | None


class MessageSettings(msgspec.Struct, frozen=True, kw_only=True):
    """Per-account message settings.

    ``smart_encoding``: replace typographic characters with GSM-7 look-alikes in every
    message. ``link_domains``: the domains (and their subdomains) links may point to, in
    template bodies and in ``link`` variables. ``opt_out_reply``: the text sent back to a
    recipient who opts out (``None``: no confirmation, unless the country requires one).
    """

    account_id: str
    smart_encoding: bool = False
    link_domains: tuple[str, ...] = ()
    opt_out_reply: str | None = None
    updated_at: datetime | None = None


class TemplateStore(Protocol):
    """Templates, their versions and their review."""

    async def create_template(
        self, account_id: str, name: str, language: str, body: str
    ) -> Template:
        """Store a new version ``pending_review`` with no declared variables or findings."""
        ...

    async def create_template_version(self, new: NewTemplateVersion) -> Template:
        """Store a new version of a variant; an open version of it becomes ``superseded``."""
        ...

    async def get_template(self, account_id: str, template_id: str) -> Template | None: ...

    async def list_templates(self, account_id: str) -> list[Template]: ...

    async def list_template_versions(self, account_id: str, name: str) -> list[Template]:
        """Every version of every variant of ``name``, oldest first."""
        ...

    async def submit_template(
        self, account_id: str, template_id: str, findings: Sequence[TemplateFinding]
    ) -> Template | None:
        """``draft`` → ``pending_review`` with fresh findings; ``None`` when unknown.

        Raises ``CatalogueError`` ``invalid_state`` for a version that is not a draft.
        """
        ...

    async def set_template_review(
        self,
        template_id: str,
        approved: bool,
        reason: str | None = None,
        *,
        override_findings: bool = False,
    ) -> Template | None:
        """Approve or reject a ``pending_review`` version (operator action, any account).

        ``None`` for an unknown id. Raises ``CatalogueError``: ``invalid_state`` for a version
        that is not pending review, ``template_has_errors`` when approving a version with
        error findings without ``override_findings``. Approving supersedes the variant's
        previously approved version.
        """
        ...

    async def get_template_for_review(self, template_id: str) -> Template | None:
        """Any account's version by id (operator view)."""
        ...

    async def list_templates_by_status(
        self, status: TemplateStatus, limit: int = 100
    ) -> list[Template]:
        """Versions of every account in ``status``, oldest first (the review queue)."""
        ...

    async def find_sendable_template(
        self, account_id: str, id_or_name: str, language: str | None
    ) -> TemplateLookup:
        """The approved version for an id or a name.

        By id: that version's name, in ``language`` or else the version's own language. By
        name without ``language``: the template's default language, else the only approved
        language, else ``en``, else the most recently created approved version.
        """
        ...

    async def find_template_variants(
        self, account_id: str, id_or_name: str
    ) -> TemplateVariants | None:
        """The variants of the template named (or of the version id given); ``None`` if none."""
        ...


class SenderIdStore(Protocol):
    """Sender ID registrations and their review."""

    async def register_sender_id(
        self, account_id: str, value: str, kind: SenderIdKind, country: str
    ) -> tuple[SenderIdRecord, bool]:
        """Register ``value`` for ``country`` (``pending_review``); ``(record, created)``.

        Registering what the account already has pending or approved for the country
        returns that registration with ``created`` false.
        """
        ...

    async def list_sender_ids(self, account_id: str) -> list[SenderIdRecord]:
        """The account's registrations, oldest first."""
        ...

    async def get_sender_id(self, account_id: str, sender_id: str) -> SenderIdRecord | None: ...

    async def get_sender_id_for_review(self, sender_id: str) -> SenderIdRecord | None: ...

    async def list_sender_ids_by_status(
        self, status: SenderIdStatus, limit: int = 100
    ) -> list[SenderIdRecord]:
        """Registrations of every account in ``status``, oldest first."""
        ...

    async def review_sender_id(
        self, sender_id: str, approved: bool, reason: str | None = None
    ) -> SenderIdRecord | None:
        """Approve or reject a pending registration; ``None`` for an unknown id.

        Raises ``CatalogueError`` ``invalid_state`` when it is not pending review.
        """
        ...


class MessageSettingsStore(Protocol):
    """Per-account message settings."""

    async def get_message_settings(self, account_id: str) -> MessageSettings:
        """The account's settings (defaults when it never set any)."""
        ...

    async def set_message_settings(
        self,
        account_id: str,
        *,
        smart_encoding: bool | None = None,
        link_domains: Sequence[str] | None = None,
        opt_out_reply: str | None = None,
    ) -> MessageSettings:
        """Change the given settings (``None`` keeps a setting as it is; an empty
        ``opt_out_reply`` removes the confirmation)."""
        ...


class ContentStore(TemplateStore, SenderIdStore, MessageSettingsStore, Protocol):
    """Templates, sender IDs and message settings."""
