"""Shared test configuration: the throwaway PostgreSQL cluster for tests marked ``postgres``."""

from __future__ import annotations

import gc
from collections.abc import Iterator

import pytest
from postgres_cluster import ThrowawayCluster

from parcelsms.adapters.storage.engine.migrate import migrate_blocking
from parcelsms.pipeline.ttl_cache import share_changes


def _time_allowed(item: pytest.Item) -> float:
    """The seconds pytest-timeout allows ``item`` when that says it is long (a ``timeout``
    marker above the ``timeout`` of pyproject.toml, or ``slow``: that default), else 0."""
    default = float(item.config.getini("timeout") or 0)
    timeout = item.get_closest_marker("timeout")
    if timeout is not None and timeout.args and timeout.args[0] > default:
        return float(timeout.args[0])
    return default if item.get_closest_marker("slow") is not None else 0.0


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Files that hold long tests run first, those allowed the most time first of all.

    ``scripts/check`` hands whole files to two workers (pytest-xdist ``--dist loadfile``):
    a two-minute file handed out last kept one worker busy alone at the end of the run,
    where the short files could have filled the gaps. The order within a file is kept.
    """
    allowed: dict[object, float] = {}
    for item in items:
        allowed[item.path] = max(allowed.get(item.path, 0.0), _time_allowed(item))
    items.sort(key=lambda item: -allowed[item.path])  # a stable sort


@pytest.fixture(autouse=True)
def _changes_stay_local_between_tests() -> Iterator[None]:
    """A test that builds an ``api`` or ``pipeline`` platform in this process shares its
    change signal process-wide (as ``serve --role`` does); the next test starts with local
    changes again, so a cache test does not see another test's epoch move."""
    yield
    share_changes(None)


@pytest.fixture(autouse=True)
def _collector_left_on() -> Iterator[None]:
    """A test that switches the garbage collector off must switch it on again: left off,
    every later test of the session ran without it, and the cycles they leave behind (open
    database files among them) piled up until a test ran out of file descriptors."""
    yield
    if not gc.isenabled():
        gc.enable()
        pytest.fail("the test left the garbage collector switched off")


@pytest.fixture(scope="session")
def postgres_cluster() -> Iterator[ThrowawayCluster]:
    """One PostgreSQL server for the session, started on first use and removed at the end."""
    cluster = ThrowawayCluster()
    cluster.start()
    try:
        yield cluster
    finally:
        cluster.stop()


@pytest.fixture(scope="session")
def migrated_postgres_template(postgres_cluster: ThrowawayCluster) -> str:
    """A database migrated to the newest revision, which the tests' databases copy."""
    return postgres_cluster.template("migrated", migrate_blocking)


@pytest.fixture
def empty_postgres_database_url(postgres_cluster: ThrowawayCluster) -> Iterator[str]:
    """A new, empty database of the throwaway cluster, dropped after the test."""
    url = postgres_cluster.create_database()
    yield url
    postgres_cluster.drop_database(url)


@pytest.fixture
def postgres_database_url(
    postgres_cluster: ThrowawayCluster, migrated_postgres_template: str
) -> Iterator[str]:
    """A new, migrated database of the throwaway cluster, dropped after the test."""
    url = postgres_cluster.create_database(template=migrated_postgres_template)
    yield url
    postgres_cluster.drop_database(url)
