"""The indexes of idempotency keys and client references cover only messages that carry one.

Most messages carry neither, yet each had an entry in both indexes: two index writes per
accepted message for nothing. Worse, ``ANALYZE`` (which an operator may run, or ``PRAGMA
optimize``) counts the NULL keys as one value: with a million unkeyed messages the statistics
said a key matches a million rows, and SQLite planned the accept transaction's lookup of
idempotency keys, and a search by client_ref, as scans of the whole table. A partial index
holds only the keyed rows, so its statistics describe them. Uniqueness is unchanged (NULL keys
were never constrained).

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-05
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0020"
down_revision: str | None = "0019"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_KEYED = sa.text("idempotency_key IS NOT NULL")
_REFERENCED = sa.text("client_ref IS NOT NULL")


def upgrade() -> None:
    op.drop_index("ix_messages_account_id_idempotency_key", table_name="messages")
    op.create_index(
        "ix_messages_account_id_idempotency_key",
        "messages",
        ["account_id", "idempotency_key"],
        unique=True,
        sqlite_where=_KEYED,
        postgresql_where=_KEYED,
    )
    op.drop_index("ix_messages_account_id_client_ref_id", table_name="messages")
    op.create_index(
        "ix_messages_account_id_client_ref_id",
        "messages",
        ["account_id", "client_ref", "id"],
        sqlite_where=_REFERENCED,
        postgresql_where=_REFERENCED,
    )


def downgrade() -> None:
    op.drop_index("ix_messages_account_id_client_ref_id", table_name="messages")
    op.create_index(
        "ix_messages_account_id_client_ref_id", "messages", ["account_id", "client_ref", "id"]
    )
    op.drop_index("ix_messages_account_id_idempotency_key", table_name="messages")
    op.create_index(
        "ix_messages_account_id_idempotency_key",
        "messages",
        ["account_id", "idempotency_key"],
        unique=True,
    )
