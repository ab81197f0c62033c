"""Chaos tests' platform: real SMPP channels to the project's carrier simulators, a real
SQLite file, a sender with money, and the counts every chaos test makes (lost 0, billed
twice 0)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from ledger_audit import audit_ledger
from secured_platform import RunningPlatform, Sender, running_platform


def channel_table(port: int, name: str = "carrier-a", **settings: Any) -> str:
    """A ``[[channels]]`` table for the simulator at ``port``; ``settings`` added as TOML."""
    lines = [
        "[[channels]]",
        f'name = "{name}"',
        'host = "127.0.0.1"',
        f"port = {port}",
        'system_id = "parcelsms"',
        'password = "secret"',
    ]
    for key, value in settings.items():
        lines.append(f"{key} = {value!r}".replace("'", '"'))
    return "\n".join(lines) + "\n"


def channel_config(port: int, **settings: Any) -> str:
    """One channel ``carrier-a`` (:func:`channel_table`) and no per-recipient limits."""
    # No per-recipient limits: the tests send hundreds of messages quickly.
    return (
        channel_table(port, **settings)
        + "[limits]\nrecipient_per_hour = 0\nrecipient_per_day = 0\n"
    )


@asynccontextmanager
async def platform_on(
    tmp_path: Path, port: int, extra: str = "", **settings: Any
) -> AsyncIterator[tuple[RunningPlatform, Sender]]:
    """The platform with one channel ``carrier-a`` to the simulator at ``port``."""
    async with platform_with(tmp_path, channel_config(port, **settings) + extra) as started:
        yield started


@asynccontextmanager
async def platform_with(
    tmp_path: Path, config: str
) -> AsyncIterator[tuple[RunningPlatform, Sender]]:
    """The platform with ``config`` (its channels) and a sender with plenty of money."""
    # The tests read every message back: no request rate limit on the key.
    security = "key_rate_limit = 100000.0\nkey_rate_burst = 1000000\n"
    async with running_platform(tmp_path, config, security=security) as platform:
        sender = await platform.sender("shop", balance_micros=1_000_000_000)
        yield platform, sender


async def send(sender: Sender, numbers: list[str]) -> list[str]:
    """Accept one message per number (batches of 500); their ids."""
    ids: list[str] = []
    for start in range(0, len(numbers), 500):
        items = [{"to": n, "params": {"tracking": "PX1"}} for n in numbers[start : start + 500]]
        response = await sender.client.post(
            "/v1/messages/batch", json={"template": "shipped", "messages": items}
        )
        assert response.status_code == 200, response.text
        results = response.json()["results"]
        assert all(result["status"] == "accepted" for result in results), results[:3]
        ids.extend(result["message"]["id"] for result in results)
    return ids


async def statuses(sender: Sender, ids: list[str]) -> dict[str, dict[str, Any]]:
    found = {}
    for message_id in ids:
        response = await sender.client.get(f"/v1/messages/{message_id}")
        assert response.status_code == 200
        found[message_id] = response.json()
    return found


def assert_money_exact(tmp_path: Path) -> None:
    double_billed, unbalanced = audit_ledger(tmp_path / "parcelsms.db")
    assert double_billed == []
    assert unbalanced == []
