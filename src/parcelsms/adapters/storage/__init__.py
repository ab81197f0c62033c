"""Storage adapters: the storage port on SQLAlchemy Core (SQLite by default).

:func:`open_storage` migrates the database and returns the :class:`SqlStorage` that implements
:class:`parcelsms.pipeline.ports.Storage`.
"""

from parcelsms.adapters.storage.sql_storage import SqlStorage, open_storage

__all__ = ["SqlStorage", "open_storage"]
