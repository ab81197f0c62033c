"""The queue and expiry indexes hold only the messages in flight.

``(status, claim_token, next_attempt_at)`` and ``(status, valid_until)`` indexed every
message ever sent, and every status change moved the message's entries in both. They become
partial indexes: ``ix_messages_queue`` over queued messages and
``ix_messages_awaiting_receipt`` over submitted ones. The claim, recovery and expiry queries
name the status, so SQLite and PostgreSQL use them; a final message is in neither.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-05
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_QUEUED = sa.text("status = 'queued'")
_SUBMITTED = sa.text("status = 'submitted'")


def upgrade() -> None:
    op.drop_index("ix_messages_status_claim_token_next_attempt_at", table_name="messages")
    op.drop_index("ix_messages_status_valid_until", table_name="messages")
    op.create_index(
        "ix_messages_queue",
        "messages",
        ["claim_token", "next_attempt_at"],
        sqlite_where=_QUEUED,
        postgresql_where=_QUEUED,
    )
    op.create_index(
        "ix_messages_awaiting_receipt",
        "messages",
        ["valid_until"],
        sqlite_where=_SUBMITTED,
        postgresql_where=_SUBMITTED,
    )


def downgrade() -> None:
    op.drop_index("ix_messages_awaiting_receipt", table_name="messages")
    op.drop_index("ix_messages_queue", table_name="messages")
    op.create_index(
        "ix_messages_status_claim_token_next_attempt_at",
        "messages",
        ["status", "claim_token", "next_attempt_at"],
    )
    op.create_index("ix_messages_status_valid_until", "messages", ["status", "valid_until"])
