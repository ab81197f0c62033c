"""A throwaway PostgreSQL cluster for the tests, started from the machine's own binaries.

:class:`ThrowawayCluster` runs ``initdb`` and ``pg_ctl`` in a fresh temporary directory, as an
unprivileged user when the tests run as root (PostgreSQL refuses to run as root: the
directory is handed to the ``postgres`` user and the commands run through ``runuser``). The
server listens on 127.0.0.1 on a free port and on a unix socket in its directory, with
``fsync`` off (a test cluster never needs to survive a power cut), and the directory is
removed when it stops. ``start(durable=True)`` keeps ``fsync`` and full-page writes on, as a
benchmark wants (commits are still not waited for on disk, as SQLite's ``synchronous=NORMAL``
in WAL mode: a power cut may lose the last commits, never the database).

Databases: :meth:`ThrowawayCluster.template` migrates one database once; each test then gets
a copy (``CREATE DATABASE … TEMPLATE``, a file copy, some tens of milliseconds) from
:meth:`ThrowawayCluster.create_database`.

``PARCELSMS_TEST_POSTGRES_URL`` (a server URL whose user may create databases) makes the
tests use that server instead of starting one.
"""

from __future__ import annotations

import glob
import itertools
import os
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path

import psycopg
from psycopg import sql

UNPRIVILEGED_USER = "postgres"
SERVER_URL_VARIABLE = "PARCELSMS_TEST_POSTGRES_URL"


class ClusterUnavailable(RuntimeError):
    """No PostgreSQL binaries on this machine (``scripts/test`` installs them)."""


def postgres_binaries() -> Path:
    """The directory holding ``initdb`` and ``pg_ctl`` (newest installed version)."""
    on_path = shutil.which("initdb")
    if on_path:
        return Path(on_path).parent
    candidates = sorted(
        glob.glob("/usr/lib/postgresql/*/bin/initdb"),
        key=lambda path: int(Path(path).parent.parent.name),
    )
    if not candidates:
        raise ClusterUnavailable("initdb not found; install the postgresql package")
    return Path(candidates[-1]).parent


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


class ThrowawayCluster:
    """One PostgreSQL server for a test session (see the module)."""

    def __init__(self) -> None:
        self._directory: Path | None = None
        self._server_url: str | None = os.environ.get(SERVER_URL_VARIABLE)
        self._external = self._server_url is not None
        self._templates: dict[str, str] = {}
        self._numbers = itertools.count(1)

    @property
    def server_url(self) -> str:
        """``postgresql+psycopg://`` URL of the server's ``postgres`` database."""
        if self._server_url is None:
            raise RuntimeError("the cluster is not started")
        return self._server_url

    def url_of(self, database: str) -> str:
        """The URL of ``database`` on this server."""
        base, _, _ = self.server_url.rpartition("/")
        return f"{base}/{database}"

    @property
    def postmaster_pid(self) -> int | None:
        """The server's main process (``None`` for a server given by URL, or stopped)."""
        if self._directory is None:
            return None
        try:
            return int((self._directory / "data" / "postmaster.pid").read_text().split()[0])
        except (OSError, IndexError, ValueError):
            return None

    def start(self, *, durable: bool = False) -> None:
        if self._server_url is not None:
            return
        binaries = postgres_binaries()
        directory = Path(tempfile.mkdtemp(prefix="parcelsms-pg-"))
        self._directory = directory
        data = directory / "data"
        as_user = self._as_unprivileged_user(directory)
        subprocess.run(
            [
                *as_user,
                str(binaries / "initdb"),
                "-D",
                str(data),
                "-U",
                "postgres",
                "--auth=trust",
                "--encoding=UTF8",
                "--locale=C",
                "--no-sync",
            ],
            check=True,
            capture_output=True,
        )
        port = _free_port()
        options = (
            f"-p {port} -k {directory} -c listen_addresses=127.0.0.1"
            " -c synchronous_commit=off -c max_connections=300"
        )
        if not durable:
            options += " -c fsync=off -c full_page_writes=off"
        self._pg_ctl(directory, "-o", options, "-l", str(directory / "server.log"), "-w", "start")
        self._server_url = f"postgresql+psycopg://postgres@127.0.0.1:{port}/postgres"

    def _pg_ctl(self, directory: Path, *arguments: str) -> None:
        """``pg_ctl -D <directory>/data <arguments>``, as the unprivileged user."""
        subprocess.run(
            [
                *self._as_unprivileged_user(directory),
                str(postgres_binaries() / "pg_ctl"),
                "-D",
                str(directory / "data"),
                *arguments,
            ],
            check=True,
            capture_output=True,
        )

    def _as_unprivileged_user(self, directory: Path) -> list[str]:
        if os.geteuid() != 0:
            return []
        shutil.chown(directory, user=UNPRIVILEGED_USER, group=UNPRIVILEGED_USER)
        return ["runuser", "-u", UNPRIVILEGED_USER, "--"]

    def restart(self) -> None:
        """Stop the server at once (``-m immediate``: every connection breaks, as in a crash or
        a failover) and start it again on the same port and data."""
        directory = self._directory
        if directory is None:
            raise RuntimeError("only a cluster started here can be restarted")
        self._pg_ctl(
            directory, "-m", "immediate", "-w", "-l", str(directory / "server.log"), "restart"
        )

    def stop(self) -> None:
        """Stop the server and remove its directory (a server given by URL is left alone)."""
        directory = self._directory
        if directory is None:
            return
        self._directory = None
        self._server_url = None
        try:
            self._pg_ctl(directory, "-m", "immediate", "-w", "stop")
        finally:
            shutil.rmtree(directory, ignore_errors=True)

    def _connect(self) -> psycopg.Connection[tuple[object, ...]]:
        return psycopg.connect(_driver_url(self.server_url), autocommit=True)

    def create_database(self, template: str | None = None) -> str:
        """A new empty database (or a copy of ``template``); returns its URL."""
        name = f"parcelsms_test_{os.getpid()}_{next(self._numbers)}"
        statement = sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name))
        if template is not None:
            statement = sql.SQL("{} TEMPLATE {}").format(statement, sql.Identifier(template))
        with self._connect() as connection:
            connection.execute(statement)
        return self.url_of(name)

    def drop_database(self, url: str) -> None:
        name = url.rpartition("/")[2]
        with self._connect() as connection:
            connection.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
            )

    def template(self, name: str, prepare: object) -> str:
        """The name of a template database made once by ``prepare(url)`` (e.g. migrate)."""
        if name not in self._templates:
            url = self.create_database()
            if not callable(prepare):
                raise TypeError("prepare must be callable")
            prepare(url)
            self._templates[name] = url.rpartition("/")[2]
        return self._templates[name]


def _driver_url(url: str) -> str:
    """``url`` as libpq reads it (without SQLAlchemy's ``+psycopg``)."""
    return url.replace("postgresql+psycopg://", "postgresql://", 1)
