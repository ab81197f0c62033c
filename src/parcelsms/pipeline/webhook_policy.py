"""Which status changes of a message become webhooks, and what they say.

The rule is the pipeline's; storage applies it inside the transaction of each status change
(:class:`~parcelsms.pipeline.webhook_ports.WebhookPolicy`), so a change and its outbox rows
commit together and no webhook is ever lost between them. Where each goes is the domain's
:func:`~parcelsms.domain.webhook_routing.route_event`.

:class:`StatusWebhookPolicy` is the platform's rule: every status change but ``queued``
(a retry going back to the queue is not news to the sender) may make webhooks. The body is
built once (:func:`~parcelsms.pipeline.webhook_payload.build_webhook_payload`), only when
some destination wants it, and stored, so every retry sends the same bytes.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from parcelsms.domain.status import MessageStatus
from parcelsms.pipeline.webhook_payload import build_webhook_payload
from parcelsms.pipeline.webhook_ports import WebhookEvent, WebhookPayloadBuilder

STATUSES_WITH_WEBHOOK = frozenset(MessageStatus) - {MessageStatus.QUEUED}


@dataclass(frozen=True, slots=True)
class StatusWebhookPolicy:
    """Implements :class:`~parcelsms.pipeline.webhook_ports.WebhookPolicy` (see the module)."""

    payload_builder: WebhookPayloadBuilder = build_webhook_payload
    statuses: frozenset[MessageStatus] = field(default=STATUSES_WITH_WEBHOOK)

    def payload(self, event: WebhookEvent) -> str:
        return self.payload_builder(event)
