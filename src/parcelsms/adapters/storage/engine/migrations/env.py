"""Alembic environment: migrations run on a connection handed over by ``migrate()``.

Every migration runs with ``render_as_batch=True`` so that column changes on SQLite (which
cannot ``ALTER`` much) are done by copying the table.
"""

from __future__ import annotations

from alembic import context
from sqlalchemy.engine import Connection

from parcelsms.adapters.storage.engine.schema.all_tables import declared_metadata


def _configure_and_run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=declared_metadata(),
        render_as_batch=True,
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def _run_offline() -> None:
    context.configure(
        url=context.config.get_main_option("sqlalchemy.url"),
        target_metadata=declared_metadata(),
        render_as_batch=True,
        literal_binds=True,
    )
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():
    _run_offline()
else:
    connection = context.config.attributes.get("connection")
    if connection is None:
        raise RuntimeError(
            "run migrations through parcelsms.adapters.storage.engine.migrate.migrate(url)"
        )
    _configure_and_run(connection)
