"""The first starts of ``parcelsms serve`` as an operator meets them: no demo key unless
asked for, the port bound before anything is created, private data files, and a hint on
every later start."""

from __future__ import annotations

import asyncio
import os
import socket
import sqlite3
import stat
from collections.abc import Iterator
from contextlib import closing
from pathlib import Path

import aiohttp
import pytest
from platform_process import serve_command, start_serve

pytestmark = pytest.mark.slow

CONFIG = """
[server]
host = "127.0.0.1"
port = {port}

[database]
url = "sqlite+aiosqlite:///{database}"
"""


def _config(tmp_path: Path, *, port: int = 0, database: str = "./parcelsms.db") -> Path:
    path = tmp_path / "parcelsms.toml"
    path.write_text(CONFIG.format(port=port, database=database))
    return path


def _account_names(database: Path) -> list[str]:
    with closing(sqlite3.connect(database)) as connection:
        return [row[0] for row in connection.execute("SELECT name FROM accounts")]


@pytest.fixture
def occupied_port() -> Iterator[int]:
    """A port on 127.0.0.1 that something else listens on."""
    with socket.socket() as other:
        other.bind(("127.0.0.1", 0))
        other.listen()
        yield other.getsockname()[1]


async def test_a_plain_serve_on_an_empty_database_creates_no_account_and_says_how_to(
    tmp_path: Path,
) -> None:
    serve = await start_serve(_config(tmp_path))
    try:
        output = "\n".join(serve.stdout_lines)
        assert serve.api_key is None
        assert "No sender account yet" in output
        assert "parcelsms accounts create NAME --verified --balance 100 --config " in output
        assert "parcelsms keys create NAME" in output
        assert "psk_" not in output + "\n".join(serve.stderr_lines)
    finally:
        await serve.stop()
    assert "demo" not in _account_names(tmp_path / "parcelsms.db")


async def test_the_demo_key_reaches_the_demo_account_only_and_later_starts_say_how_to_get_another(
    tmp_path: Path,
) -> None:
    config = _config(tmp_path)
    first = await start_serve(config, demo=True)
    try:
        assert first.api_key, first.stdout_lines
        headers = {"Authorization": f"Bearer {first.api_key}"}
        async with aiohttp.ClientSession() as session:
            async with session.get(f"{first.base_url}/v1/account", headers=headers) as response:
                assert response.status == 200, await response.text()
                assert (await response.json())["name"] == "demo"
            async with session.get(
                f"{first.base_url}/admin/v1/accounts", headers=headers
            ) as response:
                assert response.status == 403, await response.text()
    finally:
        await first.stop()

    for demo in (True, False):
        later = await start_serve(config, demo=demo)
        try:
            output = "\n".join(later.stdout_lines)
            assert later.api_key is None
            assert "Demo account: its key was shown when it was created" in output
            assert f"parcelsms keys create demo --config {config}" in output
        finally:
            await later.stop()


async def test_a_port_in_use_stops_the_start_before_a_demo_key_could_be_lost(
    tmp_path: Path, occupied_port: int
) -> None:
    config = _config(tmp_path, port=occupied_port)
    process = await asyncio.create_subprocess_exec(
        *serve_command(config, demo=True),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        cwd=tmp_path,
    )
    stdout, stderr = await asyncio.wait_for(process.communicate(), 60)
    assert process.returncode == 1
    error = stderr.decode()
    assert f"cannot listen on 127.0.0.1:{occupied_port}" in error
    assert "--port" in error
    assert "Demo API key" not in stdout.decode()

    # --port overrides the configured port, and the demo is created now, on this start.
    serve = await start_serve(config, "--port", "0", demo=True)
    try:
        assert serve.api_key, serve.stdout_lines
        assert not serve.base_url.endswith(f":{occupied_port}")
    finally:
        await serve.stop()


async def test_the_database_its_wal_and_shm_files_and_its_new_directory_are_owner_only(
    tmp_path: Path,
) -> None:
    directory = tmp_path / "data"
    database = directory / "parcelsms.db"
    serve = await start_serve(_config(tmp_path, database=str(database)), demo=True)
    try:
        # The demo seed has committed through the writer: the WAL and its index exist.
        modes = {
            path.name: stat.S_IMODE(os.stat(path).st_mode)
            for path in (
                database,
                database.with_name("parcelsms.db-wal"),
                database.with_name("parcelsms.db-shm"),
                directory / "parcelsms.pepper",
            )
        }
    finally:
        await serve.stop()
    assert modes == {
        "parcelsms.db": 0o600,
        "parcelsms.db-wal": 0o600,
        "parcelsms.db-shm": 0o600,
        "parcelsms.pepper": 0o600,
    }
    assert stat.S_IMODE(os.stat(directory).st_mode) == 0o700
