"""The temporary dashboard source: figures counted from the account's recent messages."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from parcelsms.console.dashboard_data import MessageScanDashboard
from parcelsms.domain.status import MessageStatus
from parcelsms.pipeline.message_ports import ErrorDetail, Message, MessageFilter, MessagePage

NOW = datetime(2026, 12, 5, 22, 30, tzinfo=UTC)


def message(number: int, country: str, status: str, at: datetime, **extra: object) -> Message:
    return Message(
        id=f"msg_{number:026d}",
        account_id="acc_1",
        status=MessageStatus(status),
        to_e164="+4915112345678",
        country=country,
        template_id=None,
        language="en",
        body="Parcel shipped.",
        encoding="GSM7",
        segments=1,
        price_micros=50_000,
        currency="EUR",
        sender_id=None,
        client_ref=None,
        callback_url=None,
        flags=(),
        last_error=extra.get("last_error"),  # type: ignore[arg-type]
        created_at=at,
        updated_at=at,
        submitted_at=None,
        final_at=at,
        valid_until=at + timedelta(days=2),
    )


class Messages:
    """MessageQueries.list_messages over a list, pages of two (newest first)."""

    def __init__(self, items: list[Message]) -> None:
        self.items = sorted(items, key=lambda m: m.created_at, reverse=True)

    async def list_messages(
        self, account_id: str, filters: MessageFilter, cursor: str | None = None, limit: int = 50
    ) -> MessagePage:
        chosen = [m for m in self.items if filters.since is None or m.created_at >= filters.since]
        start = int(cursor or 0)
        page = chosen[start : start + 2]
        more = start + 2 < len(chosen)
        return MessagePage(items=tuple(page), next_cursor=str(start + 2) if more else None)


async def test_counts_by_outcome_and_country_over_every_page() -> None:
    rejected = ErrorDetail(detail="carrier rejected", stat="REJECTD", err="011")
    source = Messages(
        [
            message(1, "DE", "delivered", NOW - timedelta(hours=1)),
            message(2, "DE", "undelivered", NOW - timedelta(hours=2)),
            message(3, "FR", "rejected", NOW - timedelta(hours=3), last_error=rejected),
            message(4, "FR", "submitted", NOW - timedelta(hours=4)),
            message(5, "FR", "delivered", NOW - timedelta(days=3)),
        ]
    )
    dashboard = MessageScanDashboard(source, clock=lambda: NOW)  # type: ignore[arg-type]

    today = await dashboard.figures("acc_1", "today", "UTC")
    week = await dashboard.figures("acc_1", "7d", "UTC")

    assert (today.messages, today.delivered, today.undelivered, today.pending) == (4, 1, 2, 1)
    assert today.spend_micros == 200_000
    assert [(row.country, row.messages, row.delivered) for row in today.countries] == [
        ("DE", 2, 1),
        ("FR", 2, 0),
    ]
    assert {failure.reason for failure in today.failures} == {
        "undelivered",
        "carrier rejected (stat=REJECTD err=011)",
    }
    assert week.messages == 5
    assert len(week.volume) == 7


async def test_today_and_its_hours_are_those_of_the_readers_time_zone() -> None:
    # 22:30 UTC is 06:30 the next day in Shanghai: a message at 15:30 UTC was "yesterday".
    source = Messages(
        [
            message(1, "CN", "delivered", NOW - timedelta(minutes=10)),
            message(2, "CN", "delivered", NOW - timedelta(hours=7)),
        ]
    )
    dashboard = MessageScanDashboard(source, clock=lambda: NOW)  # type: ignore[arg-type]

    shanghai = await dashboard.figures("acc_1", "today", "Asia/Shanghai")
    utc = await dashboard.figures("acc_1", "today", "UTC")

    assert shanghai.messages == 1
    assert [point.label for point in shanghai.volume if point.messages] == ["06:00"]
    assert utc.messages == 2
