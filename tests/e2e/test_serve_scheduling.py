"""Every process ``parcelsms serve`` starts runs its event loop as ``SCHED_BATCH`` and its
database writer under the normal policy, so that on a busy machine the thread holding the
write turn gets a core first (adapters/process/thread_scheduling.py). Read from ``/proc``, as
an operator would see it (``ps -eLo pid,tid,class``: B and TS)."""

from __future__ import annotations

import sys
from pathlib import Path

import aiohttp
import pytest
from platform_process import mobile_numbers, start_serve

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not sys.platform.startswith("linux"), reason="/proc and SCHED_BATCH"),
]

CONFIG = """
[server]
host = "127.0.0.1"
port = 0

[database]
url = "sqlite:///./parcelsms.db"
"""

SCHED_OTHER, SCHED_BATCH = 0, 3


def _policy(pid: int, tid: int) -> int:
    """The scheduling policy of thread ``tid``: field 41 of its stat line."""
    stat = Path(f"/proc/{pid}/task/{tid}/stat").read_text()
    return int(stat.rsplit(")", 1)[1].split()[38])


def _threads(pid: int) -> list[int]:
    return sorted(int(entry.name) for entry in Path(f"/proc/{pid}/task").iterdir())


def _children(pid: int) -> list[int]:
    found: list[int] = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        children = (task / "children").read_text().split()
        found.extend(int(child) for child in children)
    return found


def _role(pid: int) -> str:
    arguments = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    if b"--role" in arguments:
        return arguments[arguments.index(b"--role") + 1].decode()
    return "?"


async def test_event_loops_run_as_batch_and_the_writers_do_not(tmp_path: Path) -> None:
    config = tmp_path / "parcelsms.toml"
    config.write_text(CONFIG)
    serve = await start_serve(config, "--api-workers", "2", "--webhook-workers", "1", demo=True)
    try:
        headers = {"Authorization": f"Bearer {serve.api_key}"}
        async with aiohttp.ClientSession() as session:
            # Each API process that answers writes: its writer thread exists.
            for number in mobile_numbers("GB", 4):
                async with session.post(
                    f"{serve.base_url}/v1/messages",
                    json={
                        "to": number,
                        "template": "delivered",
                        "language": "en",
                        "params": {"shop": "Acme", "tracking_number": "1Z999AA4"},
                    },
                    headers=headers,
                ) as response:
                    assert response.status in (201, 202), await response.text()
        supervisor = serve.process.pid
        processes = {child: _role(child) for child in _children(supervisor)}
        assert sorted(processes.values()) == ["api", "api", "pipeline", "webhooks"]
        assert _policy(supervisor, supervisor) == SCHED_BATCH
        for pid, role in processes.items():
            policies = [_policy(pid, tid) for tid in _threads(pid)]
            assert _policy(pid, pid) == SCHED_BATCH, role
            if role == "pipeline":
                # Its writer wrote at start (migrations, seeds): exactly one normal thread.
                assert policies.count(SCHED_OTHER) == 1, (role, policies)
            else:
                assert policies.count(SCHED_OTHER) <= 1, (role, policies)
    finally:
        await serve.stop()
