"""kill -9 in the middle of a load, restart, and count: nothing accepted is lost, nothing is
billed twice. The carrier simulator runs as its own process (a carrier does not crash with
us), so receipts for messages submitted before the crash are delivered after the restart."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import sqlite3
from pathlib import Path

import aiohttp
import pytest
from ledger_audit import audit_ledger
from platform_process import ServeProcess, message_statuses, mobile_numbers, start_serve
from simulator_process import start_simulator_process

pytestmark = pytest.mark.slow

SCENARIO = """
name = "crash"
seed = 5

[defaults]
outcomes = { DELIVRD = 0.8, UNDELIV = 0.2 }
receipt_delay = [0.2, 1.5]
"""

CONFIG = """
[server]
host = "127.0.0.1"
port = 0

[database]
url = "sqlite+aiosqlite:///./parcelsms.db"

[[channels]]
name = "carrier-a"
host = "127.0.0.1"
port = {port}
system_id = "parcelsms"
password = "secret"
window = 50
tps = 400

[logging]
level = "warning"
"""
FINAL = {"delivered", "undelivered", "expired", "rejected", "failed"}
PARAMS = {"shop": "Acme", "tracking_number": "1Z999AA1", "carrier": "DHL", "eta": "2 Dec"}


async def _send_until_killed(
    session: aiohttp.ClientSession,
    serve: ServeProcess,
    numbers: list[str],
    accepted: set[str],
    enough: asyncio.Event,
) -> None:
    headers = {"Authorization": f"Bearer {serve.api_key}"}
    for start in range(0, len(numbers), 50):
        payload = {
            "template": "shipped",
            "language": "en",
            "messages": [{"to": n, "params": PARAMS} for n in numbers[start : start + 50]],
        }
        try:
            async with session.post(
                f"{serve.base_url}/v1/messages/batch", json=payload, headers=headers
            ) as response:
                if response.status != 200:
                    return
                body = await response.json()
        except aiohttp.ClientError:
            return  # the server died under us: this batch got no answer, so it is not ours
        accepted.update(r["message"]["id"] for r in body["results"] if "message" in r)
        if len(accepted) >= 1000:
            enough.set()


def _assert_billed_once(database_path: Path) -> None:
    double_billed, unbalanced = audit_ledger(database_path)
    assert double_billed == []
    assert unbalanced == []


def _role_processes(supervisor: int) -> dict[str, list[int]]:
    """The role processes ``serve`` started, by role (from /proc: Linux only, as serve)."""
    found: dict[str, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            parent = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            command = (entry / "cmdline").read_bytes().split(b"\0")
        except (OSError, IndexError, ValueError):
            continue
        if parent == supervisor and b"--role" in command:
            role = command[command.index(b"--role") + 1].decode()
            found.setdefault(role, []).append(int(entry.name))
    return found


@pytest.mark.timeout(300)
async def test_killing_an_api_worker_and_the_pipeline_mid_load_loses_nothing_and_bills_once(
    tmp_path: Path,
) -> None:
    """``serve`` itself survives: it restarts the killed processes (an API worker, the
    pipeline, the webhook worker); the other API worker keeps answering. Every message
    answered 2xx reaches a final state, once billed."""
    scenario = tmp_path / "scenario.toml"
    scenario.write_text(SCENARIO)
    simulator, port = await start_simulator_process(scenario)
    config = tmp_path / "parcelsms.toml"
    config.write_text(CONFIG.replace("{port}", str(port)))
    numbers = mobile_numbers("ES", 1500) + mobile_numbers("US", 1500)
    accepted: set[str] = set()
    serve = await start_serve(config, "--api-workers", "2", "--webhook-workers", "1", demo=True)
    try:
        roles = _role_processes(serve.process.pid)
        assert len(roles.get("api", [])) == 2, roles
        assert len(roles.get("pipeline", [])) == 1, roles
        assert len(roles.get("webhooks", [])) == 1, roles
        async with aiohttp.ClientSession() as session:
            enough = asyncio.Event()
            refused_after_kill = 0

            async def send() -> None:
                nonlocal refused_after_kill
                for start in range(0, len(numbers), 25):
                    batch_accepted: set[str] = set()
                    try:
                        await _send_until_killed(
                            session, serve, numbers[start : start + 25], batch_accepted, enough
                        )
                    except aiohttp.ClientError:
                        refused_after_kill += 1
                    accepted.update(batch_accepted)
                    if len(accepted) >= 500:
                        enough.set()

            sending = asyncio.create_task(send())
            await enough.wait()
            os.kill(roles["api"][0], signal.SIGKILL)
            os.kill(roles["pipeline"][0], signal.SIGKILL)
            os.kill(roles["webhooks"][0], signal.SIGKILL)
            await sending
            # Most batches still went through the surviving worker (or a restarted one).
            assert len(accepted) >= 1500, (len(accepted), refused_after_kill)

            deadline = asyncio.get_running_loop().time() + 150
            while True:
                statuses = await message_statuses(session, serve)
                pending = [i for i in accepted if statuses.get(i) not in FINAL]
                if not pending or asyncio.get_running_loop().time() > deadline:
                    break
                await asyncio.sleep(0.5)
            lost = [i for i in accepted if i not in statuses]
            assert lost == []
            assert pending == [], (
                f"{len(pending)} accepted messages never reached a final state:\n"
                + "\n".join(serve.stderr_lines[-20:])
            )
            restarted = _role_processes(serve.process.pid)
            assert len(restarted.get("api", [])) == 2, restarted
            assert len(restarted.get("pipeline", [])) == 1, restarted
            assert roles["pipeline"][0] not in restarted["pipeline"]
            assert len(restarted.get("webhooks", [])) == 1, restarted
            assert roles["webhooks"][0] not in restarted["webhooks"]
        await serve.wait_for_log("a parcelsms process died; restarting it")
    finally:
        await serve.stop()
        with contextlib.suppress(ProcessLookupError):
            simulator.terminate()
        await simulator.wait()
    _assert_billed_once(tmp_path / "parcelsms.db")


async def test_kill_9_mid_load_loses_nothing_and_bills_once(tmp_path: Path) -> None:
    scenario = tmp_path / "scenario.toml"
    scenario.write_text(SCENARIO)
    simulator, port = await start_simulator_process(scenario)
    config = tmp_path / "parcelsms.toml"
    config.write_text(CONFIG.replace("{port}", str(port)))
    numbers = mobile_numbers("ES", 1500) + mobile_numbers("US", 1500)
    accepted: set[str] = set()
    serve = await start_serve(config, "--api-workers", "2", demo=True)
    second: ServeProcess | None = None
    try:
        api_key = serve.api_key
        assert api_key
        async with aiohttp.ClientSession() as session:
            enough = asyncio.Event()
            sending = asyncio.create_task(
                _send_until_killed(session, serve, numbers, accepted, enough)
            )
            await asyncio.wait(
                {sending, asyncio.create_task(enough.wait())},
                return_when=asyncio.FIRST_COMPLETED,
            )
            await serve.kill()
            await sending
            assert 1000 <= len(accepted) < len(numbers)

            second = await start_serve(config, "--api-workers", "2")
            second.api_key = api_key  # the demo key is printed only on the first start
            deadline = asyncio.get_running_loop().time() + 120
            while True:
                statuses = await message_statuses(session, second)
                pending = [i for i in accepted if statuses.get(i) not in FINAL]
                if not pending or asyncio.get_running_loop().time() > deadline:
                    break
                await asyncio.sleep(0.5)
        lost = [i for i in accepted if i not in statuses]
        assert lost == []
        assert pending == [], f"{len(pending)} accepted messages never reached a final state"
    finally:
        if second is not None:
            await second.stop()
        with contextlib.suppress(ProcessLookupError):
            simulator.terminate()
        await simulator.wait()

    _assert_billed_once(tmp_path / "parcelsms.db")
    database = sqlite3.connect(tmp_path / "parcelsms.db")
    try:
        flagged = database.execute(
            "SELECT COUNT(*) FROM messages WHERE flags LIKE '%resent_after_crash%'"
        ).fetchone()[0]
    finally:
        database.close()
    # How many were claimed at the moment of the crash and resent by policy (for the log).
    print(f"accepted={len(accepted)} resent_after_crash={flagged}")
    assert second is not None
    assert second.error_lines() == []
