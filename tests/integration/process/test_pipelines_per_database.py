"""How many pipeline processes one database takes: SQLite one (a second is refused), PostgreSQL
any number, each binding the channels it leases (real platforms in this process, real
simulators, a real database)."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from parcelsms.adapters.process.wake_socket import PipelineAlreadyRunning
from parcelsms.bootstrap import Platform, Role, build_platform
from parcelsms.config import load_config
from parcelsms.simulator.behaviours import resolve_scenario
from parcelsms.simulator.carrier import CarrierSimulator

CONFIG = """
[database]
url = "{url}"

[security]
pepper = "pipelines-per-database"

[cluster]
takeover_seconds = 3
{channels}
"""
CHANNEL = """
[[channels]]
name = "{name}"
host = "127.0.0.1"
port = {port}
system_id = "parcelsms"
password = "secret"
"""


async def pipeline(tmp_path: Path, url: str, channels: str = "") -> Platform:
    config = tmp_path / "parcelsms.toml"
    config.write_text(CONFIG.format(url=url, channels=channels))
    return await build_platform(load_config(config, {}), {}, Role.PIPELINE)


async def test_a_second_pipeline_on_one_sqlite_database_is_refused(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'parcelsms.db'}"
    first = await pipeline(tmp_path, url)
    second = await pipeline(tmp_path, url)
    try:
        await first.start_workers()
        with pytest.raises(PipelineAlreadyRunning):
            await second.start_workers()
    finally:
        await second.close()
        await first.close()


@pytest.mark.postgres
async def test_two_pipelines_on_postgresql_each_bind_one_of_two_channels(
    tmp_path: Path, postgres_database_url: str
) -> None:
    carriers = [CarrierSimulator(resolve_scenario("happy")) for _ in range(2)]
    ports = [await carrier.start("127.0.0.1", 0) for carrier in carriers]
    channels = "".join(
        CHANNEL.format(name=name, port=port)
        for name, port in zip(("carrier-a", "carrier-b"), ports, strict=True)
    )
    nodes = [await pipeline(tmp_path, postgres_database_url, channels) for _ in range(2)]
    try:
        # Started together: both register before either takes a channel.
        await asyncio.gather(*(node.start_workers() for node in nodes))
        assert all(await asyncio.gather(*(node.wait_channels_bound(10) for node in nodes)))
        states = [node.pipeline.channel_states() for node in nodes if node.pipeline]
        assert sorted(name for state in states for name in state) == ["carrier-a", "carrier-b"]
        assert [len(state) for state in states] == [1, 1]
        # Each carrier sees one bind: the other node's copy of the channel stays unbound.
        assert [carrier.bind_count() for carrier in carriers] == [1, 1]
    finally:
        for node in nodes:
            await node.close()
        for carrier in carriers:
            await carrier.close()
