"""Fixtures for the billing suite: a real SQLite storage with a clock the test moves."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import msgspec
import pytest
from billing_storage import Clock, message

from parcelsms.adapters.storage.sql_storage import SqlStorage, open_storage
from parcelsms.pipeline.message_ports import NewMessage
from parcelsms.pipeline.webhook_policy import StatusWebhookPolicy
from parcelsms.pipeline.webhook_ports import WebhookEvent


def _payload(event: WebhookEvent) -> str:
    return msgspec.json.encode(event).decode()


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def database_path(tmp_path: Path) -> Path:
    return tmp_path / "parcelsms.db"


OpenStorage = Callable[..., Any]


@pytest.fixture
async def open_billing_storage(database_path: Path, clock: Clock) -> AsyncIterator[OpenStorage]:
    """Opens storages on the test's database file; closes them at the end."""
    opened: list[SqlStorage] = []

    async def factory(**options: Any) -> SqlStorage:
        options.setdefault("webhook_policy", StatusWebhookPolicy(_payload))
        options.setdefault("pepper", b"billing-pepper")
        options.setdefault("clock", clock)
        storage = await open_storage(f"sqlite:///{database_path}", **options)
        opened.append(storage)
        return storage

    yield factory
    for storage in opened:
        await storage.close()


@pytest.fixture
async def storage(open_billing_storage: OpenStorage) -> SqlStorage:
    opened: SqlStorage = await open_billing_storage()
    return opened


@pytest.fixture
def make_message() -> Callable[..., NewMessage]:
    """``make_message(account_id, **overrides)``: a valid :class:`NewMessage`."""
    return message
