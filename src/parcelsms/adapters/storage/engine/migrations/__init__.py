"""Alembic migrations of the parcelsms schema, run by ``storage.migrate.migrate``."""
