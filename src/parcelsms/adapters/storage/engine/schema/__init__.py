"""The database schema as SQLAlchemy Core tables (SQLite and PostgreSQL alike), by concept.

Every table module declares its tables on the one :data:`.metadata.metadata`;
:mod:`.all_tables` imports them all, and is what migrations are compared against.

Conventions: ids are sortable prefixed strings (``msg_…``); times are UTC
(:class:`.column_types.UtcDateTime`); money is integer micro-units (``BigInteger``); lists and
small documents are JSON.
"""
