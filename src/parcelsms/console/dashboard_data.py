"""The figures of the sender's dashboard, behind a port.

:class:`DashboardData` is what the dashboard page draws;
:class:`~parcelsms.console.report_dashboard.ReportDashboard` implements it over the report
service's rollups.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal, Protocol

import msgspec

from parcelsms.domain.status import MessageStatus
from parcelsms.pipeline.message_ports import Message

Period = Literal["today", "7d", "30d"]
PERIOD_DAYS: dict[Period, int] = {"today": 1, "7d": 7, "30d": 30}


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


def failure_row(message: Message) -> FailureRow:
    """How a failed message is listed on the dashboard: its error, else its status."""
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
