"""Operator review on the command line: ``parcelsms templates …`` and ``parcelsms sender-ids …``.

The same rules as the admin API: only versions and registrations pending review can be
approved or rejected, and a template version with error findings is approved only with
``--override-findings``. Commands work on the configured database directly.
"""

from __future__ import annotations

import os
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TypeVar, cast

import click

from parcelsms.adapters.storage import SqlStorage
from parcelsms.bootstrap import announce_change, open_platform_storage
from parcelsms.cli.async_runner import run_async
from parcelsms.cli.settings_loader import config_option, load_settings
from parcelsms.domain.country_rules_loading import load_country_rules
from parcelsms.errors import ParcelsmsError
from parcelsms.pipeline.content_authoring import ContentAuthoring
from parcelsms.pipeline.content_ports import (
    SenderIdRecord,
    SenderIdStatus,
    Template,
    TemplateStatus,
)

T = TypeVar("T")
_EXCERPT = 30


def _run(
    config_path: str | None, work: Callable[[SqlStorage, ContentAuthoring], Awaitable[T]]
) -> T:
    settings = load_settings(config_path)
    result: list[T] = []

    async def main() -> None:
        storage = await open_platform_storage(settings, os.environ)
        try:
            countries_file = settings.countries.file
            rules = load_country_rules(None if countries_file is None else Path(countries_file))
            authoring = ContentAuthoring(
                storage.content, country_rules=rules, max_segments=settings.dispatch.max_segments
            )
            result.append(await work(storage, authoring))
        finally:
            await storage.close()
            announce_change(settings)

    try:
        run_async(main())
    except ParcelsmsError as problem:
        raise click.ClickException(str(problem)) from None
    return result[0]


def describe_template(template: Template) -> list[str]:
    """The lines a reviewer reads for one version: who, what, and every finding."""
    lines = [
        f"{template.id}  {template.name} ({template.language}) v{template.version}  "
        f"[{template.status}]  account {template.account_id}",
        f"  body: {template.body}",
    ]
    if template.variables:
        declared = ", ".join(
            f"{name}: {variable.type} <= {variable.max_length}"
            for name, variable in template.variables.items()
        )
        lines.append(f"  variables: {declared}")
    if not template.findings:
        lines.append("  findings: none")
    for finding in template.findings:
        where = ""
        if finding.span is not None:
            start, end = finding.span
            excerpt = template.body[start:end]
            if len(excerpt) > _EXCERPT:
                excerpt = excerpt[:_EXCERPT] + "…"
            where = f" at {start}-{end} {excerpt!r}"
        lines.append(f"  {finding.severity.upper()} {finding.code}{where}: {finding.message}")
    if template.reason:
        lines.append(f"  reason: {template.reason}")
    return lines


def describe_sender_id(record: SenderIdRecord) -> str:
    """One line for a sender ID registration."""
    reason = f"  reason: {record.reason}" if record.reason else ""
    return (
        f"{record.id}  {record.value!r} ({record.kind}) for {record.country}  "
        f"[{record.status}]  account {record.account_id}{reason}"
    )


@click.group("templates")
def templates() -> None:
    """Template review."""


@templates.command("review")
@click.option(
    "--status",
    default="pending_review",
    show_default=True,
    type=click.Choice(["draft", "pending_review", "approved", "rejected", "superseded"]),
)
@click.option("--limit", default=100, show_default=True, type=click.IntRange(1, 1000))
@config_option
def review_templates(status: str, limit: int, config_path: str | None) -> None:
    """List template versions waiting for review, with their findings."""

    async def work(storage: SqlStorage, authoring: ContentAuthoring) -> list[Template]:
        return await storage.content.list_templates_by_status(cast("TemplateStatus", status), limit)

    found = _run(config_path, work)
    if not found:
        click.echo(f"no template versions {status.replace('_', ' ')}")
    for template in found:
        click.echo("\n".join(describe_template(template)))


@templates.command("approve")
@click.argument("template_id")
@click.option("--override-findings", is_flag=True, help="Approve despite error findings.")
@click.option("--note", default=None, help="A note kept with the approval.")
@config_option
def approve_template(
    template_id: str, override_findings: bool, note: str | None, config_path: str | None
) -> None:
    """Approve template version TEMPLATE_ID; it sends from now on."""

    async def work(storage: SqlStorage, authoring: ContentAuthoring) -> Template | None:
        return await authoring.review_template(
            template_id, approved=True, reason=note, override_findings=override_findings
        )

    template = _run(config_path, work)
    if template is None:
        raise click.ClickException(f"no template {template_id!r}")
    click.echo(f"template {template_id} approved")


@templates.command("reject")
@click.argument("template_id")
@click.option("--reason", required=True, help="Why, for the sender.")
@config_option
def reject_template(template_id: str, reason: str, config_path: str | None) -> None:
    """Reject template version TEMPLATE_ID with a reason."""

    async def work(storage: SqlStorage, authoring: ContentAuthoring) -> Template | None:
        return await authoring.review_template(template_id, approved=False, reason=reason)

    template = _run(config_path, work)
    if template is None:
        raise click.ClickException(f"no template {template_id!r}")
    click.echo(f"template {template_id} rejected")


@click.group("sender-ids")
def sender_ids() -> None:
    """Sender ID review."""


@sender_ids.command("review")
@click.option(
    "--status",
    default="pending_review",
    show_default=True,
    type=click.Choice(["pending_review", "approved", "rejected"]),
)
@click.option("--limit", default=100, show_default=True, type=click.IntRange(1, 1000))
@config_option
def review_sender_ids(status: str, limit: int, config_path: str | None) -> None:
    """List sender ID registrations waiting for review."""

    async def work(storage: SqlStorage, authoring: ContentAuthoring) -> list[SenderIdRecord]:
        return await storage.content.list_sender_ids_by_status(
            cast("SenderIdStatus", status), limit
        )

    found = _run(config_path, work)
    if not found:
        click.echo(f"no sender ID registrations {status.replace('_', ' ')}")
    for record in found:
        click.echo(describe_sender_id(record))


@sender_ids.command("approve")
@click.argument("registration_id")
@config_option
def approve_sender_id(registration_id: str, config_path: str | None) -> None:
    """Approve sender ID registration REGISTRATION_ID."""

    async def work(storage: SqlStorage, authoring: ContentAuthoring) -> SenderIdRecord | None:
        return await authoring.review_sender_id(registration_id, approved=True, reason=None)

    record = _run(config_path, work)
    if record is None:
        raise click.ClickException(f"no sender ID registration {registration_id!r}")
    click.echo(f"sender ID registration {registration_id} approved")


@sender_ids.command("reject")
@click.argument("registration_id")
@click.option("--reason", required=True, help="Why, for the sender.")
@config_option
def reject_sender_id(registration_id: str, reason: str, config_path: str | None) -> None:
    """Reject sender ID registration REGISTRATION_ID with a reason."""

    async def work(storage: SqlStorage, authoring: ContentAuthoring) -> SenderIdRecord | None:
        return await authoring.review_sender_id(registration_id, approved=False, reason=reason)

    record = _run(config_path, work)
    if record is None:
        raise click.ClickException(f"no sender ID registration {registration_id!r}")
    click.echo(f"sender ID registration {registration_id} rejected")
