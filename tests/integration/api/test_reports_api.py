"""Summary reports over the HTTP API: a sender's own figures, the operator's across
accounts with costs and margins, CSV, and the query-string errors."""

from __future__ import annotations

import csv
import io
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest
from receipt_records import receipt_record
from sender_accounts import TEST_ACTOR

from parcelsms.domain.status import MessageStatus
from parcelsms.pipeline.message_ports import Submitted, SubmittedPart

from .conftest import Api, ErrorOf, build_api, client_for, close_api, shipped_body

TOKEN = "operator-token-for-the-reports-0123456789"
GB_OTHER = "+447400123457"
ES_MOBILE = "+34612345678"


@dataclass
class Reporting:
    api: Api
    operator: httpx.AsyncClient
    period: dict[str, str]


@pytest.fixture
async def reporting(tmp_path: Path) -> AsyncIterator[Reporting]:
    """alpha sent two messages to GB (one delivered on ``sim``) and one to Spain."""
    api = await build_api(tmp_path, admin_token=TOKEN)
    operator = client_for(api.app, TOKEN)
    ids = []
    for to in (shipped_body(), shipped_body(GB_OTHER), shipped_body(ES_MOBILE)):
        sent = await api.alpha.client.post("/v1/messages", json=to)
        assert sent.status_code == 202, sent.text
        ids.append(sent.json()["id"])
    messages = api.storage.messages
    now = datetime.now(UTC)
    await messages.claim_for_dispatch("worker", 1, now)
    part = SubmittedPart(part_no=1, carrier_id_raw="5f3a9c")
    await messages.record_submissions([Submitted(message_id=ids[0], channel="sim", parts=(part,))])
    await api.storage.receipts.apply_receipts(
        [receipt_record("5f3a9c", MessageStatus.DELIVERED, now, channel="sim")]
    )
    await api.storage.billing.set_channel_cost("sim", "GB", 10_000, TEST_ACTOR)
    today = datetime.now(UTC).date()
    period = {
        "since": (today - timedelta(days=1)).isoformat(),
        "until": (today + timedelta(days=2)).isoformat(),
    }
    yield Reporting(api, operator, period)
    await operator.aclose()
    await close_api(api)


def _by_group(body: dict[str, Any]) -> dict[str | None, dict[str, Any]]:
    return {row["group"]: row for row in body["data"]}


async def test_a_sender_sees_volume_and_delivery_per_country(reporting: Reporting) -> None:
    api = reporting.api

    response = await api.alpha.client.get(
        "/v1/reports/summary", params={**reporting.period, "group_by": "country"}
    )
    other = await api.beta.client.get("/v1/reports/summary", params=reporting.period)

    assert response.status_code == 200, response.text
    groups = _by_group(response.json())
    assert set(groups) == {"GB", "ES"}
    gb = groups["GB"]
    assert (gb["messages"], gb["delivered"], gb["pending"]) == (2, 1, 1)
    assert gb["delivery_rate"] == 1.0
    assert gb["spend"] == "0.04"  # the delivered message's GB price, settled
    assert gb["median_seconds"] is not None
    assert "cost" not in gb  # the operator's figure only
    assert (groups["ES"]["messages"], groups["ES"]["delivery_rate"]) == (1, None)
    assert response.json()["totals"][0]["messages"] == 3
    assert other.json()["data"] == []  # another account's messages are not in its report


async def test_a_report_groups_by_day_in_the_asked_time_zone(reporting: Reporting) -> None:
    response = await reporting.api.alpha.client.get(
        "/v1/reports/summary", params={**reporting.period, "tz": "Pacific/Kiritimati"}
    )

    assert response.status_code == 200, response.text
    body = response.json()
    assert body["tz"] == "Pacific/Kiritimati"
    expected_day = datetime.now(UTC).astimezone(ZoneInfo("Pacific/Kiritimati")).date()
    assert [row["group"] for row in body["data"]] == [expected_day.isoformat()]


async def test_a_report_answers_csv_when_asked(reporting: Reporting) -> None:
    response = await reporting.api.alpha.client.get(
        "/v1/reports/summary",
        params={**reporting.period, "group_by": "status"},
        headers={"Accept": "text/csv"},
    )

    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(response.text)))
    by_group = {row["group"]: row for row in rows}
    assert set(by_group) == {"delivered", "queued", "total"}
    assert by_group["queued"]["messages"] == "2"
    assert by_group["total"]["messages"] == "3"


async def test_the_operator_sees_channels_with_cost_and_margin(reporting: Reporting) -> None:
    by_channel = await reporting.operator.get(
        "/admin/v1/reports/summary", params={**reporting.period, "group_by": "channel"}
    )
    by_account = await reporting.operator.get(
        "/admin/v1/reports/summary", params={**reporting.period, "group_by": "account"}
    )
    refused = await reporting.api.alpha.client.get(
        "/admin/v1/reports/summary", params=reporting.period
    )

    assert by_channel.status_code == 200, by_channel.text
    channels = _by_group(by_channel.json())
    assert channels["sim"]["messages"] == 1
    assert (channels["sim"]["spend"], channels["sim"]["cost"]) == ("0.04", "0.01")
    assert channels["sim"]["margin"] == "0.03"
    assert channels[None]["messages"] == 2  # not submitted yet: no channel, no cost
    assert channels[None]["cost"] == "0"
    accounts = _by_group(by_account.json())
    assert accounts[reporting.api.alpha.account_id]["messages"] == 3
    assert refused.status_code == 403


async def test_a_report_period_may_be_given_as_from_and_to_or_as_since_and_until(
    reporting: Reporting,
) -> None:
    client = reporting.api.alpha.client
    since, until = reporting.period["since"], reporting.period["until"]

    as_since = await client.get("/v1/reports/summary", params=reporting.period)
    as_from = await client.get("/v1/reports/summary", params={"from": since, "to": until})
    both = await client.get(
        "/v1/reports/summary", params={"from": since, "since": since, "to": until}
    )

    assert as_since.status_code == as_from.status_code == both.status_code == 200, as_from.text
    assert as_from.json() == as_since.json() == both.json()
    assert as_from.json()["totals"][0]["messages"] == 3


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"until": "2030-01-02"}, "from"),
        ({"since": "2030-01-01"}, "to"),
        ({"from": "2030-01-01", "since": "2030-01-02", "to": "2030-01-03"}, "since"),
        ({"from": "2030-01-01", "to": "2030-01-03", "until": "2030-01-04"}, "until"),
        ({"from": "2030-01-01T10:30:00Z", "to": "2030-01-02"}, "from"),
        ({"since": "2030-01-01T10:30:00Z", "until": "2030-01-02"}, "since"),
        ({"since": "2030-01-02", "until": "2030-01-01"}, "until"),
        ({"since": "2030-01-01", "until": "2030-03-01", "group_by": "hour"}, "until"),
        ({"since": "2030-01-01", "until": "2030-01-02", "group_by": "channel"}, "group_by"),
        ({"since": "2030-01-01", "until": "2030-01-02", "tz": "Mars/Olympus"}, "tz"),
        ({"since": "2030-01-01", "until": "2030-01-02", "limit": "5"}, "limit"),
        ({"since": "yesterday", "until": "2030-01-02"}, "since"),
    ],
)
async def test_a_report_query_that_cannot_be_answered_is_an_invalid_filter(
    reporting: Reporting, error_of: ErrorOf, params: dict[str, str], field: str
) -> None:
    response = await reporting.api.alpha.client.get("/v1/reports/summary", params=params)

    error_of(response, 400, "invalid_filter", field)
