"""A test number confirmed against the simulated carrier, through a started platform: the
code no phone receives is read from the simulator's log line, as docs/api.md says."""

from __future__ import annotations

import json
from pathlib import Path

import aiohttp
import pytest
from platform_process import start_serve

pytestmark = pytest.mark.slow

CONFIG = """
[server]
host = "127.0.0.1"
port = 0

[database]
url = "sqlite+aiosqlite:///./parcelsms.db"
"""


async def test_the_code_sent_to_a_test_number_appears_in_the_log_and_confirms_it(
    tmp_path: Path,
) -> None:
    config = tmp_path / "parcelsms.toml"
    config.write_text(CONFIG)
    serve = await start_serve(config, demo=True)
    try:
        headers = {"Authorization": f"Bearer {serve.api_key}"}
        async with aiohttp.ClientSession() as session:
            async with session.post(
                f"{serve.base_url}/v1/test_numbers",
                json={"number": "+44 7911 123456"},
                headers=headers,
            ) as response:
                assert response.status == 201, await response.text()
                number_id = (await response.json())["id"]

            found = await serve.wait_for_log(r"simulator received a verification code")
            line = json.loads(found.string)
            assert line["to"] == "44791****456"
            assert "447911123456" not in found.string

            async with session.post(
                f"{serve.base_url}/v1/test_numbers/{number_id}/confirm",
                json={"code": line["code"]},
                headers=headers,
            ) as response:
                assert response.status == 200, await response.text()
                assert (await response.json())["status"] == "verified"
    finally:
        await serve.stop()
