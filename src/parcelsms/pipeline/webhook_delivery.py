"""Delivers webhooks from the persisted outbox, with retries and backoff.

Outbox rows are written in the same transaction as the status change they describe, so a
crash or restart never loses one: a row claimed by a dead worker becomes due again when its
lease ends. Each row is sent with the same bytes on every attempt (the payload is stored),
signed with the account's secret, and retried on retryable failures (timeouts, 408/425/429,
5xx) with exponential backoff until ``max_attempts``; then it is marked failed.

The worker is a :class:`~parcelsms.pipeline.claim_loop.ClaimLoop`, so that sending never
stops for storage: it claims a batch whenever fewer than ``max_in_flight`` rows are in its
hands (and at least half a batch of room is free), every row is sent as soon as it is
claimed (the transport's connection limits pace the requests), and results are recorded in
lists — one storage call carries every result that arrived while the previous call ran. A
claimed row stays in flight until its result is recorded; the worker never sends a row it
still holds twice, even if the row's lease ran out meanwhile.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Protocol

from parcelsms.pipeline.claim_loop import ClaimLoop
from parcelsms.pipeline.webhook_ports import WebhookDelivery, WebhookOutbox, WebhookResult

_log = logging.getLogger(__name__)


class DeliveryReport(Protocol):
    """What a transport reports about one attempt (read-only)."""

    @property
    def ok(self) -> bool: ...

    @property
    def status(self) -> int | None: ...

    @property
    def error(self) -> str | None: ...

    @property
    def retryable(self) -> bool: ...


class WebhookTransport(Protocol):
    """Sends one signed webhook; never raises for network problems."""

    async def deliver(
        self, url: str, secret: str, event_id: str, body: bytes
    ) -> DeliveryReport: ...


@dataclass(frozen=True, slots=True)
class WebhookDeliverySettings:
    """``max_in_flight``: rows claimed and not yet recorded, at most."""

    batch_size: int = 200
    lease_seconds: float = 60.0
    idle_poll_seconds: float = 0.2
    max_attempts: int = 12
    max_in_flight: int = 600


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
        self._loop: ClaimLoop[WebhookDelivery, WebhookResult] = ClaimLoop(
            name="webhook delivery",
            claim=self._claim,
            work=self._attempt,
            record=outbox.record_webhook_results,
            item_key=_webhook_id,
            result_key=_webhook_id,
            batch_size=self._settings.batch_size,
            max_in_flight=self._settings.max_in_flight,
            # Below half a batch of room, wait for results rather than claim a handful of rows.
            min_claim=min(self._settings.batch_size, self._settings.max_in_flight) // 2,
            idle_poll_seconds=self._settings.idle_poll_seconds,
            unrecorded="unrecorded rows are due again when their lease ends (sent at least once)",
        )
        self.delivered = 0
        self.failed = 0

    def wake(self) -> None:
        """New rows may be due: look now instead of at the next poll."""
        self._loop.wake()

    async def run(self) -> None:
        await self._loop.run()

    async def stop(self, drain_seconds: float = 5.0) -> None:
        """Stop claiming; give rows in flight ``drain_seconds`` to be sent and recorded.

        Rows not recorded by then are sent again after their lease (at least once).
        """
        await self._loop.stop(drain_seconds)

    async def _claim(self, limit: int) -> list[WebhookDelivery]:
        return await self._outbox.claim_due_webhooks(
            limit, self._clock(), self._settings.lease_seconds
        )

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


def _webhook_id(record: WebhookDelivery | WebhookResult) -> str:
    return record.id
