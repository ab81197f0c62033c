"""The content ports on SQL: templates and their versions, sender IDs, message settings.

:class:`SqlContentStore` implements the ports of :mod:`parcelsms.pipeline.content_ports` by
running the row operations of this package (``*_rows`` modules) through the storage's
:class:`SqlRunner`.
"""

from __future__ import annotations

from collections.abc import Sequence

from parcelsms.adapters.storage.content import sender_id_rows as sender_rows
from parcelsms.adapters.storage.content import template_rows
from parcelsms.adapters.storage.content import template_version_rows as version_rows
from parcelsms.adapters.storage.engine.runner import SqlRunner, raised
from parcelsms.pipeline.content_ports import (
    MessageSettings,
    NewTemplateVersion,
    SenderIdKind,
    SenderIdRecord,
    SenderIdStatus,
    Template,
    TemplateFinding,
    TemplateLookup,
    TemplateStatus,
    TemplateVariants,
)

_MAX_LISTING = 1000


class SqlContentStore:
    """Implements ``TemplateStore``, ``SenderIdStore`` and ``MessageSettingsStore``."""

    def __init__(self, runner: SqlRunner) -> None:
        self._runner = runner
        self._writer = runner.writer
        context = runner.context
        self._create_version = version_rows.CreateVersionOperation(context)
        self._submit_version = version_rows.SubmitOperation(context)
        self._review_version = version_rows.ReviewOperation(context)
        self._register_sender = sender_rows.RegisterOperation(context)
        self._review_sender = sender_rows.SenderReviewOperation(context)
        self._change_settings = sender_rows.SettingsOperation(context)

    # --- templates -------------------------------------------------------------------

    async def create_template(
        self, account_id: str, name: str, language: str, body: str
    ) -> Template:
        new = NewTemplateVersion(
            account_id=account_id,
            name=name,
            language=language,
            body=body,
            variables={},
            findings=(),
        )
        return await self._writer.run(self._create_version, new)

    async def create_template_version(self, new: NewTemplateVersion) -> Template:
        return await self._writer.run(self._create_version, new)

    async def get_template(self, account_id: str, template_id: str) -> Template | None:
        return await self._runner.read(template_rows.read_template, account_id, template_id)

    async def list_templates(self, account_id: str) -> list[Template]:
        return await self._runner.read(template_rows.read_templates, account_id)

    async def list_template_versions(self, account_id: str, name: str) -> list[Template]:
        return await self._runner.read(template_rows.read_versions_of, account_id, name)

    async def submit_template(
        self, account_id: str, template_id: str, findings: Sequence[TemplateFinding]
    ) -> Template | None:
        item = version_rows.TemplateSubmission(account_id, template_id, tuple(findings))
        return raised(await self._writer.run(self._submit_version, item))

    async def set_template_review(
        self,
        template_id: str,
        approved: bool,
        reason: str | None = None,
        *,
        override_findings: bool = False,
    ) -> Template | None:
        item = version_rows.TemplateReview(template_id, approved, reason, override_findings)
        return raised(await self._writer.run(self._review_version, item))

    async def get_template_for_review(self, template_id: str) -> Template | None:
        return await self._runner.read(template_rows.read_any_template, template_id)

    async def list_templates_by_status(
        self, status: TemplateStatus, limit: int = 100
    ) -> list[Template]:
        return await self._runner.read(
            template_rows.read_templates_by_status, status, min(limit, _MAX_LISTING)
        )

    async def find_sendable_template(
        self, account_id: str, id_or_name: str, language: str | None
    ) -> TemplateLookup:
        return await self._runner.read(
            template_rows.find_sendable, account_id, id_or_name, language
        )

    async def find_template_variants(
        self, account_id: str, id_or_name: str
    ) -> TemplateVariants | None:
        return await self._runner.read(template_rows.find_variants, account_id, id_or_name)

    # --- sender IDs ------------------------------------------------------------------

    async def register_sender_id(
        self, account_id: str, value: str, kind: SenderIdKind, country: str
    ) -> tuple[SenderIdRecord, bool]:
        item = sender_rows.SenderRegistration(account_id, value, kind, country)
        return await self._writer.run(self._register_sender, item)

    async def list_sender_ids(self, account_id: str) -> list[SenderIdRecord]:
        return await self._runner.read(sender_rows.read_sender_ids, account_id)

    async def get_sender_id(self, account_id: str, sender_id: str) -> SenderIdRecord | None:
        return await self._runner.read(sender_rows.read_sender_id, account_id, sender_id)

    async def get_sender_id_for_review(self, sender_id: str) -> SenderIdRecord | None:
        return await self._runner.read(sender_rows.read_any_sender_id, sender_id)

    async def list_sender_ids_by_status(
        self, status: SenderIdStatus, limit: int = 100
    ) -> list[SenderIdRecord]:
        return await self._runner.read(
            sender_rows.read_sender_ids_by_status, status, min(limit, _MAX_LISTING)
        )

    async def review_sender_id(
        self, sender_id: str, approved: bool, reason: str | None = None
    ) -> SenderIdRecord | None:
        item = sender_rows.SenderReview(sender_id, approved, reason)
        return raised(await self._writer.run(self._review_sender, item))

    # --- message settings ------------------------------------------------------------

    async def get_message_settings(self, account_id: str) -> MessageSettings:
        return await self._runner.read(sender_rows.read_message_settings, account_id)

    async def set_message_settings(
        self,
        account_id: str,
        *,
        smart_encoding: bool | None = None,
        link_domains: Sequence[str] | None = None,
        opt_out_reply: str | None = None,
    ) -> MessageSettings:
        domains = None if link_domains is None else tuple(link_domains)
        item = sender_rows.SettingsChange(account_id, smart_encoding, domains, opt_out_reply)
        return await self._writer.run(self._change_settings, item)
