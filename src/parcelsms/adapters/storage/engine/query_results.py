"""Query results held as ``Any``, the way compiled storage code can read them.

SQLAlchemy declares its ``Row`` a subclass of ``tuple`` for type checkers; at run time it is
not one. Code compiled by mypyc (``parcelsms compile``, :mod:`parcelsms.compiled_modules`)
checks the types it was told, so a ``Row`` held where the checker saw a tuple raises
``TypeError`` — even in ``row: Any = connection.execute(query).first()``, where the call's own
type is checked before the assignment. The storage modules that are compiled therefore run
their queries through :func:`run_query` and read rows by name.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy.engine import Connection
from sqlalchemy.sql import Executable


def run_query(
    connection: Connection,
    statement: Executable,
    parameters: Mapping[str, Any] | Sequence[Mapping[str, Any]] | None = None,
) -> Any:
    """``connection.execute(statement, parameters)``, its result typed ``Any``."""
    return connection.execute(statement, parameters)
