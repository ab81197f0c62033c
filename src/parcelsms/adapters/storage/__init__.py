"""Storage adapters: the storage ports on SQLAlchemy Core (SQLite by default).

:func:`open_storage` migrates the database and returns a :class:`SqlStorage`, which holds one
object per port (``messages``, ``receipts``, ``message_queries``, ``accounts``, ``billing``,
``content``, ``webhook_endpoints``, ``webhook_outbox``). Rooms: ``engine/`` (connections,
writer, schema, migrations) and one sub-package per concept; in each, ``*_rows`` modules hold
row operations and ``*_stores`` modules the classes that implement the ports.
"""

from parcelsms.adapters.storage.sql_storage import SqlStorage, open_storage

__all__ = ["SqlStorage", "open_storage"]
