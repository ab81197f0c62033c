"""Chaos over real TCP: two carrier simulators, A acknowledging every submit but failing one
country (UNDELIV receipts, or no receipt at all), B delivering everything. Messages to that
country go on through B; the others stay on A. Counted: lost 0, billed twice 0, duplicates
on one channel 0, and exactly one final webhook per message."""

from __future__ import annotations

import json
import sqlite3
from collections import Counter
from contextlib import closing
from pathlib import Path
from typing import Any

import pytest
from channel_chaos import assert_money_exact, channel_table, platform_with, send, statuses
from platform_process import mobile_numbers
from secured_platform import FINAL, RunningPlatform, Sender
from webhook_receiver import WebhookReceiver

from parcelsms.simulator import parse_scenario
from parcelsms.simulator.carrier import CarrierSimulator
from parcelsms.testing import started_simulator

BRAZIL = mobile_numbers("BR", 60)
BRITAIN = mobile_numbers("GB", 60)
# Receipts for Brazil that come long after the test is over: a carrier gone silent.
SILENT_FOR_BRAZIL = parse_scenario(
    {
        "defaults": {"outcomes": {"DELIVRD": 1}, "receipt_delay": 0.05},
        "rules": [{"prefix": "55", "receipt_delay": 600.0}],
    }
)


def two_channels(port_a: int, port_b: int, rule: str) -> str:
    """carrier-a (with ``rule`` as its receipt failover rule) before carrier-b."""
    return (
        channel_table(port_a, "carrier-a")
        + "[[channels.receipt_failover]]\n"
        + rule
        + channel_table(port_b, "carrier-b")
        + "[limits]\nrecipient_per_hour = 0\nrecipient_per_day = 0\n"
    )


async def all_final(sender: Sender, ids: list[str]) -> bool:
    found = await statuses(sender, ids)
    return all(body["status"] in FINAL for body in found.values())


def accepted_destinations(simulator: CarrierSimulator) -> Counter[str]:
    return Counter(r.destination for r in simulator.submits if r.command_status == 0)


def final_webhooks(tmp_path: Path) -> Counter[str]:
    """How many final-status webhooks the outbox holds for each message."""
    with closing(sqlite3.connect(tmp_path / "parcelsms.db")) as database:
        rows = database.execute(
            "SELECT message_id, payload FROM webhook_outbox WHERE message_id IS NOT NULL"
        ).fetchall()
    return Counter(
        message_id for message_id, payload in rows if json.loads(payload)["data"]["status"] in FINAL
    )


async def run_two_carriers(
    tmp_path: Path, scenario_a: Any, rule: str
) -> tuple[dict[str, dict[str, Any]], Counter[str], Counter[str], Counter[str]]:
    """Send to Brazil and Britain through A then B until every message is final; the
    messages, what A and B accepted (by destination) and the final webhooks per message."""
    receiver = WebhookReceiver()
    await receiver.start()
    try:
        async with (
            started_simulator(scenario_a) as carrier_a,
            started_simulator("happy") as carrier_b,
        ):
            config = two_channels(carrier_a.port, carrier_b.port, rule)
            async with platform_with(tmp_path, config) as (platform, sender):
                await _subscribe(platform, sender, receiver.url)
                ids = await send(sender, BRAZIL + BRITAIN)
                await platform.wait_for(lambda: all_final(sender, ids), timeout=60)
                found = await statuses(sender, ids)
                on_a = accepted_destinations(carrier_a)
                on_b = accepted_destinations(carrier_b)
            assert_money_exact(tmp_path)
    finally:
        await receiver.close()
    return found, on_a, on_b, final_webhooks(tmp_path)


async def _subscribe(platform: RunningPlatform, sender: Sender, url: str) -> None:
    await platform.storage.webhook_endpoints.set_webhook_endpoint(
        sender.account_id, url, "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
    )


def assert_counted(
    found: dict[str, dict[str, Any]],
    on_a: Counter[str],
    on_b: Counter[str],
    finals: Counter[str],
) -> None:
    brazil = {n.lstrip("+") for n in BRAZIL}
    britain = {n.lstrip("+") for n in BRITAIN}
    # Lost 0: every message delivered.
    assert {body["status"] for body in found.values()} == {"delivered"}
    # Duplicates on one channel 0: each number reached each carrier at most once.
    assert max(on_a.values()) == 1
    assert max(on_b.values()) == 1
    # Brazil went through A, then B; Britain through A only.
    assert set(on_a) == brazil | britain
    assert set(on_b) == brazil
    # One final webhook per message.
    assert set(finals) == set(found)
    assert set(finals.values()) == {1}
    for body in found.values():
        if body["to"].lstrip("+") in brazil:
            assert "receipt_failover" in body["flags"]
        else:
            assert "receipt_failover" not in body["flags"]


@pytest.mark.slow
@pytest.mark.timeout(120)
async def test_messages_a_carrier_fails_for_one_country_are_delivered_through_the_next(
    tmp_path: Path,
) -> None:
    found, on_a, on_b, finals = await run_two_carriers(
        tmp_path, "undeliverable_br", 'states = ["UNDELIV"]\ncountries = ["BR"]\n'
    )
    assert_counted(found, on_a, on_b, finals)


@pytest.mark.slow
@pytest.mark.timeout(120)
async def test_messages_without_a_receipt_in_time_are_delivered_through_the_next_carrier(
    tmp_path: Path,
) -> None:
    found, on_a, on_b, finals = await run_two_carriers(
        tmp_path, SILENT_FOR_BRAZIL, 'states = []\ncountries = ["BR"]\nno_receipt_after = "2s"\n'
    )
    assert_counted(found, on_a, on_b, finals)
    # The silent carrier may still deliver them: the sender is told a duplicate is possible.
    brazil = {n.lstrip("+") for n in BRAZIL}
    assert all(
        body["duplicate_possible"] for body in found.values() if body["to"].lstrip("+") in brazil
    )
