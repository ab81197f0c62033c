"""Every amount the API takes is parsed in one place and bounded: above 1,000,000,000
currency units it is ``422 amount_out_of_range`` naming the field, and no balance can be
topped up past that maximum (issue 9, item 6). Account currencies are ISO 4217 codes."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from secured_platform import RunningPlatform, running_platform

TOO_LARGE = "1000000000.000001"


@pytest.fixture
async def running(tmp_path: Path) -> AsyncIterator[RunningPlatform]:
    async with running_platform(tmp_path) as platform:
        yield platform


def assert_refused(response: httpx.Response, code: str, field: str) -> None:
    assert response.status_code == 422, response.text
    error = response.json()["error"]
    assert (error["code"], error["field"]) == (code, field)


async def test_a_price_with_a_huge_exponent_is_refused_not_a_server_error(
    running: RunningPlatform,
) -> None:
    _, operator = await running.operator()

    huge = await operator.put("/admin/v1/prices/GB", json={"amount": "1e9999"})
    not_a_number = await operator.put("/admin/v1/prices/GB", json={"amount": "NaN"})
    largest = await operator.put("/admin/v1/prices/GB", json={"amount": "1000000000"})

    assert_refused(huge, "invalid_request", "amount")  # not a plain decimal (the schema)
    assert_refused(not_a_number, "invalid_request", "amount")
    assert largest.status_code == 200
    assert largest.json()["amount"] == "1000000000"


@pytest.mark.parametrize(
    ("method", "path", "body", "field"),
    [
        ("PUT", "/admin/v1/prices/default", {"amount": TOO_LARGE}, "amount"),
        ("PUT", "/admin/v1/channel_costs", {"channel": "sim", "amount": TOO_LARGE}, "amount"),
        ("PUT", "/admin/v1/accounts/{account}/limits", {"daily_spend": TOO_LARGE}, "daily_spend"),
        ("POST", "/admin/v1/accounts/{account}/top_ups", {"amount": TOO_LARGE}, "amount"),
        ("POST", "/admin/v1/accounts", {"name": "big", "balance": TOO_LARGE}, "balance"),
    ],
)
async def test_every_operator_amount_above_the_maximum_is_out_of_range(
    running: RunningPlatform, method: str, path: str, body: dict[str, str], field: str
) -> None:
    shop = await running.sender("shop")
    _, operator = await running.operator()

    response = await operator.request(method, path.format(account=shop.account_id), json=body)

    assert_refused(response, "amount_out_of_range", field)


async def test_a_senders_alert_threshold_above_the_maximum_is_out_of_range(
    running: RunningPlatform,
) -> None:
    shop = await running.sender("shop")

    response = await shop.client.post("/v1/balance/alerts", json={"threshold": "1000000000000"})

    assert_refused(response, "amount_out_of_range", "threshold")


async def test_a_top_up_past_the_maximum_balance_is_refused_and_changes_nothing(
    running: RunningPlatform,
) -> None:
    _, operator = await running.operator()
    created = await operator.post(
        "/admin/v1/accounts", json={"name": "rich", "balance": "999999999.5"}
    )
    account_id = created.json()["id"]
    top_ups = f"/admin/v1/accounts/{account_id}/top_ups"

    single = await operator.post(top_ups, json={"amount": "1000000000000000"})
    over = await operator.post(top_ups, json={"amount": "0.500001"})
    balance_after_refusals = (await operator.get(f"/admin/v1/accounts/{account_id}/balance")).json()
    exact = await operator.post(top_ups, json={"amount": "0.5"})
    totals = await running.storage.message_queries.account_ledger_totals(account_id)

    assert_refused(single, "amount_out_of_range", "amount")
    assert_refused(over, "amount_out_of_range", "amount")
    assert "0.5" in over.json()["error"]["message"]
    assert balance_after_refusals["available"] == "999999999.5"
    assert exact.status_code == 201
    assert exact.json()["available"] == "1000000000"
    assert (totals.balance_micros, totals.ledger_amount_micros) == (10**15, 10**15)


async def test_an_account_currency_must_be_an_iso_4217_code(running: RunningPlatform) -> None:
    _, operator = await running.operator()

    invented = await operator.post("/admin/v1/accounts", json={"name": "a", "currency": "ABC"})
    real = await operator.post("/admin/v1/accounts", json={"name": "b", "currency": "USD"})

    assert_refused(invented, "invalid_request", "currency")
    assert "ISO 4217" in invented.json()["error"]["message"]
    assert real.status_code == 201
    assert real.json()["currency"] == "USD"
