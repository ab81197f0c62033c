"""Templates: reading versions, and which versions a message may use.

A row of ``templates`` is one version of one variant (account, name, language). The
version that sends is the variant's one ``approved`` row; the template's default language
lives in ``template_names``. Writes are in :mod:`.template_versions`.
"""

from __future__ import annotations

from typing import Any

import msgspec
from sqlalchemy import Select, select
from sqlalchemy.engine import Connection

from parcelsms.adapters.storage.engine.schema.content_tables import template_names, templates
from parcelsms.domain.ids import is_valid_id
from parcelsms.pipeline.content_ports import (
    Template,
    TemplateFinding,
    TemplateLookup,
    TemplateStatus,
    TemplateVariable,
    TemplateVariants,
)

DEFAULT_LANGUAGE = "en"

_variables_type = dict[str, TemplateVariable]
_findings_type = tuple[TemplateFinding, ...]


def _with_default_language() -> Select[Any]:
    return select(templates, template_names.c.default_language).join_from(
        templates,
        template_names,
        (template_names.c.account_id == templates.c.account_id)
        & (template_names.c.name == templates.c.name),
        isouter=True,
    )


def template_from_row(row: Any) -> Template:
    """A :class:`Template` from a row of :func:`_with_default_language` (or ``templates``)."""
    mapping = row._mapping
    return Template(
        id=row.id,
        account_id=row.account_id,
        name=row.name,
        language=row.language,
        body=row.body,
        status=row.status,
        reason=row.reason,
        created_at=row.created_at,
        reviewed_at=row.reviewed_at,
        version=row.version,
        variables=msgspec.convert(row.variables or {}, _variables_type),
        findings=msgspec.convert(row.findings or [], _findings_type),
        default_language=mapping.get("default_language"),
        submitted_at=row.submitted_at,
        superseded_by=row.superseded_by,
    )


def read_template(connection: Connection, account_id: str, template_id: str) -> Template | None:
    row = connection.execute(
        _with_default_language().where(
            templates.c.id == template_id, templates.c.account_id == account_id
        )
    ).first()
    return None if row is None else template_from_row(row)


def read_any_template(connection: Connection, template_id: str) -> Template | None:
    """A version of any account (operator view)."""
    row = connection.execute(_with_default_language().where(templates.c.id == template_id)).first()
    return None if row is None else template_from_row(row)


def read_templates(connection: Connection, account_id: str) -> list[Template]:
    rows = connection.execute(
        _with_default_language()
        .where(templates.c.account_id == account_id)
        .order_by(templates.c.id)
    )
    return [template_from_row(row) for row in rows]


def read_versions_of(connection: Connection, account_id: str, name: str) -> list[Template]:
    """Every version of every variant of ``name``, oldest first."""
    rows = connection.execute(
        _with_default_language()
        .where(templates.c.account_id == account_id, templates.c.name == name)
        .order_by(templates.c.id)
    )
    return [template_from_row(row) for row in rows]


def read_templates_by_status(
    connection: Connection, status: TemplateStatus, limit: int
) -> list[Template]:
    rows = connection.execute(
        _with_default_language()
        .where(templates.c.status == status)
        .order_by(templates.c.id)
        .limit(limit)
    )
    return [template_from_row(row) for row in rows]


def find_variants(
    connection: Connection, account_id: str, id_or_name: str
) -> TemplateVariants | None:
    """See :meth:`TemplateStore.find_template_variants`."""
    name = id_or_name
    pinned: str | None = None
    if is_valid_id(id_or_name, "tpl"):
        referenced = read_template(connection, account_id, id_or_name)
        if referenced is None:
            return None
        name, pinned = referenced.name, referenced.language
    versions = read_versions_of(connection, account_id, name)
    if not versions:
        return None
    approved = tuple(version for version in versions if version.status == "approved")
    languages = tuple(dict.fromkeys(version.language for version in versions))
    default = versions[-1].default_language or _fallback_default(versions)
    return TemplateVariants(
        name=name,
        default_language=default,
        approved=approved,
        languages=languages,
        pinned_language=pinned,
    )


def _fallback_default(versions: list[Template]) -> str:
    languages = [version.language for version in versions]
    return DEFAULT_LANGUAGE if DEFAULT_LANGUAGE in languages else languages[0]


def find_sendable(
    connection: Connection, account_id: str, id_or_name: str, language: str | None
) -> TemplateLookup:
    """See :meth:`TemplateStore.find_sendable_template`."""
    variants = find_variants(connection, account_id, id_or_name)
    if variants is None:
        return TemplateLookup(template=None, problem="unknown_template")
    by_language = {version.language: version for version in variants.approved}
    languages = tuple(sorted(by_language))
    if not by_language:
        return TemplateLookup(template=None, problem="template_not_approved")
    wanted = language or variants.pinned_language
    if wanted is None:
        if variants.default_language in by_language:
            wanted = variants.default_language
        elif len(languages) == 1:
            wanted = languages[0]
        elif DEFAULT_LANGUAGE in by_language:
            wanted = DEFAULT_LANGUAGE
        else:
            wanted = max(variants.approved, key=lambda version: version.id).language
    found = by_language.get(wanted)
    if found is not None:
        return TemplateLookup(template=found, problem=None, languages=languages)
    if wanted in variants.languages:
        return TemplateLookup(template=None, problem="template_not_approved", languages=languages)
    return TemplateLookup(
        template=None, problem="template_language_unavailable", languages=languages
    )
