"""Delivers webhooks from the persisted outbox, with retries and backoff.

Outbox rows are written in the same transaction as the status change they describe, so a
crash or restart never loses one: a row claimed by a dead worker becomes due again when its
lease ends. Each row is sent with the same bytes on every attempt (the payload is stored),
signed with the account's secret, and retried on retryable failures (timeouts, 408/425/429,
5xx) with exponential backoff until ``max_attempts``; then it is marked failed.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Protocol

from parcelsms.pipeline.ports import WebhookDelivery, WebhookOutbox, WebhookResult

_log = logging.getLogger(__name__)


class DeliveryReport(Protocol):
    ok: bool
    status: int | None
    error: str | None
    retryable: bool


class WebhookTransport(Protocol):
    """Sends one signed webhook; never raises for network problems."""

    async def deliver(self, url: str, secret: str, event_id: str, body: bytes) -> DeliveryReport:
        ...


@dataclass(frozen=True, slots=True)
class WebhookDeliverySettings:
    batch_size: int = 200
    lease_seconds: float = 60.0
    idle_poll_seconds: float = 0.2
    max_attempts: int = 12


class WebhookDeliveryWorker:
    """Claims due outbox rows and sends them. ``await run()`` until ``stop()``."""

    def __init__(
        self,
        outbox: WebhookOutbox,
        transport: WebhookTransport,
        next_delay: Callable[[int], float],
        settings: WebhookDeliverySettings | None = None,
        *,
        clock: Callable[[], datetime] | None = None,
    ) -> None:
        self._outbox = outbox
        self._transport = transport
        self._next_delay = next_delay
        self._settings = settings or WebhookDeliverySettings()
        self._clock = clock or (lambda: datetime.now(UTC))
        self._wake = asyncio.Event()
        self._stopping = False
        self.delivered = 0
        self.failed = 0

    def wake(self) -> None:
        self._wake.set()

    async def run(self) -> None:
        settings = self._settings
        while not self._stopping:
            self._wake.clear()
            rows = await self._outbox.claim_due_webhooks(
                settings.batch_size, self._clock(), settings.lease_seconds
            )
            if not rows:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), settings.idle_poll_seconds)
                continue
            results = await asyncio.gather(*(self._attempt(row) for row in rows))
            await self._outbox.record_webhook_results(results)

    async def stop(self) -> None:
        self._stopping = True
        self._wake.set()

    async def _attempt(self, row: WebhookDelivery) -> WebhookResult:
        attempt = row.attempts + 1
        if row.secret is None:
            self.failed += 1
            return WebhookResult(
                id=row.id,
                ok=False,
                error="the account has no webhook signing secret: register one with "
                "POST /v1/webhooks",
            )
        report = await self._transport.deliver(
            row.url, row.secret, row.id, row.payload.encode("utf-8")
        )
        if report.ok:
            self.delivered += 1
            return WebhookResult(id=row.id, ok=True, status=report.status)
        next_attempt: datetime | None = None
        if report.retryable and attempt < self._settings.max_attempts:
            next_attempt = self._clock() + timedelta(seconds=self._next_delay(attempt))
        else:
            self.failed += 1
            _log.warning(
                "webhook given up",
                extra={"webhook_id": row.id, "attempts": attempt, "error": report.error},
            )
        return WebhookResult(
            id=row.id,
            ok=False,
            status=report.status,
            error=report.error,
            next_attempt_at=next_attempt,
        )
