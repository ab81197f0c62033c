"""Delivers webhooks from the persisted outbox, with retries and backoff.

Outbox rows are written in the same transaction as the status change they describe, so a
crash or restart never loses one: a row claimed by a dead worker becomes due again when its
lease ends. Each row is sent with the same bytes on every attempt (the payload is stored),
signed with the account's secret, and retried on retryable failures (timeouts, 408/425/429,
5xx) with exponential backoff until ``max_attempts``; then it is marked failed.

The worker is a pipeline, so that sending never stops for storage: it claims a batch
whenever fewer than ``max_in_flight`` rows are in its hands, every row is sent as soon as
it is claimed (the transport's connection limits pace the requests), and results are
recorded in lists — one storage call carries every result that arrived while the previous
call ran. A claimed row stays in flight until its result is recorded; the worker never
sends a row it still holds twice, even if the row's lease ran out meanwhile.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Protocol

from parcelsms.pipeline.list_recorder import ListRecorder
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
        self._wake = asyncio.Event()
        self._slot_freed = asyncio.Event()
        self._stopping = False
        self._held: set[str] = set()  # ids claimed and not yet recorded
        self._tasks: set[asyncio.Task[None]] = set()
        self._recorder: ListRecorder[WebhookResult] = ListRecorder(
            outbox.record_webhook_results,
            self._recorded,
            "unrecorded rows are due again when their lease ends (sent at least once)",
        )
        self.delivered = 0
        self.failed = 0

    def wake(self) -> None:
        self._wake.set()

    async def run(self) -> None:
        settings = self._settings
        # Below this much room, wait for results rather than claim a handful of rows.
        worthwhile = max(1, min(settings.batch_size, settings.max_in_flight) // 2)
        while not self._stopping:
            room = settings.max_in_flight - len(self._held)
            if room <= 0 or (room < worthwhile and self._held):
                self._slot_freed.clear()
                await self._slot_freed.wait()
                continue
            self._wake.clear()
            rows = await self._outbox.claim_due_webhooks(
                min(settings.batch_size, room), self._clock(), settings.lease_seconds
            )
            if self._stop_requested():
                break  # claimed rows come back when their lease ends
            fresh = [row for row in rows if row.id not in self._held]
            if not fresh:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), settings.idle_poll_seconds)
                continue
            for row in fresh:
                self._held.add(row.id)
                task = asyncio.create_task(self._deliver(row))
                self._tasks.add(task)
                task.add_done_callback(self._tasks.discard)

    def _stop_requested(self) -> bool:
        # A method, not the attribute: stop() may run while run() awaits a claim.
        return self._stopping

    async def stop(self, drain_seconds: float = 5.0) -> None:
        """Stop claiming; give rows in flight ``drain_seconds`` to be sent and recorded.

        Rows not recorded by then are sent again after their lease (at least once).
        """
        self._stopping = True
        self._wake.set()
        self._slot_freed.set()
        loop = asyncio.get_running_loop()
        deadline = loop.time() + drain_seconds
        if self._tasks:
            await asyncio.wait(set(self._tasks), timeout=drain_seconds)
        await self._recorder.drain(deadline - loop.time())

    async def _deliver(self, row: WebhookDelivery) -> None:
        try:
            result = await self._attempt(row)
        except Exception:
            # A bug, not a delivery failure: leave the row to come back after its lease.
            _log.exception("webhook attempt failed", extra={"webhook_id": row.id})
            self._held.discard(row.id)
            self._slot_freed.set()
            return
        self._recorder.add(result)

    def _recorded(self, results: list[WebhookResult]) -> None:
        for result in results:
            self._held.discard(result.id)
        self._slot_freed.set()

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
