"""An in-process platform for the account and security suites.

``running_platform(tmp_path)`` builds the real composition root (``build_platform``: SQLite
file, embedded carrier simulator over loopback SMPP, dispatcher, send guards, test-number
flow) from a TOML configuration, starts its workers, and calls the API over ASGI with httpx.
Helpers create senders (with a key and an approved ``shipped`` template) and operator keys
the way an operator would.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from sender_accounts import TEST_ACTOR, new_api_key

from parcelsms.bootstrap import build_platform
from parcelsms.bootstrap.running_platform import Platform
from parcelsms.config import load_config
from parcelsms.pipeline.account_security_ports import KeySpec
from parcelsms.simulator.submit_log import SubmitRecord

PEPPER = "security-suite-pepper-0123456789"
ADMIN_TOKEN = "bootstrap-operator-token-0123456789abcdef"
SHIPPED = "Your parcel {tracking} has shipped."

FINAL = frozenset({"delivered", "undelivered", "expired", "rejected", "failed"})


@dataclass
class Sender:
    """A sender account with one key and a client using it."""

    account_id: str
    key: str
    key_id: str
    client: httpx.AsyncClient


@dataclass
class RunningPlatform:
    platform: Platform
    clients: list[httpx.AsyncClient] = field(default_factory=list)

    @property
    def storage(self) -> Any:
        return self.platform.storage

    def client(
        self, key: str | None = None, *, address: str = "127.0.0.1", **headers: str
    ) -> httpx.AsyncClient:
        """A client of the API as seen from ``address``, with ``key`` as Bearer when given."""
        all_headers = dict(headers)
        if key is not None:
            all_headers["Authorization"] = f"Bearer {key}"
        client = httpx.AsyncClient(
            transport=httpx.ASGITransport(app=self.platform.app, client=(address, 40000)),
            base_url="http://api.test",
            headers=all_headers,
        )
        self.clients.append(client)
        return client

    async def sender(
        self, name: str, *, verified: bool = True, balance_micros: int = 100_000_000
    ) -> Sender:
        """An account with an approved ``shipped`` template and a key of every sender scope."""
        profile = await self.storage.accounts.create_sender_account(
            name, balance_micros, "EUR", verified=verified, actor=TEST_ACTOR
        )
        account_id = profile.account.id
        template = await self.storage.content.create_template(account_id, "shipped", "en", SHIPPED)
        await self.storage.content.set_template_review(template.id, approved=True)
        key_id, key = await new_api_key(self.storage, account_id, f"{name} key")
        return Sender(account_id, key, key_id, self.client(key))

    async def key_for(self, account_id: str, spec: KeySpec) -> tuple[str, str]:
        created = await self.storage.accounts.create_key(account_id, spec, TEST_ACTOR)
        return created.record.id, created.plaintext

    async def operator(self) -> tuple[str, httpx.AsyncClient]:
        """An operator key (scope ``admin``) and a client using it."""
        operator = await self.storage.accounts.operator_account()
        key_id, key = await self.key_for(operator.id, KeySpec(scopes=("admin",)))
        return key_id, self.client(key)

    def submits_to(self, e164: str) -> list[SubmitRecord]:
        """What the simulated carrier received for ``e164``."""
        simulator = self.platform.simulator
        assert simulator is not None
        digits = e164.lstrip("+")
        return [record for record in simulator.submits if record.destination.lstrip("+") == digits]

    async def wait_for(self, predicate: Callable[[], Any], timeout: float = 10.0) -> None:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while not await _truthy(predicate()):
            if loop.time() > deadline:
                raise TimeoutError("condition not met")
            await asyncio.sleep(0.01)

    async def final_status(self, client: httpx.AsyncClient, message_id: str) -> str:
        """Wait until the message is final; its status."""
        status = ""

        async def done() -> bool:
            nonlocal status
            response = await client.get(f"/v1/messages/{message_id}")
            status = response.json()["status"]
            return status in FINAL

        await self.wait_for(done)
        return status


async def _truthy(value: Any) -> bool:
    if asyncio.iscoroutine(value):
        value = await value
    return bool(value)


@asynccontextmanager
async def running_platform(
    tmp_path: Path,
    extra_config: str = "",
    *,
    security: str = "",
    allow_private_targets: bool = True,
) -> AsyncIterator[RunningPlatform]:
    """The platform on ``tmp_path/parcelsms.db`` with the embedded simulator, started.

    ``security`` is added to the ``[security]`` table, ``extra_config`` after everything.
    Webhooks may go to private addresses (loopback receivers) unless told otherwise.
    """
    config = tmp_path / "parcelsms.toml"
    config.write_text(
        f"""
[database]
url = "sqlite+aiosqlite:///{tmp_path / "parcelsms.db"}"

[security]
pepper = "{PEPPER}"
admin_token = "{ADMIN_TOKEN}"
{security}

[webhooks]
allow_private_targets = {str(allow_private_targets).lower()}
{extra_config}
"""
    )
    settings = load_config(config, {})
    platform = await build_platform(settings, {})
    running = RunningPlatform(platform)
    try:
        await platform.start_workers()
        assert await platform.wait_channels_bound(10.0)
        yield running
    finally:
        for client in running.clients:
            await client.aclose()
        await platform.app.state.authenticator.drain()
        await platform.close()
