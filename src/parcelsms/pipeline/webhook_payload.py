"""The JSON body of a status-change webhook, built once and stored in the outbox.

The shape is the domain's (``parcelsms.domain.events``); this module adapts the storage
port's :class:`WebhookEvent` to it and encodes it. The bytes are stored with the outbox row,
so every retry sends exactly the same body (and signature input).
"""

from __future__ import annotations

import msgspec

from parcelsms.domain.country_rules import CountryRules
from parcelsms.domain.delivery_confidence import delivery_confidence
from parcelsms.domain.events import status_webhook_body
from parcelsms.pipeline.compose import packaged_country_rules
from parcelsms.pipeline.message_ports import FLAG_DUPLICATE_POSSIBLE, FLAG_NO_RECEIPT
from parcelsms.pipeline.webhook_ports import WebhookEvent

_encoder = msgspec.json.Encoder()


def build_webhook_payload(event: WebhookEvent, country_rules: CountryRules | None = None) -> str:
    """The webhook body for ``event`` as JSON text.

    ``country_rules`` say whose receipts are handset-level (``delivery_confidence``); the
    packaged rules when ``None`` (the composition root passes the operator's)."""
    detail: dict[str, object] | None = None
    if event.error is not None:
        detail = {"stat": event.error.stat, "err": event.error.err, "detail": event.error.detail}
        if event.error.reason is not None:
            detail["reason"] = event.error.reason
    body = status_webhook_body(
        event.event_id,
        event.message_id,
        event.status,
        event.previous_status,
        event.at,
        detail,
        {
            "to": event.to_e164,
            "client_ref": event.client_ref,
            "segments": event.segments,
            "price_micros": event.price_micros,
            "currency": event.currency,
        },
    )
    data = body["data"]
    assert isinstance(data, dict)
    data["country"] = event.country
    data["flags"] = list(event.flags)
    data["duplicate_possible"] = FLAG_DUPLICATE_POSSIBLE in event.flags
    # The sender sees which attempt and an opaque route label, never the channel's name.
    data["attempt"] = event.attempt
    data["route"] = event.route
    rules = country_rules or packaged_country_rules()
    confidence = delivery_confidence(
        event.status,
        receipt_arrived=FLAG_NO_RECEIPT not in event.flags,
        receipts_reliable=rules.rule_for(event.country).receipts_reliable,
    )
    data["delivery_confidence"] = confidence.value if confidence is not None else None
    return _encoder.encode(body).decode("utf-8")
