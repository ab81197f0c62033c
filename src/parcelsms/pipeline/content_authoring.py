"""Writing templates and registering sender IDs, and the operator's review of both.

A sender creates a version of a variant (name + language) as a ``draft`` or straight into
``pending_review``; the automatic content checks (:func:`parcelsms.domain.content_checks.
check_template`) run then, and again when a draft is submitted, and their findings are
stored with the version for the sender and the reviewer. Findings never stop a version
from being stored; an ``error`` finding stops its *approval* unless the operator overrides
it (a false positive of a word list, say).

Variables: a request that declares none keeps the declarations of the template's latest
version in any language (variants of one template take the same parameters), and a
template nobody ever declared variables for is checked without the declared/unused rules.

Sender IDs are registered per country (or ``*``) after checking their format and that the
country's rules could ever deliver that kind of sender (an alphanumeric sender ID for the
United States is refused at once with ``sender_not_allowed`` rather than after a review).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Protocol

from parcelsms.domain.content_checks import VariableSpec, check_template
from parcelsms.domain.country_rules import CountryRules
from parcelsms.domain.error_catalogue import error
from parcelsms.domain.numbers import KNOWN_REGIONS
from parcelsms.domain.sender_selection import (
    ANY_COUNTRY,
    canonical_sender_id,
    classify_sender_id,
)
from parcelsms.domain.templates import parse_template
from parcelsms.pipeline.content_ports import (
    MessageSettingsStore,
    NewTemplateVersion,
    SenderIdRecord,
    SenderIdStore,
    Template,
    TemplateFinding,
    TemplateStore,
    TemplateVariable,
)

_PLACEHOLDER_NAME_LIMIT = 40


class AuthoringStore(TemplateStore, SenderIdStore, MessageSettingsStore, Protocol):
    """What authoring and review need from storage."""


class ContentAuthoring:
    """Template versions, sender ID registrations, and their review. One per process."""

    def __init__(
        self,
        store: AuthoringStore,
        *,
        country_rules: CountryRules,
        max_segments: int = 10,
        on_change: Callable[[str], None] | None = None,
    ) -> None:
        """``on_change(account_id)`` is called after anything that changes what the
        account may send (an approval), so caches can forget it."""
        self._store = store
        self._rules = country_rules
        self._max_segments = max_segments
        self._on_change = on_change

    async def create(
        self,
        account_id: str,
        *,
        name: str,
        language: str,
        body: str,
        variables: Mapping[str, TemplateVariable] | None,
        submit: bool,
        default_language: str | None = None,
    ) -> Template:
        """Store a new version with its findings.

        Raises ``invalid_template`` for a body that cannot be parsed and ``invalid_request``
        (``field`` ``variables.<name>``) for a declaration whose name no placeholder could use.
        """
        parse_template(body)
        if variables is not None:
            _check_names(variables)
            declared: dict[str, TemplateVariable] | None = dict(variables)
        else:
            declared = await self._inherited_variables(account_id, name)
        findings = await self._findings(account_id, body, language, declared)
        version = await self._store.create_template_version(
            NewTemplateVersion(
                account_id=account_id,
                name=name,
                language=language,
                body=body,
                variables=declared or {},
                findings=findings,
                submit=submit,
                default_language=default_language,
            )
        )
        return version

    async def submit(self, account_id: str, template_id: str) -> Template | None:
        """Submit a draft for review with freshly computed findings; ``None`` if unknown."""
        current = await self._store.get_template(account_id, template_id)
        if current is None:
            return None
        declared = current.variables or await self._inherited_variables(account_id, current.name)
        findings = await self._findings(account_id, current.body, current.language, declared)
        return await self._store.submit_template(account_id, template_id, findings)

    async def review_template(
        self,
        template_id: str,
        *,
        approved: bool,
        reason: str | None,
        override_findings: bool = False,
    ) -> Template | None:
        """Approve or reject a pending version (see ``TemplateStore.set_template_review``)."""
        reviewed = await self._store.set_template_review(
            template_id, approved, reason, override_findings=override_findings
        )
        if reviewed is not None and self._on_change is not None:
            self._on_change(reviewed.account_id)
        return reviewed

    async def register_sender_id(
        self, account_id: str, value: str, country: str
    ) -> tuple[SenderIdRecord, bool]:
        """Register ``value`` for ``country``; ``(registration, created)``.

        Raises ``invalid_sender_id`` (field ``sender_id``), ``invalid_request`` for an
        unknown country (field ``country``) and ``sender_not_allowed`` when the country
        never delivers that kind of sender.
        """
        kind = classify_sender_id(value, field="sender_id")
        canonical = canonical_sender_id(value, field="sender_id")
        code = country.upper()
        if code != ANY_COUNTRY and code not in KNOWN_REGIONS:
            raise error(
                "invalid_request",
                f"{country!r} is not an ISO 3166 alpha-2 country code (or '*').",
                field="country",
            )
        if code != ANY_COUNTRY:
            rule = self._rules.rule_for(code)
            where = code if rule.name == code else f"{code} ({rule.name})"
            if kind == "alphanumeric" and rule.alphanumeric_sender == "not_supported":
                raise error(
                    "sender_not_allowed",
                    f"Alphanumeric sender IDs are not supported in {where}; register a "
                    "numeric sender for it instead.",
                    field="sender_id",
                    country=code,
                    reason="alphanumeric_not_supported",
                )
            if kind == "numeric" and rule.numeric_sender_fallback == "none":
                raise error(
                    "sender_not_allowed",
                    f"Numeric sender IDs are not delivered in {where}; register an "
                    "alphanumeric one instead.",
                    field="sender_id",
                    country=code,
                    reason="numeric_not_supported",
                )
        return await self._store.register_sender_id(account_id, canonical, kind, code)

    async def review_sender_id(
        self, sender_id: str, *, approved: bool, reason: str | None
    ) -> SenderIdRecord | None:
        """Approve or reject a pending sender ID registration."""
        reviewed = await self._store.review_sender_id(sender_id, approved, reason)
        if reviewed is not None and self._on_change is not None:
            self._on_change(reviewed.account_id)
        return reviewed

    async def _inherited_variables(
        self, account_id: str, name: str
    ) -> dict[str, TemplateVariable] | None:
        versions = await self._store.list_template_versions(account_id, name)
        for version in reversed(versions):
            if version.variables:
                return dict(version.variables)
        return None

    async def _findings(
        self,
        account_id: str,
        body: str,
        language: str,
        declared: Mapping[str, TemplateVariable] | None,
    ) -> tuple[TemplateFinding, ...]:
        settings = await self._store.get_message_settings(account_id)
        specs = (
            None
            if declared is None
            else {
                name: VariableSpec(name, variable.type, variable.max_length)
                for name, variable in declared.items()
            }
        )
        found = check_template(
            body,
            language,
            declared_variables=specs,
            allowed_link_domains=settings.link_domains,
            max_segments=self._max_segments,
        )
        return tuple(
            TemplateFinding(
                code=finding.code,
                severity=finding.severity,
                message=finding.message,
                span=finding.span,
                field=finding.field,
            )
            for finding in found
        )


def _check_names(variables: Mapping[str, TemplateVariable]) -> None:
    for name in variables:
        valid = (
            0 < len(name) <= _PLACEHOLDER_NAME_LIMIT
            and name[0].isascii()
            and name[0].islower()
            and all(c.isascii() and (c.islower() or c.isdigit() or c == "_") for c in name)
        )
        if not valid:
            raise error(
                "invalid_request",
                f"{name!r} cannot be a placeholder name: 1 to 40 lowercase letters, digits "
                "and underscores, starting with a letter.",
                field=f"variables.{name}",
            )
