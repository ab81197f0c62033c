"""The console's dashboard figures come from the report rollups: what was accepted shows per
country, in the volume chart and in the totals, in the reader's time zone."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from sender_accounts import new_account

from parcelsms.adapters.storage.sql_storage import SqlStorage
from parcelsms.console.report_dashboard import ReportDashboard
from parcelsms.pipeline.message_ports import Accepted, NewMessage
from parcelsms.pipeline.reports import Reports

START = datetime(2030, 1, 1, 12, 0, tzinfo=UTC)


async def test_the_dashboard_counts_todays_messages_by_country_and_hour(
    storage: SqlStorage, make_message: Callable[..., NewMessage]
) -> None:
    account = await new_account(storage, "shop", balance_micros=10_000_000)
    other = await new_account(storage, "other", balance_micros=10_000_000)
    sent = [make_message(account.id, to_e164="+447911123456", country="GB") for _ in range(3)]
    sent += [make_message(account.id, to_e164="+4915112345678", country="DE") for _ in range(2)]
    sent += [make_message(other.id)]  # another account's: not on this dashboard
    results = await storage.messages.accept_messages(sent)
    assert all(isinstance(result, Accepted) for result in results)

    # The storage clock stands at START (12:00 UTC): 13:00 in Berlin.
    dashboard = ReportDashboard(
        Reports(storage.reports),
        storage.message_queries,
        clock=lambda: START + timedelta(minutes=30),
    )
    figures = await dashboard.figures(account.id, "today", "Europe/Berlin")

    assert (figures.messages, figures.pending, figures.delivered) == (5, 5, 0)
    assert [(row.country, row.messages) for row in figures.countries] == [("GB", 3), ("DE", 2)]
    assert [(point.label, point.messages) for point in figures.volume] == [("13:00", 5)]
    assert figures.failures == ()

    week = await dashboard.figures(account.id, "7d", "Europe/Berlin")
    assert week.messages == 5
    assert [(point.label, point.messages) for point in week.volume] == [("2030-01-01", 5)]
