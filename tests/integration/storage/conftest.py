"""Fixtures for the storage suite: each test runs on a real SQLite file AND on a database of
the throwaway PostgreSQL cluster (those runs carry the ``postgres`` marker)."""

from __future__ import annotations

import tempfile
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import msgspec
import pytest

from parcelsms.adapters.storage.sql_storage import SqlStorage, open_storage
from parcelsms.pipeline.message_ports import NewMessage
from parcelsms.pipeline.webhook_policy import StatusWebhookPolicy
from parcelsms.pipeline.webhook_ports import WebhookEvent

START = datetime(2030, 1, 1, 12, 0, tzinfo=UTC)
PEPPER = b"test-pepper"


class Clock:
    """A clock the test moves by hand."""

    def __init__(self, now: datetime = START) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> datetime:
        self.now += timedelta(seconds=seconds)
        return self.now


def json_payload(event: WebhookEvent) -> str:
    return msgspec.json.encode(event).decode()


def message(account_id: str, **overrides: Any) -> NewMessage:
    """A valid rendered message; override any field."""
    fields: dict[str, Any] = {
        "account_id": account_id,
        "to_e164": "+447911123456",
        "country": "GB",
        "template_id": None,
        "language": "en",
        "body": "Your parcel has shipped.",
        "encoding": "GSM7",
        "segments": 1,
        "price_micros": 40_000,
        "currency": "EUR",
        "sender_id": "ParcelCo",
        "client_ref": None,
        "callback_url": None,
        "route_plan": ("alpha", "beta"),
        "valid_until": START + timedelta(days=2),
    }
    fields.update(overrides)
    return NewMessage(**fields)


OpenStorage = Callable[..., Any]
MakeMessage = Callable[..., NewMessage]


@pytest.fixture
def make_message() -> MakeMessage:
    """``make_message(account_id, **overrides)`` builds a valid :class:`NewMessage`."""
    return message


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """The test's database: a new SQLite file, or a new migrated PostgreSQL database."""
    if request.param == "postgresql":
        url: str = request.getfixturevalue("postgres_database_url")
        return url
    return f"sqlite:///{tmp_path / 'parcelsms.db'}"


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def empty_database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A new EMPTY database, for tests of the migrations themselves: a SQLite file, or a
    database of the throwaway PostgreSQL cluster."""
    if request.param == "postgresql":
        url: str = request.getfixturevalue("empty_postgres_database_url")
        return url
    return f"sqlite:///{tmp_path / 'parcelsms.db'}"


FreshDatabase = Callable[[], AbstractContextManager[str]]


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def fresh_database(request: pytest.FixtureRequest) -> FreshDatabase:
    """``with fresh_database() as url:`` a new database each time (for property tests, which
    need one per example): a SQLite file in a temporary directory, or a new migrated
    database of the throwaway PostgreSQL cluster, dropped afterwards."""
    if request.param == "postgresql":
        cluster = request.getfixturevalue("postgres_cluster")
        template = request.getfixturevalue("migrated_postgres_template")

        @contextmanager
        def new_postgres_database() -> Iterator[str]:
            url: str = cluster.create_database(template=template)
            try:
                yield url
            finally:
                cluster.drop_database(url)

        return new_postgres_database

    @contextmanager
    def new_sqlite_file() -> Iterator[str]:
        with tempfile.TemporaryDirectory() as directory:
            yield f"sqlite:///{Path(directory) / 'parcelsms.db'}"

    return new_sqlite_file


@pytest.fixture
async def open_test_storage(database_url: str, clock: Clock) -> AsyncIterator[OpenStorage]:
    """Opens storages on the test's database file; closes them at the end."""
    opened: list[SqlStorage] = []

    async def factory(**options: Any) -> SqlStorage:
        options.setdefault("webhook_policy", StatusWebhookPolicy(json_payload))
        options.setdefault("pepper", PEPPER)
        options.setdefault("clock", clock)
        # A hand-moved clock: receipts are decided at once unless a test opens the window.
        options.setdefault("receipt_early_window", timedelta(0))
        storage = await open_storage(database_url, **options)
        opened.append(storage)
        return storage

    yield factory
    for storage in opened:
        await storage.close()


@pytest.fixture
async def storage(open_test_storage: OpenStorage) -> SqlStorage:
    result: SqlStorage = await open_test_storage()
    return result


Enqueue = Callable[..., Any]


@pytest.fixture
def enqueue(make_message: MakeMessage) -> Enqueue:
    """``await enqueue(storage, account_id, count=1, **overrides)`` → accepted message ids."""

    async def accept(
        storage: SqlStorage, account_id: str, count: int = 1, **overrides: Any
    ) -> list[str]:
        results = await storage.messages.accept_messages(
            [make_message(account_id, **overrides) for _ in range(count)]
        )
        ids = [getattr(result, "message_id", None) for result in results]
        assert all(ids), results
        return [str(message_id) for message_id in ids]

    return accept
