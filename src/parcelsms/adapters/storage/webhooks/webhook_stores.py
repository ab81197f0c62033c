"""The webhook ports on SQL: an account's endpoints, the outbox a sender drains, and the
deliveries log senders read.

Outbox rows are written by the message and billing rooms in the transaction of the change
they report (:mod:`.outbox_routing_rows`); this room claims due rows, records delivery
results, and redelivers on request.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import datetime

from parcelsms.adapters.storage.engine.runner import SqlRunner
from parcelsms.adapters.storage.webhooks import delivery_log_rows, endpoint_rows, webhook_rows
from parcelsms.pipeline.webhook_ports import (
    DeliveryFilter,
    DeliveryPage,
    EndpointChanges,
    WebhookDelivery,
    WebhookDeliveryRecord,
    WebhookEndpoint,
    WebhookResult,
)


class SqlWebhookEndpointStore:
    """Implements ``WebhookEndpointStore``: an account's webhook endpoints."""

    def __init__(self, runner: SqlRunner) -> None:
        self._runner = runner
        self._writer = runner.writer
        self._operations = endpoint_rows.EndpointOperations(runner.context)

    async def set_webhook_endpoint(self, account_id: str, url: str, secret: str) -> WebhookEndpoint:
        item = endpoint_rows.DefaultEndpointChange(account_id, url, secret)
        return await self._writer.run(self._operations.set_default, item)

    async def get_webhook_endpoint(self, account_id: str) -> WebhookEndpoint | None:
        return await self._runner.read(endpoint_rows.read_default_endpoint, account_id)

    async def create_endpoint(
        self, account_id: str, url: str, event_types: tuple[str, ...], secret: str
    ) -> WebhookEndpoint:
        item = endpoint_rows.NewEndpoint(account_id, url, event_types, secret)
        return await self._writer.run(self._operations.create, item)

    async def list_endpoints(self, account_id: str) -> list[WebhookEndpoint]:
        return await self._runner.read(endpoint_rows.read_endpoints, account_id)

    async def get_endpoint(self, account_id: str, endpoint_id: str) -> WebhookEndpoint | None:
        ref = endpoint_rows.EndpointRef(account_id, endpoint_id)
        return await self._runner.read(endpoint_rows.read_endpoint, ref)

    async def update_endpoint(
        self, account_id: str, endpoint_id: str, changes: EndpointChanges
    ) -> WebhookEndpoint | None:
        item = endpoint_rows.EndpointUpdate(account_id, endpoint_id, changes)
        return await self._writer.run(self._operations.update, item)

    async def delete_endpoint(self, account_id: str, endpoint_id: str) -> bool:
        item = endpoint_rows.EndpointRef(account_id, endpoint_id)
        return await self._writer.run(self._operations.delete, item)

    async def rotate_secret(
        self, account_id: str, endpoint_id: str, secret: str, overlap_until: datetime
    ) -> WebhookEndpoint | None:
        item = endpoint_rows.SecretRotation(account_id, endpoint_id, secret, overlap_until)
        return await self._writer.run(self._operations.rotate, item)


class SqlWebhookOutbox:
    """Implements ``WebhookOutbox``: claim due deliveries, record their results."""

    def __init__(self, runner: SqlRunner) -> None:
        self._writer = runner.writer
        self._claim = webhook_rows.WebhookClaimOperation()
        self._results = webhook_rows.WebhookResultOperation(runner.context)
        self._leases = webhook_rows.LeaseOperation()

    async def claim_due_webhooks(
        self,
        limit: int,
        now: datetime,
        lease_seconds: float,
        busy_urls: Collection[str] = (),
    ) -> list[WebhookDelivery]:
        request = webhook_rows.WebhookClaimRequest(limit, now, lease_seconds, tuple(busy_urls))
        return await self._writer.run(self._claim, request)

    async def record_webhook_results(self, results: Sequence[WebhookResult]) -> None:
        await self._writer.run_list(self._results, results)

    async def renew_webhook_leases(
        self, claims: Sequence[tuple[str, int]], until: datetime
    ) -> None:
        await self._writer.run(self._leases, webhook_rows.LeaseChange(tuple(claims), until))

    async def release_webhooks(self, claims: Sequence[tuple[str, int]], now: datetime) -> None:
        await self._writer.run(self._leases, webhook_rows.LeaseChange(tuple(claims), now))


class SqlWebhookDeliveryLog:
    """Implements ``WebhookDeliveryLog``: the deliveries list and redelivery."""

    def __init__(self, runner: SqlRunner) -> None:
        self._runner = runner
        self._writer = runner.writer
        self._operations = delivery_log_rows.RedeliveryOperations()

    async def list_deliveries(
        self, account_id: str, where: DeliveryFilter, cursor: str | None, limit: int
    ) -> DeliveryPage:
        query = delivery_log_rows.DeliveryQuery(account_id, where, cursor, limit)
        return await self._runner.read(delivery_log_rows.read_delivery_page, query)

    async def retry_delivery(
        self, account_id: str, delivery_id: str, now: datetime
    ) -> WebhookDeliveryRecord | None:
        item = delivery_log_rows.DeliveryRetry(account_id, delivery_id, now)
        return await self._writer.run(self._operations.retry, item)

    async def replay_endpoint(
        self, account_id: str, endpoint_id: str, since: datetime, now: datetime
    ) -> int:
        item = delivery_log_rows.EndpointReplay(account_id, endpoint_id, since, now)
        return await self._writer.run(self._operations.replay, item)
