"""The webhook sender and its delivery worker, wired from ``[webhooks]``: part of the
pipeline process, or the whole of a ``webhooks`` process (which imports only this, not the
channels and the dispatcher of :mod:`.pipeline_parts`)."""

from __future__ import annotations

import random

from parcelsms.adapters.storage import SqlStorage
from parcelsms.adapters.webhooks.backoff import next_attempt_delay
from parcelsms.adapters.webhooks.sender import WebhookSender, WebhookTimeouts
from parcelsms.config import Settings
from parcelsms.pipeline.webhook_delivery import WebhookDeliverySettings, WebhookDeliveryWorker


def build_webhook_delivery(
    settings: Settings, storage: SqlStorage
) -> tuple[WebhookSender, WebhookDeliveryWorker]:
    """The webhook sender and the delivery worker, from ``[webhooks]``.

    Retries wait per :func:`~parcelsms.adapters.webhooks.backoff.next_attempt_delay` with
    jitter from a random source of the process's own, so that webhooks that failed
    together (a receiver's outage) do not all come back together.
    """
    hooks = settings.webhooks
    sender = WebhookSender(
        timeouts=WebhookTimeouts(total=hooks.timeout_seconds),
        allow_private=hooks.allow_private_targets,
        connections_per_host=hooks.endpoint_concurrency,
    )
    jitter = random.Random()  # spreads retries in time; nothing secret

    def next_delay(attempt: int) -> float:
        return next_attempt_delay(
            attempt, base=hooks.retry_base_seconds, cap=hooks.retry_cap_seconds, jitter=jitter
        )

    worker = WebhookDeliveryWorker(
        storage.webhook_outbox,
        sender,
        next_delay=next_delay,
        hurry=storage.writer.hurry,
        settings=WebhookDeliverySettings(
            lease_seconds=hooks.lease_seconds,
            endpoint_concurrency=hooks.endpoint_concurrency,
            endpoint_max_in_flight=hooks.endpoint_max_in_flight,
            retry_window=hooks.retry_window,
            max_attempts=hooks.max_attempts,
        ),
    )
    return sender, worker
