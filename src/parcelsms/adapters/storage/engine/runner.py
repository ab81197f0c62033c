"""What every storage room runs its operations through: the writer, the readers, the context.

Each room (messages, accounts, billing, content, webhooks) holds a :class:`SqlRunner` and
nothing else of the engine: writes are items handed to the batching writer (group commit),
reads are functions of a ``Connection`` run on the reader pool. Exceptions of the database
library are translated here, once, into :class:`~parcelsms.errors.StorageError`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Concatenate, ParamSpec, TypeVar, cast

from sqlalchemy.engine import Connection

from parcelsms.adapters.storage.context import StorageContext
from parcelsms.adapters.storage.engine.batching_writer import BatchingWriter, translate_exception
from parcelsms.adapters.storage.engine.database import Database
from parcelsms.errors import CatalogueError, StorageError

P = ParamSpec("P")
T = TypeVar("T")


class SqlRunner:
    """The batching writer, the reader pool and the settings shared by one storage's rooms."""

    def __init__(self, context: StorageContext, database: Database, writer: BatchingWriter):
        self.context = context
        self.writer = writer
        self._database = database

    async def read(
        self,
        function: Callable[Concatenate[Connection, P], T],
        *args: P.args,
        **kwargs: P.kwargs,
    ) -> T:
        """Run ``function(connection, *args, **kwargs)`` in a read transaction."""

        def work(connection: Connection) -> T:
            return function(connection, *args, **kwargs)

        try:
            return await self._database.read(work)
        except (CatalogueError, StorageError, ValueError):
            raise
        except Exception as exc:
            raise translate_exception(exc) from exc

    async def write(
        self,
        function: Callable[Concatenate[Connection, P], T],
        *args: P.args,
        **kwargs: P.kwargs,
    ) -> T:
        """Run ``function(connection, *args, **kwargs)`` in the writer's transaction (group
        commit with whatever else is being written); for small, rare writes that need no
        bulk operation of their own."""

        def call(connection: Connection) -> object:
            return function(connection, *args, **kwargs)

        work: Callable[[Connection], object] = call
        result = await self.writer.run(_run_each, work)
        return cast(T, result)

    async def close(self) -> None:
        """Drain pending writes, then release the connections."""
        try:
            await self.writer.close()
        finally:
            await self._database.close()


def _run_each(
    connection: Connection, works: list[Callable[[Connection], object]]
) -> Sequence[object]:
    """The bulk operation of :meth:`SqlRunner.write`: each closure in turn."""
    return [work(connection) for work in works]


def raised(result: T | CatalogueError) -> T:
    """``result``, or raise it when an operation answered an input error."""
    if isinstance(result, CatalogueError):
        raise result
    return result
