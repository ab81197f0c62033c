"""The message search's indexes end in ``id``: status (new), number and client_ref.

Without them, a status few messages have (``canceled``) walks the account's whole
``(account_id, id)`` index looking for a page of them (half a second on an account with 1M
messages), and a search by number or client_ref does the same unless ``ANALYZE`` statistics
talk the planner out of it (the platform never runs ANALYZE). Ending in ``id``, each index
gives its rows newest first without a sort. The country filter has had one since 0011.

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-06
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0017"
down_revision: str | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index(
        op.f("ix_messages_account_id_status_id"), "messages", ["account_id", "status", "id"]
    )
    for column in ("to_e164", "client_ref"):
        op.drop_index(op.f(f"ix_messages_account_id_{column}"), table_name="messages")
        op.create_index(
            op.f(f"ix_messages_account_id_{column}_id"), "messages", ["account_id", column, "id"]
        )


def downgrade() -> None:
    for column in ("to_e164", "client_ref"):
        op.drop_index(op.f(f"ix_messages_account_id_{column}_id"), table_name="messages")
        op.create_index(
            op.f(f"ix_messages_account_id_{column}"), "messages", ["account_id", column]
        )
    op.drop_index(op.f("ix_messages_account_id_status_id"), table_name="messages")
