"""Two pipeline processes on one PostgreSQL database, two channels to two carrier simulators:
each pipeline binds the channel it leases; one killed (kill -9) or stopped, the other takes
its channel over and delivers the rest — nothing lost, nothing billed twice, the dead
node's claims resolved by policy and flagged.

``serve`` (its own API and pipeline) is one node; ``serve --role pipeline`` alone is the
other. Takeover times are printed (``-s``) for the record: the figures of the note."""

from __future__ import annotations

import contextlib
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import aiohttp
import pytest
from channel_lease_peek import lease_holders, until
from database_peek import peek
from ledger_audit import double_billed_messages, unbalanced_accounts
from platform_process import ServeProcess, mobile_numbers, start_pipeline, start_serve
from simulator_process import start_simulator_process

pytestmark = [pytest.mark.slow, pytest.mark.postgres]

SCENARIO = """
name = "nodes"
seed = 16

[defaults]
outcomes = { DELIVRD = 1 }
receipt_delay = [0.5, 1.5]
"""

CHANNEL = """
[[channels]]
name = "{name}"
host = "127.0.0.1"
port = {port}
system_id = "parcelsms"
password = "secret"
window = 20
tps = 150
"""

CONFIG = """
[server]
host = "127.0.0.1"
port = 0

[database]
url = "{url}"

{channels}

[[routes]]
channels = ["carrier-b"]

[[routes]]
countries = ["ES"]
channels = ["carrier-a"]

[cluster]
takeover_seconds = {takeover}

[logging]
level = "info"
"""
FINAL = ("delivered", "undelivered", "expired", "rejected", "failed")
PARAMS = {"shop": "Acme", "tracking_number": "1Z999AA1", "carrier": "DHL", "eta": "2 Dec"}


@dataclass
class Cluster:
    url: str
    serve: ServeProcess
    """``serve``: the API and the first pipeline node."""
    other: ServeProcess
    """The second pipeline node (``serve --role pipeline``)."""
    takeover: float


@contextlib.asynccontextmanager
async def two_nodes(tmp_path: Path, url: str, takeover: float) -> AsyncIterator[Cluster]:
    (tmp_path / "scenario.toml").write_text(SCENARIO)
    simulators = [await start_simulator_process(tmp_path / "scenario.toml") for _ in range(2)]
    channels = "".join(
        CHANNEL.format(name=name, port=port)
        for name, (_, port) in zip(("carrier-a", "carrier-b"), simulators, strict=True)
    )
    config = tmp_path / "parcelsms.toml"
    config.write_text(CONFIG.format(url=url, channels=channels, takeover=takeover))
    serve = await start_serve(config, "--api-workers", "1", "--webhook-workers", "0", demo=True)
    other: ServeProcess | None = None
    try:
        other = await start_pipeline(config)
        pid = other.process.pid
        # The first node, alone at first, gives one channel up to the newcomer.
        await until(
            lambda: (
                len(set(lease_holders(url).values())) == 2 and pid in lease_holders(url).values()
            ),
            takeover * 3,
            "each pipeline holds one channel",
        )
        yield Cluster(url, serve, other, takeover)
        assert serve.error_lines() == []
        assert other.error_lines() == []
        assert any("channel lease acquired" in line for line in serve.stderr_lines)
    finally:
        if other is not None:
            await other.stop()
        await serve.stop()
        for process, _ in simulators:
            with contextlib.suppress(ProcessLookupError):
                process.terminate()
            await process.wait()


async def send(cluster: Cluster, count: int) -> list[str]:
    """``count`` messages to Spain (carrier-a) and as many to the US (carrier-b)."""
    headers = {"Authorization": f"Bearer {cluster.serve.api_key}"}
    numbers = mobile_numbers("ES", count) + mobile_numbers("US", count)
    accepted: list[str] = []
    async with aiohttp.ClientSession() as session:
        for start in range(0, len(numbers), 100):
            payload = {
                "template": "shipped",
                "language": "en",
                "messages": [{"to": n, "params": PARAMS} for n in numbers[start : start + 100]],
            }
            async with session.post(
                f"{cluster.serve.base_url}/v1/messages/batch", json=payload, headers=headers
            ) as response:
                assert response.status == 200, await response.text()
                body = await response.json()
            accepted += [r["message"]["id"] for r in body["results"] if "message" in r]
    assert len(accepted) == 2 * count
    return accepted


def count_where(url: str, condition: str) -> int:
    with peek(url) as db:
        row = db.execute(f"SELECT COUNT(*) FROM messages WHERE {condition}").fetchone()  # noqa: S608 - constant conditions of this module
    return int(row[0])


def flags_of_recovered(url: str) -> list[list[str]]:
    """The flags of the messages recovery resolved (an event ``{"recovered": ...}``)."""
    with peek(url) as db:
        rows = db.execute(
            "SELECT m.flags FROM messages m WHERE EXISTS (SELECT 1 FROM message_events e "
            "WHERE e.message_id = m.id AND e.detail::text LIKE '%recovered%')"
        ).fetchall()
    return [row[0] if isinstance(row[0], list) else json.loads(row[0]) for row in rows]


def assert_billed_once(url: str) -> None:
    with peek(url) as db:
        assert double_billed_messages(db) == []  # type: ignore[arg-type]
        assert unbalanced_accounts(db) == []  # type: ignore[arg-type]


@pytest.mark.timeout(300)
async def test_a_killed_pipelines_channel_is_taken_over_and_nothing_is_lost_or_billed_twice(
    tmp_path: Path, postgres_database_url: str
) -> None:
    async with two_nodes(tmp_path, postgres_database_url, takeover=3) as cluster:
        url = cluster.url
        theirs = next(
            c for c, pid in lease_holders(url).items() if pid == cluster.other.process.pid
        )
        accepted = await send(cluster, 400)
        # Mid-load: both channels have sent some, and messages are still being submitted.
        await until(
            lambda: count_where(url, "status <> 'queued'") >= 200, 60, "200 messages submitted"
        )
        assert count_where(url, "status = 'queued'") > 0
        await cluster.other.kill()
        taken = await until(
            lambda: lease_holders(url).get(theirs) not in (None, cluster.other.process.pid),
            cluster.takeover * 3 + 10,
            f"{theirs} taken over",
        )
        print(f"\ntakeover after kill -9: {taken:.2f} s (takeover_seconds = {cluster.takeover})")
        # The lease can only be taken once expired: within takeover plus a heartbeat.
        assert taken <= cluster.takeover + 5
        await until(
            lambda: count_where(url, f"status NOT IN {FINAL}") == 0, 150, "every message final"
        )
        assert count_where(url, "status = 'delivered'") == len(accepted)  # lost: 0
        recovered = flags_of_recovered(url)
        assert recovered, "the dead node left claims behind"
        assert all("duplicate_possible" in f and "resent_after_crash" in f for f in recovered)
        # Receipts of the parts the dead node submitted came on the survivor's bind and were
        # correlated there; the only ones left waiting are those of the first copies of the
        # resent messages (their submission died with the node: no part to match).
        with peek(url) as db:
            waiting = db.execute("SELECT COUNT(*) FROM pending_receipts").fetchone()[0]
            unmatched = db.execute("SELECT COUNT(*) FROM unmatched_receipts").fetchone()[0]
        assert waiting + unmatched <= len(recovered)
    assert_billed_once(postgres_database_url)


@pytest.mark.timeout(300)
async def test_a_stopped_pipeline_hands_its_channel_over_without_waiting_for_expiry(
    tmp_path: Path, postgres_database_url: str
) -> None:
    takeover = 9.0  # a heartbeat every 3 s: an expiry would take 6 s or more after the stop
    async with two_nodes(tmp_path, postgres_database_url, takeover=takeover) as cluster:
        url = cluster.url
        pid = cluster.other.process.pid
        theirs = next(c for c, holder in lease_holders(url).items() if holder == pid)
        assert await cluster.other.stop() == 0
        with peek(url) as db:  # gone at once: no lease, no node row
            leases = db.execute(
                "SELECT channel FROM channel_leases l JOIN pipeline_nodes n "
                "ON n.node_id = l.node_id WHERE n.pid = ?",
                [pid],
            ).fetchall()
            nodes = db.execute("SELECT COUNT(*) FROM pipeline_nodes WHERE pid = ?", [pid])
            assert (leases, nodes.fetchone()[0]) == ([], 0)
        taken = await until(
            lambda: lease_holders(url).get(theirs) is not None, takeover, f"{theirs} taken over"
        )
        print(f"\ntakeover after a graceful stop: {taken:.2f} s (takeover_seconds = {takeover})")
        assert taken < takeover / 5 + 2  # the next heartbeat, not the expiry
        accepted = await send(cluster, 50)
        await until(
            lambda: count_where(url, f"status NOT IN {FINAL}") == 0, 60, "every message final"
        )
        assert count_where(url, "status = 'delivered'") == len(accepted)
