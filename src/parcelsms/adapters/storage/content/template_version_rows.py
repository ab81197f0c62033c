"""Template writes: new versions, submission and review, as batching-writer operations.

Each operation keeps the lifecycle's invariants inside the writer's transaction: a variant
has at most one open version (``draft`` or ``pending_review``; a newer one supersedes it)
and at most one ``approved`` version (approving supersedes the previous one). A state that
does not allow the action is a ``CatalogueError`` result, not an exception.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import msgspec
from sqlalchemy import func, select
from sqlalchemy.engine import Connection

from parcelsms.adapters.storage.content.template_rows import read_any_template, read_template
from parcelsms.adapters.storage.context import StorageContext
from parcelsms.adapters.storage.engine.schema.content_tables import template_names, templates
from parcelsms.domain.error_catalogue import error
from parcelsms.domain.ids import new_id
from parcelsms.errors import CatalogueError
from parcelsms.pipeline.content_ports import (
    OPEN_TEMPLATE_STATUSES,
    NewTemplateVersion,
    Template,
    TemplateFinding,
)


@dataclass(frozen=True, slots=True)
class TemplateSubmission:
    account_id: str
    template_id: str
    findings: tuple[TemplateFinding, ...]


@dataclass(frozen=True, slots=True)
class TemplateReview:
    template_id: str
    approved: bool
    reason: str | None
    override_findings: bool = False


def _to_builtins(value: object) -> object:
    return msgspec.to_builtins(value)


class CreateVersionOperation:
    """Stores new versions; see :meth:`TemplateStore.create_template_version`."""

    def __init__(self, context: StorageContext) -> None:
        self._context = context

    def __call__(self, connection: Connection, items: list[NewTemplateVersion]) -> list[Template]:
        return [self._create(connection, item) for item in items]

    def _create(self, connection: Connection, item: NewTemplateVersion) -> Template:
        now = self._context.clock()
        variant = (
            (templates.c.account_id == item.account_id)
            & (templates.c.name == item.name)
            & (templates.c.language == item.language)
        )
        latest = connection.execute(select(func.max(templates.c.version)).where(variant)).scalar()
        template_id = new_id("tpl")
        connection.execute(
            templates.update()
            .where(variant, templates.c.status.in_(sorted(OPEN_TEMPLATE_STATUSES)))
            .values(status="superseded", superseded_by=template_id)
        )
        connection.execute(
            templates.insert().values(
                id=template_id,
                account_id=item.account_id,
                name=item.name,
                language=item.language,
                body=item.body,
                status="pending_review" if item.submit else "draft",
                reason=None,
                created_at=now,
                reviewed_at=None,
                version=(latest or 0) + 1,
                variables=_to_builtins(item.variables),
                findings=_to_builtins(item.findings),
                submitted_at=now if item.submit else None,
                superseded_by=None,
            )
        )
        self._name_row(connection, item, now)
        created = read_template(connection, item.account_id, template_id)
        if created is None:  # pragma: no cover - the row was inserted above
            raise RuntimeError("a template version vanished inside its own transaction")
        return created

    def _name_row(self, connection: Connection, item: NewTemplateVersion, now: object) -> None:
        key = (template_names.c.account_id == item.account_id) & (
            template_names.c.name == item.name
        )
        exists = connection.execute(select(template_names.c.name).where(key)).first()
        if exists is None:
            connection.execute(
                template_names.insert().values(
                    account_id=item.account_id,
                    name=item.name,
                    default_language=item.default_language or item.language,
                    created_at=now,
                    updated_at=now,
                )
            )
        elif item.default_language is not None:
            connection.execute(
                template_names.update()
                .where(key)
                .values(default_language=item.default_language, updated_at=now)
            )


class SubmitOperation:
    """``draft`` → ``pending_review``; see :meth:`TemplateStore.submit_template`."""

    def __init__(self, context: StorageContext) -> None:
        self._context = context

    def __call__(
        self, connection: Connection, items: list[TemplateSubmission]
    ) -> Sequence[Template | CatalogueError | None]:
        return [self._submit(connection, item) for item in items]

    def _submit(
        self, connection: Connection, item: TemplateSubmission
    ) -> Template | CatalogueError | None:
        current = read_template(connection, item.account_id, item.template_id)
        if current is None:
            return None
        if current.status != "draft":
            return error(
                "invalid_state",
                f"Version {current.version} of {current.name!r} ({current.language}) is "
                f"{current.status}; only a draft can be submitted for review.",
            )
        connection.execute(
            templates.update()
            .where(templates.c.id == item.template_id)
            .values(
                status="pending_review",
                findings=_to_builtins(item.findings),
                submitted_at=self._context.clock(),
            )
        )
        return read_template(connection, item.account_id, item.template_id)


class ReviewOperation:
    """Approve or reject; see :meth:`TemplateStore.set_template_review`."""

    def __init__(self, context: StorageContext) -> None:
        self._context = context

    def __call__(
        self, connection: Connection, items: list[TemplateReview]
    ) -> Sequence[Template | CatalogueError | None]:
        return [self._review(connection, item) for item in items]

    def _review(
        self, connection: Connection, item: TemplateReview
    ) -> Template | CatalogueError | None:
        current = read_any_template(connection, item.template_id)
        if current is None:
            return None
        if current.status != "pending_review":
            return error(
                "invalid_state",
                f"Template version {current.id} is {current.status}; only a version pending "
                "review can be approved or rejected.",
            )
        if item.approved and current.has_errors and not item.override_findings:
            count = sum(1 for finding in current.findings if finding.severity == "error")
            return error(
                "template_has_errors",
                f"Template version {current.id} has {count} error finding(s); reject it with "
                "a reason, or approve it with override_findings when the findings are wrong.",
            )
        now = self._context.clock()
        if item.approved:
            connection.execute(
                templates.update()
                .where(
                    templates.c.account_id == current.account_id,
                    templates.c.name == current.name,
                    templates.c.language == current.language,
                    templates.c.status == "approved",
                )
                .values(status="superseded", superseded_by=current.id)
            )
        connection.execute(
            templates.update()
            .where(templates.c.id == item.template_id)
            .values(
                status="approved" if item.approved else "rejected",
                reason=item.reason,
                reviewed_at=now,
            )
        )
        return read_any_template(connection, item.template_id)
