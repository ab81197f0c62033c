"""Routes on the real platform: ``parcelsms serve`` (two API processes and the pipeline) with
two carrier simulators as processes of their own. The configuration file sends Spain to
carrier B and the rest to carrier A; then the operator adds a route through the admin API
for one US prefix to B, and every API process applies it to the next message."""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3
from pathlib import Path

import aiohttp
import pytest
from platform_process import mobile_numbers, start_serve
from simulator_process import start_simulator_process

pytestmark = pytest.mark.slow

SCENARIO = """
name = "routes"
seed = 7

[defaults]
outcomes = { DELIVRD = 1.0 }
receipt_delay = [0.05, 0.2]
"""
ADMIN_TOKEN = "routes-e2e-operator-token-0123456789abcdef"
CONFIG = """
[server]
host = "127.0.0.1"
port = 0

[database]
url = "sqlite+aiosqlite:///./parcelsms.db"

[security]
admin_token = "{admin_token}"

[[channels]]
name = "carrier-a"
host = "127.0.0.1"
port = {port_a}
system_id = "parcelsms"
password = "secret"

[[channels]]
name = "carrier-b"
host = "127.0.0.1"
port = {port_b}
system_id = "parcelsms"
password = "secret"

[[routes]]
countries = ["*"]
channels = ["carrier-a"]

[[routes]]
countries = ["ES"]
channels = ["carrier-b", "carrier-a"]

[logging]
level = "warning"
"""
PARAMS = {"shop": "Acme", "tracking_number": "1Z999AA1", "carrier": "DHL", "eta": "2 Dec"}
FINAL = {"delivered", "undelivered", "expired", "rejected", "failed"}


async def _send(
    session: aiohttp.ClientSession, base_url: str, key: str, numbers: list[str]
) -> list[str]:
    """Each number sent on its own request (so they spread over both API processes)."""
    ids = []
    for number in numbers:
        async with session.post(
            f"{base_url}/v1/messages",
            json={"to": number, "template": "shipped", "language": "en", "params": PARAMS},
            headers={"Authorization": f"Bearer {key}"},
        ) as response:
            body = await response.json()
            assert response.status == 202, body
            ids.append(body["id"])
    return ids


async def _until_both_channels_plan_as_up(
    session: aiohttp.ClientSession, base_url: str, spain: str
) -> None:
    """Until the API processes plan with both channels up.

    Each API process plans with the channel health the pipeline last published, read at most
    once a second. Right after start carrier-b may still be binding, and a plan made then
    puts it last (Spain would go out through carrier-a, as it should when B is down). Ten
    answers in a row, each on a new connection, reach both processes.
    """
    deadline = asyncio.get_running_loop().time() + 30
    in_a_row = 0
    while in_a_row < 10:
        async with session.get(
            f"{base_url}/admin/v1/routes/explain",
            params={"to": spain},
            headers={"Authorization": f"Bearer {ADMIN_TOKEN}"},
        ) as response:
            body = await response.json()
            assert response.status == 200, body
        plan = [(entry["channel"], entry["down"]) for entry in body["plan"]]
        in_a_row = in_a_row + 1 if plan == [("carrier-b", False), ("carrier-a", False)] else 0
        assert asyncio.get_running_loop().time() < deadline, plan
        if in_a_row == 0:
            await asyncio.sleep(0.2)


def _channels(database: Path, ids: list[str]) -> dict[str, tuple[str, str | None]]:
    connection = sqlite3.connect(database)
    try:
        rows = connection.execute("SELECT id, status, channel FROM messages").fetchall()
    finally:
        connection.close()
    wanted = set(ids)
    return {row[0]: (row[1], row[2]) for row in rows if row[0] in wanted}


@pytest.mark.timeout(240)
async def test_a_route_sends_its_country_and_prefix_to_carrier_b_and_the_rest_to_a(
    tmp_path: Path,
) -> None:
    scenario = tmp_path / "scenario.toml"
    scenario.write_text(SCENARIO)
    simulator_a, port_a = await start_simulator_process(scenario)
    simulator_b, port_b = await start_simulator_process(scenario)
    config = tmp_path / "parcelsms.toml"
    config.write_text(
        CONFIG.replace("{port_a}", str(port_a))
        .replace("{port_b}", str(port_b))
        .replace("{admin_token}", ADMIN_TOKEN)
    )
    spain = mobile_numbers("ES", 10)
    germany = mobile_numbers("DE", 10)
    united_states = mobile_numbers("US", 20)
    prefix = united_states[0][:5]  # +1201: every number of the list starts with it
    assert all(number.startswith(prefix) for number in united_states)
    serve = await start_serve(config, "--api-workers", "2", demo=True)
    try:
        assert serve.api_key
        # A connection per request: the kernel spreads them over both API processes.
        connector = aiohttp.TCPConnector(force_close=True)
        async with aiohttp.ClientSession(connector=connector) as session:
            await _until_both_channels_plan_as_up(session, serve.base_url, spain[0])
            before = await _send(session, serve.base_url, serve.api_key, united_states[:10])
            async with session.post(
                f"{serve.base_url}/admin/v1/routes",
                json={"countries": ["US"], "prefixes": [prefix], "channels": ["carrier-b"]},
                headers={"Authorization": f"Bearer {ADMIN_TOKEN}"},
            ) as created:
                assert created.status == 201, await created.text()
            after = await _send(session, serve.base_url, serve.api_key, united_states[10:])
            file_routed = await _send(session, serve.base_url, serve.api_key, spain + germany)
            every = before + after + file_routed

            deadline = asyncio.get_running_loop().time() + 90
            while True:
                found = _channels(tmp_path / "parcelsms.db", every)
                if all(found[i][0] in FINAL for i in every):
                    break
                assert asyncio.get_running_loop().time() < deadline, found
                await asyncio.sleep(0.3)
        assert {found[i] for i in file_routed[:10]} == {("delivered", "carrier-b")}  # Spain
        assert {found[i] for i in file_routed[10:]} == {("delivered", "carrier-a")}  # Germany
        assert {found[i] for i in before} == {("delivered", "carrier-a")}
        # The route created through one API process is applied by both, at once.
        assert {found[i] for i in after} == {("delivered", "carrier-b")}
        assert serve.error_lines() == []
    finally:
        await serve.stop()
        for simulator in (simulator_a, simulator_b):
            with contextlib.suppress(ProcessLookupError):
                simulator.terminate()
            await simulator.wait()
