"""Templates, sender IDs, message settings and previews as the API shows them."""

from __future__ import annotations

from typing import Any

import msgspec

from parcelsms.api import content_schemas as out
from parcelsms.domain.money import format_micros
from parcelsms.domain.templates import parse_template
from parcelsms.errors import CatalogueError
from parcelsms.pipeline.content_ports import (
    MessageSettings,
    SenderIdRecord,
    Template,
    TemplateFinding,
)
from parcelsms.pipeline.preview import MessagePreview
from parcelsms.protocol.text.segments import Encoding


def _finding(finding: TemplateFinding) -> out.Finding:
    return out.Finding(
        code=finding.code,
        severity=finding.severity,
        message=finding.message,
        span=finding.span,
        field=finding.field,
    )


def _template_fields(template: Template) -> dict[str, Any]:
    try:
        placeholders = list(parse_template(template.body).placeholders)
    except CatalogueError:
        # Bodies are checked when created; one stored by an older rule still lists.
        placeholders = []
    return {
        "id": template.id,
        "name": template.name,
        "language": template.language,
        "version": template.version,
        "body": template.body,
        "placeholders": placeholders,
        "variables": msgspec.to_builtins(template.variables),
        "status": template.status,
        "reason": template.reason,
        "findings": [_finding(finding) for finding in template.findings],
        "default_language": template.default_language,
        "superseded_by": template.superseded_by,
        "created_at": template.created_at,
        "submitted_at": template.submitted_at,
        "reviewed_at": template.reviewed_at,
    }


def template_out(template: Template) -> out.TemplateOut:
    """A template version with its placeholders, declarations and findings."""
    return out.TemplateOut(**_template_fields(template))


def admin_template_out(template: Template) -> out.AdminTemplateOut:
    """A template version with its account (operator view)."""
    return out.AdminTemplateOut(**_template_fields(template), account_id=template.account_id)


def _sender_fields(record: SenderIdRecord) -> dict[str, Any]:
    return {
        "id": record.id,
        "sender_id": record.value,
        "kind": record.kind,
        "country": record.country,
        "status": record.status,
        "reason": record.reason,
        "created_at": record.created_at,
        "reviewed_at": record.reviewed_at,
    }


def sender_id_out(record: SenderIdRecord) -> out.SenderIdOut:
    """A sender ID registration."""
    return out.SenderIdOut(**_sender_fields(record))


def admin_sender_id_out(record: SenderIdRecord) -> out.AdminSenderIdOut:
    """A registration with its account (operator view)."""
    return out.AdminSenderIdOut(**_sender_fields(record), account_id=record.account_id)


def message_settings_out(settings: MessageSettings) -> out.MessageSettingsOut:
    """The account's message settings."""
    return out.MessageSettingsOut(
        smart_encoding=settings.smart_encoding,
        link_domains=list(settings.link_domains),
        updated_at=settings.updated_at,
    )


def preview_out(preview: MessagePreview, currency: str) -> out.MessagePreviewOut:
    """The answer of ``POST /v1/messages/preview``."""
    draft = preview.draft
    sender = draft.sender
    return out.MessagePreviewOut(
        to=draft.recipient.e164,
        country=draft.recipient.country,
        template_id=draft.template.id,
        template=draft.template.name,
        language=draft.language.language,
        language_reason=draft.language.reason,
        text=draft.body,
        encoding="GSM7" if draft.info.encoding is Encoding.GSM7 else "UCS2",
        characters=len(draft.body),
        units=draft.info.units,
        segment_count=draft.info.segment_count,
        segments=[out.PreviewSegment(text=s.text, units=s.units) for s in preview.segments],
        sender=out.PreviewSender(
            sender_id=draft.sender_id,
            requested=sender.requested if sender is not None else False,
            fallback_reason=sender.fallback_reason if sender is not None else None,
        ),
        price=format_micros(draft.price_micros),
        currency=currency,
        smart_encoding=out.SmartEncodingOut(
            applied=draft.smart_applied,
            replacements=[
                out.Replacement(
                    original=item.original, replacement=item.replacement, position=item.position
                )
                for item in preview.replacements
            ],
        ),
        time_zone=draft.time_zone,
        findings=[
            out.Finding(
                code=finding.code,
                severity=finding.severity,
                message=finding.message,
                span=finding.span,
                field=finding.field,
            )
            for finding in preview.findings
        ],
    )
