"""Templates: versions, review, and which version a message would use.

Several versions may share account, name and language; the one that sends is the latest
approved (ids sort by creation time, so "latest" is the greatest id).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.engine import Connection

from parcelsms.adapters.storage.context import StorageContext
from parcelsms.adapters.storage.schema import templates
from parcelsms.domain.ids import is_valid_id, new_id
from parcelsms.pipeline.ports import Template, TemplateLookup

DEFAULT_LANGUAGE = "en"


@dataclass(frozen=True, slots=True)
class NewTemplate:
    account_id: str
    name: str
    language: str
    body: str


@dataclass(frozen=True, slots=True)
class TemplateReview:
    template_id: str
    approved: bool
    reason: str | None


def template_from_row(row: Any) -> Template:
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
    )


class TemplateOperations:
    """Bulk functions for template writes."""

    def __init__(self, context: StorageContext) -> None:
        self._context = context

    def create(self, connection: Connection, items: list[NewTemplate]) -> Sequence[Template]:
        now = self._context.clock()
        created = [
            Template(
                id=new_id("tpl"),
                account_id=item.account_id,
                name=item.name,
                language=item.language,
                body=item.body,
                status="pending_review",
                reason=None,
                created_at=now,
                reviewed_at=None,
            )
            for item in items
        ]
        connection.execute(
            templates.insert(),
            [
                {
                    "id": template.id,
                    "account_id": template.account_id,
                    "name": template.name,
                    "language": template.language,
                    "body": template.body,
                    "status": template.status,
                    "reason": None,
                    "created_at": now,
                    "reviewed_at": None,
                }
                for template in created
            ],
        )
        return created

    def review(
        self, connection: Connection, items: list[TemplateReview]
    ) -> Sequence[Template | None]:
        results: list[Template | None] = []
        for item in items:
            connection.execute(
                templates.update()
                .where(templates.c.id == item.template_id)
                .values(
                    status="approved" if item.approved else "rejected",
                    reason=item.reason,
                    reviewed_at=self._context.clock(),
                )
            )
            row = connection.execute(
                select(templates).where(templates.c.id == item.template_id)
            ).first()
            results.append(None if row is None else template_from_row(row))
        return results


def read_template(connection: Connection, account_id: str, template_id: str) -> Template | None:
    row = connection.execute(
        select(templates).where(templates.c.id == template_id, templates.c.account_id == account_id)
    ).first()
    return None if row is None else template_from_row(row)


def read_templates(connection: Connection, account_id: str) -> list[Template]:
    rows = connection.execute(
        select(templates).where(templates.c.account_id == account_id).order_by(templates.c.id)
    )
    return [template_from_row(row) for row in rows]


def find_sendable(
    connection: Connection, account_id: str, id_or_name: str, language: str | None
) -> TemplateLookup:
    """See :meth:`TemplateStore.find_sendable_template`."""
    name = id_or_name
    wanted = language
    if is_valid_id(id_or_name, "tpl"):
        referenced = read_template(connection, account_id, id_or_name)
        if referenced is None:
            return TemplateLookup(template=None, problem="unknown_template")
        name = referenced.name
        wanted = language or referenced.language
    rows = connection.execute(
        select(templates)
        .where(templates.c.account_id == account_id, templates.c.name == name)
        .order_by(templates.c.id.desc())
    ).all()
    if not rows:
        return TemplateLookup(template=None, problem="unknown_template")
    approved = [row for row in rows if row.status == "approved"]
    languages = tuple(sorted({row.language for row in approved}))
    if not approved:
        return TemplateLookup(template=None, problem="template_not_approved")
    if wanted is None:
        if len(languages) == 1:
            wanted = languages[0]
        elif DEFAULT_LANGUAGE in languages:
            wanted = DEFAULT_LANGUAGE
        else:
            wanted = approved[0].language
    for row in approved:
        if row.language == wanted:
            return TemplateLookup(
                template=template_from_row(row), problem=None, languages=languages
            )
    if any(row.language == wanted for row in rows):
        return TemplateLookup(template=None, problem="template_not_approved", languages=languages)
    return TemplateLookup(
        template=None, problem="template_language_unavailable", languages=languages
    )
