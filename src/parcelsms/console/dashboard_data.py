"""The figures of the sender's dashboard, behind a port.

:class:`DashboardData` is what the dashboard page draws. The report service (rollups per
hour × account × country × status, ``/v1/reports/summary``) is meant to implement it; until
it is merged, :class:`MessageScanDashboard` — TEMPORARY — counts a page of recent messages
through ``MessageQueries.list_messages``. Swap it in ``parcelsms.bootstrap.console_wiring``.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Literal, Protocol
from zoneinfo import ZoneInfo

import msgspec

from parcelsms.domain.status import MessageStatus
from parcelsms.pipeline.message_ports import Message, MessageFilter, MessageQueries

Period = Literal["today", "7d", "30d"]
PERIOD_DAYS: dict[Period, int] = {"today": 1, "7d": 7, "30d": 30}
_UNDELIVERED: frozenset[str] = frozenset({"undelivered", "expired", "rejected", "failed"})


class VolumePoint(msgspec.Struct, frozen=True, kw_only=True):
    """One bucket of the volume chart: ``label`` is the hour (today) or the day."""

    label: str
    messages: int
    delivered: int
    undelivered: int

    @property
    def delivery_rate(self) -> float | None:
        done = self.delivered + self.undelivered
        return self.delivered / done if done else None


class CountryRow(msgspec.Struct, frozen=True, kw_only=True):
    country: str
    messages: int
    delivered: int
    undelivered: int
    pending: int

    @property
    def delivery_rate(self) -> float | None:
        done = self.delivered + self.undelivered
        return self.delivered / done if done else None


class FailureRow(msgspec.Struct, frozen=True, kw_only=True):
    message_id: str
    to_e164: str
    country: str
    status: MessageStatus
    reason: str
    at: datetime


class DashboardFigures(msgspec.Struct, frozen=True, kw_only=True):
    period: Period
    messages: int
    segments: int
    delivered: int
    undelivered: int
    pending: int
    spend_micros: int
    volume: tuple[VolumePoint, ...]
    countries: tuple[CountryRow, ...]
    failures: tuple[FailureRow, ...]

    @property
    def delivery_rate(self) -> float | None:
        done = self.delivered + self.undelivered
        return self.delivered / done if done else None


class DashboardData(Protocol):
    async def figures(self, account_id: str, period: Period, time_zone: str) -> DashboardFigures:
        """The account's figures over ``period`` (ending now); hours and days (``today``
        included) are those of ``time_zone``, the reader's."""
        ...


class MessageScanDashboard:
    """TEMPORARY: figures counted from the newest ``max_messages`` messages of the period.

    Correct for small accounts; for large ones it undercounts (it stops at the cap) and costs
    a scan. The report service's rollups replace it.
    """

    def __init__(
        self,
        queries: MessageQueries,
        *,
        max_messages: int = 5_000,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._queries = queries
        self._max = max_messages
        self._clock = clock

    async def figures(self, account_id: str, period: Period, time_zone: str) -> DashboardFigures:
        zone = ZoneInfo(time_zone)
        now = self._clock().astimezone(zone)
        since = (
            now.replace(hour=0, minute=0, second=0, microsecond=0)
            if period == "today"
            else now - timedelta(days=PERIOD_DAYS[period])
        )
        messages = await self._scan(account_id, since)
        hourly = period == "today"
        buckets: dict[str, Counter[str]] = {}
        if hourly:
            for hour in range(now.hour + 1):
                buckets[f"{hour:02d}:00"] = Counter()
        else:
            for day in range(PERIOD_DAYS[period] - 1, -1, -1):
                buckets[(now - timedelta(days=day)).date().isoformat()] = Counter()
        countries: dict[str, Counter[str]] = {}
        totals: Counter[str] = Counter()
        failures: list[FailureRow] = []
        for message in messages:
            outcome = _outcome(message.status)
            created = message.created_at.astimezone(zone)
            label = f"{created.hour:02d}:00" if hourly else created.date().isoformat()
            buckets.setdefault(label, Counter()).update(("messages", outcome))
            countries.setdefault(message.country, Counter()).update(("messages", outcome))
            totals.update(("messages", outcome))
            totals["segments"] += message.segments
            totals["spend"] += message.price_micros
            if outcome == "undelivered" and len(failures) < 10:
                failures.append(_failure(message))
        return DashboardFigures(
            period=period,
            messages=totals["messages"],
            segments=totals["segments"],
            delivered=totals["delivered"],
            undelivered=totals["undelivered"],
            pending=totals["pending"],
            spend_micros=totals["spend"],
            volume=tuple(
                VolumePoint(
                    label=label,
                    messages=counts["messages"],
                    delivered=counts["delivered"],
                    undelivered=counts["undelivered"],
                )
                for label, counts in sorted(buckets.items())
            ),
            countries=tuple(
                sorted(
                    (
                        CountryRow(
                            country=country,
                            messages=counts["messages"],
                            delivered=counts["delivered"],
                            undelivered=counts["undelivered"],
                            pending=counts["pending"],
                        )
                        for country, counts in countries.items()
                    ),
                    key=lambda row: (-row.messages, row.country),
                )
            ),
            failures=tuple(failures),
        )

    async def _scan(self, account_id: str, since: datetime) -> list[Message]:
        found: list[Message] = []
        cursor: str | None = None
        while len(found) < self._max:
            page = await self._queries.list_messages(
                account_id, MessageFilter(since=since), cursor, limit=200
            )
            found.extend(page.items)
            cursor = page.next_cursor
            if cursor is None:
                break
        return found[: self._max]


def _outcome(status: str) -> str:
    if status == "delivered":
        return "delivered"
    return "undelivered" if status in _UNDELIVERED else "pending"


def _failure(message: Message) -> FailureRow:
    error = message.last_error
    reason: str
    if error is None:
        reason = message.status.value
    else:
        carrier = " ".join(f"{k}={v}" for k, v in (("stat", error.stat), ("err", error.err)) if v)
        reason = f"{error.detail} ({carrier})" if carrier else error.detail
    return FailureRow(
        message_id=message.id,
        to_e164=message.to_e164,
        country=message.country,
        status=message.status,
        reason=reason,
        at=message.final_at or message.updated_at,
    )
