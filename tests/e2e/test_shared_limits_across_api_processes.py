"""Two API processes on one database (``serve`` with its API worker, and a second
``serve --role api`` on its own port, so each request goes where the test sends it): the
key's request rate, the daily threshold and its warning, idempotency and revocation hold
for the installation, not per process. On SQLite and on PostgreSQL."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import aiohttp
import pytest
from platform_process import ServeProcess, mobile_numbers, start_serve

pytestmark = pytest.mark.slow

CONFIG = """
[server]
host = "127.0.0.1"
port = 0

[database]
url = "sqlite:///./parcelsms.db"

[limits]
daily_messages = 10

[logging]
level = "warning"
"""
PARAMS = {"shop": "Acme", "tracking_number": "1Z999AA1", "carrier": "DHL", "eta": "2 Dec"}


@dataclass
class TwoApis:
    first: ServeProcess
    second: ServeProcess
    session: aiohttp.ClientSession
    key: str
    on_postgresql: bool

    @property
    def urls(self) -> tuple[str, str]:
        return (self.first.base_url, self.second.base_url)


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest) -> str:
    """A SQLite file beside the config, or a migrated database of the throwaway cluster."""
    if request.param == "postgresql":
        url: str = request.getfixturevalue("postgres_database_url")
        return url
    return "sqlite:///./parcelsms.db"


@pytest.fixture
async def apis(tmp_path: Path, database_url: str) -> AsyncIterator[TwoApis]:
    config = tmp_path / "parcelsms.toml"
    config.write_text(CONFIG.replace("sqlite:///./parcelsms.db", database_url))
    first = await start_serve(config, "--api-workers", "1", demo=True)
    second = await start_serve(config, "--role", "api")
    try:
        assert first.api_key is not None
        async with aiohttp.ClientSession() as session:
            yield TwoApis(
                first, second, session, first.api_key, database_url.startswith("postgresql")
            )
        assert first.error_lines() == []
        assert second.error_lines() == []
    finally:
        await second.stop()
        await first.stop()


def _bearer(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


async def _new_key(apis: TwoApis, **body: object) -> tuple[str, str]:
    async with apis.session.post(
        f"{apis.first.base_url}/v1/keys", json=body, headers=_bearer(apis.key)
    ) as response:
        assert response.status == 201, await response.text()
        created = await response.json()
    return created["id"], created["key"]


async def _send(apis: TwoApis, url: str, to: str, **headers: str) -> aiohttp.ClientResponse:
    payload = {"to": to, "template": "shipped", "language": "en", "params": PARAMS}
    async with apis.session.post(
        f"{url}/v1/messages", json=payload, headers=_bearer(apis.key) | headers
    ) as response:
        await response.read()
        return response


async def test_a_keys_request_rate_is_one_budget_for_both_processes(apis: TwoApis) -> None:
    _, key = await _new_key(apis, rate_limit={"per_second": 5, "burst": 10})

    async def ask(url: str) -> int:
        async with apis.session.get(f"{url}/v1/account", headers=_bearer(key)) as response:
            await response.read()
            return response.status

    started = time.monotonic()
    statuses = await asyncio.gather(*(ask(apis.urls[n % 2]) for n in range(60)))
    elapsed = time.monotonic() - started

    served = statuses.count(200)
    assert set(statuses) <= {200, 429}
    # One bucket: the burst, the rate over the time taken, and one slice (1 token at 5/s)
    # per process. Two buckets of their own would have served 20 at once.
    assert 10 <= served <= 10 + 5 * elapsed + 2, (served, elapsed)


async def test_the_daily_limit_counts_both_processes_and_warns_once(apis: TwoApis) -> None:
    numbers = mobile_numbers("GB", 16)
    responses = await asyncio.gather(
        *(_send(apis, apis.urls[n % 2], number) for n, number in enumerate(numbers))
    )

    statuses = [response.status for response in responses]
    assert statuses.count(202) == 10, statuses
    assert statuses.count(429) == 6, statuses
    refused = next(response for response in responses if response.status == 429)
    assert int(refused.headers["Retry-After"]) >= 1
    async with apis.session.get(
        f"{apis.second.base_url}/v1/notifications", headers=_bearer(apis.key)
    ) as response:
        notices = (await response.json())["data"]
    warnings = [notice for notice in notices if notice["kind"] == "account.threshold_warning"]
    assert len(warnings) == 1
    assert warnings[0]["data"]["used"] == 8


async def test_one_idempotency_key_sent_to_both_processes_at_once_makes_one_message(
    apis: TwoApis,
) -> None:
    (number,) = mobile_numbers("ES", 1)
    responses = await asyncio.gather(
        *(_send(apis, url, number, **{"Idempotency-Key": "order-77"}) for url in apis.urls * 3)
    )
    assert {response.status for response in responses} == {202}, [r.status for r in responses]
    async with apis.session.get(
        f"{apis.first.base_url}/v1/messages", headers=_bearer(apis.key)
    ) as response:
        stored = (await response.json())["data"]
    assert len(stored) == 1


async def test_a_key_revoked_through_one_process_is_refused_by_the_other_at_once(
    apis: TwoApis,
) -> None:
    key_id, key = await _new_key(apis)
    account_url = f"{apis.second.base_url}/v1/account"
    async with apis.session.get(account_url, headers=_bearer(key)) as response:
        assert response.status == 200  # the second process now has the key cached

    async with apis.session.delete(
        f"{apis.first.base_url}/v1/keys/{key_id}", headers=_bearer(apis.key)
    ) as response:
        assert response.status == 200, await response.text()
    revoked_at = time.monotonic()
    while True:
        async with apis.session.get(account_url, headers=_bearer(key)) as response:
            if response.status == 401:
                break
            assert response.status == 200
        # SQLite's change signal is read on the next request; PostgreSQL's NOTIFY reaches the
        # other process a moment after the commit (the issue asks for 100 ms).
        assert apis.on_postgresql, "the second process honoured a revoked key"
        assert time.monotonic() - revoked_at < 1.0, "the revocation did not arrive in 1 s"
