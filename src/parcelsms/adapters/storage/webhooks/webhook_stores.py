"""The webhook ports on SQL: an account's endpoint, and the outbox a sender drains.

Outbox rows are written by the message and billing rooms in the transaction of the change
they report; this room only claims due rows and records delivery results.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from parcelsms.adapters.storage.engine.runner import SqlRunner
from parcelsms.adapters.storage.webhooks import webhook_rows
from parcelsms.pipeline.webhook_ports import (
    WebhookAttempt,
    WebhookDelivery,
    WebhookEndpoint,
    WebhookResult,
)


class SqlWebhookEndpointStore:
    """Implements ``WebhookEndpointStore`` (the account-wide webhook endpoint) and
    ``WebhookDeliveryLog`` (its deliveries, read)."""

    def __init__(self, runner: SqlRunner) -> None:
        self._runner = runner
        self._writer = runner.writer
        self._endpoints = webhook_rows.EndpointOperation(runner.context)

    async def set_webhook_endpoint(self, account_id: str, url: str, secret: str) -> WebhookEndpoint:
        item = webhook_rows.EndpointChange(account_id, url, secret)
        return await self._writer.run(self._endpoints, item)

    async def get_webhook_endpoint(self, account_id: str) -> WebhookEndpoint | None:
        return await self._runner.read(webhook_rows.read_endpoint, account_id)

    async def list_webhook_attempts(
        self, account_id: str, message_id: str | None = None, limit: int = 50
    ) -> list[WebhookAttempt]:
        """Implements ``WebhookDeliveryLog``."""
        return await self._runner.read(webhook_rows.read_attempts, account_id, message_id, limit)


class SqlWebhookOutbox:
    """Implements ``WebhookOutbox``: claim due deliveries, record their results."""

    def __init__(self, runner: SqlRunner) -> None:
        self._writer = runner.writer
        self._claim = webhook_rows.WebhookClaimOperation()
        self._results = webhook_rows.WebhookResultOperation(runner.context)

    async def claim_due_webhooks(
        self, limit: int, now: datetime, lease_seconds: float
    ) -> list[WebhookDelivery]:
        request = webhook_rows.WebhookClaimRequest(limit, now, lease_seconds)
        return await self._writer.run(self._claim, request)

    async def record_webhook_results(self, results: Sequence[WebhookResult]) -> None:
        await self._writer.run_list(self._results, results)
