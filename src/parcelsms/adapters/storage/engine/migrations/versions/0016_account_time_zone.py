"""The account's time zone; console users may follow it.

``accounts.time_zone`` (IANA, default UTC) is the zone the account's console shows times and
days in. A console user's own ``time_zone`` now overrides it only when set: ``""`` means
"the account's". Sender users still on the old default (UTC) follow their account from
here on; as every account starts in UTC, nobody sees a different time after the upgrade.

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-06
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0016"
down_revision: str | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # A constant default: SQLite adds the column without copying the table.
    op.add_column(
        "accounts",
        sa.Column("time_zone", sa.String(length=64), nullable=False, server_default="UTC"),
    )
    op.execute(
        "UPDATE console_users SET time_zone = '' WHERE account_id IS NOT NULL AND time_zone = 'UTC'"
    )


def downgrade() -> None:
    op.execute("UPDATE console_users SET time_zone = 'UTC' WHERE time_zone = ''")
    with op.batch_alter_table("accounts") as batch:
        batch.drop_column("time_zone")
