"""Delivers webhooks from the persisted outbox, with retries, backoff and dead letters.

Outbox rows are written in the same transaction as the event they describe, so a crash or
restart never loses one. Each row is sent with the same bytes on every attempt (the payload
is stored), signed with its endpoint's secret(s), and retried on retryable failures
(timeouts, 408/425/429, 5xx) after ``next_delay(attempt)`` seconds (exponential backoff
with jitter, wired by the composition root) for as long as its retry window lasts
(``retry_window`` from ``retry_from``, 24 h by default; ``max_attempts`` may end it
sooner). Then, or at once for a final answer (other 4xx), it is dead-lettered (``dead``),
listed for the sender, and redelivered on request.

**Leases.** A claimed row is leased for ``lease_seconds`` (a few seconds): if this process
dies, its rows are due again that soon (sent at least once). A row held longer — waiting
for its endpoint, or a slow POST — has its lease renewed every half lease. On a clean stop
rows not yet sent are put back (due at once, no attempt counted), and rows whose result
could not be recorded are released, so a restart does not wait out a lease.

**Endpoints are isolated.** Each destination URL has at most ``endpoint_concurrency``
requests in flight and at most ``endpoint_max_in_flight`` rows claimed; a URL at that
limit is left out of claims, so one slow endpoint holds at most its own share of the
worker's ``max_in_flight`` and never delays another's webhooks. A row waits for its turn
before its request starts: its ``timeout`` covers the request only.

The worker is a :class:`~parcelsms.pipeline.claim_loop.ClaimLoop`: it claims a batch
whenever there is room, every row starts at once, and results are recorded in lists. A
claimed row stays in flight until its result is recorded; the worker never sends a row it
still holds twice, even if the row's lease ran out meanwhile.
"""

from __future__ import annotations

import asyncio
import logging
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Protocol

from parcelsms.pipeline.claim_loop import ClaimLoop
from parcelsms.pipeline.webhook_ports import WebhookDelivery, WebhookOutbox, WebhookResult
from parcelsms.task_cancellation import cancel_and_wait

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

    @property
    def duration_ms(self) -> float: ...


class WebhookTransport(Protocol):
    """Sends one webhook signed with each of ``secrets``; never raises for network problems."""

    async def deliver(
        self, url: str, secret: Sequence[str], event_id: str, body: bytes
    ) -> DeliveryReport: ...


@dataclass(frozen=True, slots=True)
class WebhookDeliverySettings:
    """How the worker claims, sends and gives up (see the module docstring).

    ``max_attempts`` 0 means no limit by count: the retry window alone decides.
    """

    batch_size: int = 200
    lease_seconds: float = 5.0
    idle_poll_seconds: float = 0.2
    max_in_flight: int = 4000
    endpoint_concurrency: int = 10
    endpoint_max_in_flight: int = 400
    retry_window: timedelta = timedelta(hours=24)
    max_attempts: int = 0


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
        hurry: Callable[[], None] | None = None,
    ) -> None:
        self._outbox = outbox
        self._transport = transport
        self._next_delay = next_delay
        settings = settings or WebhookDeliverySettings()
        self._settings = settings
        self._clock = clock or (lambda: datetime.now(UTC))
        # A URL is claimed only while a whole batch still fits under its own limit.
        self._claim_threshold = max(1, settings.endpoint_max_in_flight - settings.batch_size)
        self._held_by_url: Counter[str] = Counter()
        self._gates: dict[str, asyncio.Semaphore] = {}
        # id -> (attempts when claimed, monotonic time claimed or renewed), until recorded.
        self._claimed: dict[str, tuple[int, float]] = {}
        self._stopping = asyncio.Event()
        self._loop: ClaimLoop[WebhookDelivery, WebhookResult] = ClaimLoop(
            name="webhook delivery",
            claim=self._claim,
            work=self._attempt,
            record=outbox.record_webhook_results,
            item_key=_webhook_id,
            result_key=_webhook_id,
            batch_size=settings.batch_size,
            max_in_flight=settings.max_in_flight,
            # Below half a batch of room, wait for results rather than claim a handful of rows.
            min_claim=min(settings.batch_size, settings.max_in_flight) // 2,
            idle_poll_seconds=settings.idle_poll_seconds,
            unrecorded="unrecorded rows are released at stop, else due when their lease ends",
            hurry=hurry,
        )
        self.delivered = 0
        self.failed = 0

    @property
    def claim_loop(self) -> ClaimLoop[WebhookDelivery, WebhookResult]:
        """The loop that claims, sends and records (its statistics and what it holds)."""
        return self._loop

    def wake(self) -> None:
        """New rows may be due: look now instead of at the next poll."""
        self._loop.wake()

    async def run(self) -> None:
        renewal = asyncio.create_task(self._renew_leases(), name="webhook lease renewal")
        try:
            await self._loop.run()
        finally:
            await cancel_and_wait(renewal)

    async def stop(self, drain_seconds: float = 5.0) -> None:
        """Stop claiming; rows waiting for their endpoint go back untried, requests in
        flight get ``drain_seconds`` to finish and be recorded; what is still held then
        is released (due at once: sent at least once)."""
        self._stopping.set()
        for gate in self._gates.values():
            gate.release()  # wakes the waiters, which see the stop and go back untried
        await self._loop.stop(drain_seconds)
        held = self._loop.held_keys()
        claims = [(key, self._claimed[key][0]) for key in held if key in self._claimed]
        if claims:
            await self._outbox.release_webhooks(claims, self._clock())
            _log.info("released claimed webhooks at stop", extra={"count": len(claims)})

    async def _claim(self, limit: int) -> list[WebhookDelivery]:
        threshold = self._claim_threshold
        busy = [url for url, count in self._held_by_url.items() if count > threshold]
        rows = await self._outbox.claim_due_webhooks(
            limit, self._clock(), self._settings.lease_seconds, busy
        )
        monotonic = asyncio.get_running_loop().time()
        for row in rows:
            self._claimed[row.id] = (row.attempts, monotonic)
        return rows

    async def _attempt(self, row: WebhookDelivery) -> WebhookResult:
        url = row.url
        self._held_by_url[url] += 1
        try:
            gate = self._gates.get(url)
            if gate is None:
                gate = self._gates[url] = asyncio.Semaphore(self._settings.endpoint_concurrency)
            async with gate:
                if self._stopping.is_set():
                    return WebhookResult(
                        id=row.id, ok=False, deferred=True, next_attempt_at=self._clock()
                    )
                return await self._send(row)
        finally:
            count = self._held_by_url[url] - 1
            if count:
                self._held_by_url[url] = count
            else:
                del self._held_by_url[url]
                if not self._gates[url].locked():
                    del self._gates[url]
            if count == self._claim_threshold:
                self._loop.wake()  # the URL is claimable again

    async def _send(self, row: WebhookDelivery) -> WebhookResult:
        attempt = row.attempts + 1
        if not row.secrets:
            self.failed += 1
            return WebhookResult(
                id=row.id,
                ok=False,
                error="no_secret: the account has no webhook signing secret; register an "
                "endpoint with POST /v1/webhooks",
            )
        report = await self._transport.deliver(
            row.url, row.secrets, row.event_id, row.payload.encode("utf-8")
        )
        latency_ms = round(report.duration_ms)
        if report.ok:
            self.delivered += 1
            return WebhookResult(id=row.id, ok=True, status=report.status, latency_ms=latency_ms)
        now = self._clock()
        next_attempt: datetime | None = None
        if report.retryable and not self._given_up(row, attempt, now):
            next_attempt = now + timedelta(seconds=self._next_delay(attempt))
        else:
            self.failed += 1
            _log.warning(
                "webhook dead-lettered",
                extra={"webhook_id": row.id, "attempts": attempt, "error": report.error},
            )
        return WebhookResult(
            id=row.id,
            ok=False,
            status=report.status,
            error=report.error,
            next_attempt_at=next_attempt,
            latency_ms=latency_ms,
        )

    def _given_up(self, row: WebhookDelivery, attempt: int, now: datetime) -> bool:
        max_attempts = self._settings.max_attempts
        if max_attempts and attempt >= max_attempts:
            return True
        return now >= row.retry_from + self._settings.retry_window

    async def _renew_leases(self) -> None:
        """Every half lease, extend the lease of rows held for more than half a lease."""
        half = self._settings.lease_seconds / 2
        loop = asyncio.get_running_loop()
        while True:
            await asyncio.sleep(half)
            held = self._loop.held_keys()
            for key in [key for key in self._claimed if key not in held]:
                del self._claimed[key]  # recorded (or never started)
            old = loop.time() - half
            claims = [
                (key, attempts)
                for key, (attempts, claimed_at) in self._claimed.items()
                if claimed_at <= old
            ]
            if not claims:
                continue
            until = self._clock() + timedelta(seconds=self._settings.lease_seconds)
            try:
                await self._outbox.renew_webhook_leases(claims, until)
            except Exception:
                _log.warning("webhook lease renewal failed", exc_info=True)
            now = loop.time()
            for key, attempts in claims:
                if key in self._claimed:
                    self._claimed[key] = (attempts, now)


def _webhook_id(record: WebhookDelivery | WebhookResult) -> str:
    return record.id
