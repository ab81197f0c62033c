"""Billing and limits: prices in the database, channel costs, packages, notifications,
per-account limits, low-balance alerts.

* ``prices``: the operator's per-segment price list (``'*'`` is the default). It is empty
  after this revision; the first start seeds it from the configuration's ``[prices]``.
* ``channel_costs``, ``packages``, ``notifications``, ``account_limits``: new tables.
* ``accounts`` gains ``package_only``, ``home_country``, ``low_balance_threshold_micros``,
  ``low_balance_notified`` and ``packages_until``; ``messages`` gains ``package_id``.
* ``ledger`` gains ``package_id`` and ``segments_delta`` and the kinds ``package_grant``,
  ``package_use`` and ``package_refund``.
* ``webhook_outbox.message_id`` becomes nullable: account events have no message.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-01
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_ID = 32
_OLD_KINDS = "kind IN ('topup', 'reserve', 'settle', 'refund')"
_NEW_KINDS = (
    "kind IN ('topup', 'reserve', 'settle', 'refund', 'package_grant', 'package_use', "
    "'package_refund')"
)


def upgrade() -> None:
    op.create_table(
        "prices",
        sa.Column("country", sa.String(length=2), nullable=False),
        sa.Column("price_micros", sa.BigInteger(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("price_micros >= 0", name=op.f("ck_prices_price_not_negative")),
        sa.PrimaryKeyConstraint("country", name=op.f("pk_prices")),
    )
    op.create_table(
        "channel_costs",
        sa.Column("channel", sa.String(length=100), nullable=False),
        sa.Column("country", sa.String(length=2), nullable=False),
        sa.Column("cost_micros", sa.BigInteger(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("cost_micros >= 0", name=op.f("ck_channel_costs_cost_not_negative")),
        sa.PrimaryKeyConstraint("channel", "country", name=op.f("pk_channel_costs")),
    )
    op.create_table(
        "packages",
        sa.Column("id", sa.String(length=_ID), nullable=False),
        sa.Column("account_id", sa.String(length=_ID), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("region", sa.String(length=16), nullable=False),
        sa.Column("countries", sa.JSON(none_as_null=True), nullable=False),
        sa.Column("segments", sa.Integer(), nullable=False),
        sa.Column("remaining_segments", sa.Integer(), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "region IN ('domestic', 'international', 'countries')",
            name=op.f("ck_packages_region"),
        ),
        sa.CheckConstraint(
            "remaining_segments >= 0", name=op.f("ck_packages_remaining_not_negative")
        ),
        sa.ForeignKeyConstraint(
            ["account_id"], ["accounts.id"], name=op.f("fk_packages_account_id_accounts")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_packages")),
    )
    with op.batch_alter_table("packages", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_packages_account_id_expires_at"),
            ["account_id", "expires_at"],
            unique=False,
        )
    op.create_table(
        "notifications",
        sa.Column("id", sa.String(length=_ID), nullable=False),
        sa.Column("account_id", sa.String(length=_ID), nullable=False),
        sa.Column("kind", sa.String(length=64), nullable=False),
        sa.Column("subject", sa.String(length=200), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("data", sa.JSON(none_as_null=True), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"], ["accounts.id"], name=op.f("fk_notifications_account_id_accounts")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notifications")),
    )
    with op.batch_alter_table("notifications", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_notifications_account_id_id"), ["account_id", "id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_notifications_kind_id"), ["kind", "id"], unique=False)
    op.create_table(
        "account_limits",
        sa.Column("account_id", sa.String(length=_ID), nullable=False),
        sa.Column("recipient_per_hour", sa.Integer(), nullable=True),
        sa.Column("recipient_per_day", sa.Integer(), nullable=True),
        sa.Column("duplicate_window_seconds", sa.Integer(), nullable=True),
        sa.Column("daily_messages", sa.Integer(), nullable=True),
        sa.Column("daily_spend_micros", sa.BigInteger(), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"], ["accounts.id"], name=op.f("fk_account_limits_account_id_accounts")
        ),
        sa.PrimaryKeyConstraint("account_id", name=op.f("pk_account_limits")),
    )

    # Constant string defaults keep these plain ADD COLUMNs on SQLite: an expression
    # default would make Alembic copy ``accounts``, which every other table references.
    with op.batch_alter_table("accounts", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("package_only", sa.Boolean(), server_default="0", nullable=False)
        )
        batch_op.add_column(sa.Column("home_country", sa.String(length=2), nullable=True))
        batch_op.add_column(
            sa.Column("low_balance_threshold_micros", sa.BigInteger(), nullable=True)
        )
        batch_op.add_column(
            sa.Column("low_balance_notified", sa.Boolean(), server_default="0", nullable=False)
        )
        batch_op.add_column(sa.Column("packages_until", sa.DateTime(timezone=True), nullable=True))
    # A plain ADD COLUMN: copying ``messages`` (the largest table, referenced by four
    # others) is what a foreign key here would cost on SQLite.
    with op.batch_alter_table("messages", schema=None) as batch_op:
        batch_op.add_column(sa.Column("package_id", sa.String(length=_ID), nullable=True))
    with op.batch_alter_table("ledger", schema=None) as batch_op:
        batch_op.add_column(sa.Column("package_id", sa.String(length=_ID), nullable=True))
        batch_op.add_column(
            sa.Column("segments_delta", sa.Integer(), server_default=sa.text("0"), nullable=False)
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_ledger_package_id_packages"), "packages", ["package_id"], ["id"]
        )
        batch_op.drop_constraint(op.f("ck_ledger_kind"), type_="check")
        batch_op.create_check_constraint(op.f("ck_ledger_kind"), _NEW_KINDS)
    with op.batch_alter_table("webhook_outbox", schema=None) as batch_op:
        batch_op.alter_column("message_id", existing_type=sa.String(length=_ID), nullable=True)


def downgrade() -> None:
    # Account events have no message and cannot survive the old NOT NULL column.
    op.execute("DELETE FROM webhook_outbox WHERE message_id IS NULL")
    with op.batch_alter_table("webhook_outbox", schema=None) as batch_op:
        batch_op.alter_column("message_id", existing_type=sa.String(length=_ID), nullable=False)
    op.execute("DELETE FROM ledger WHERE kind LIKE 'package_%'")
    with op.batch_alter_table("ledger", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_ledger_kind"), type_="check")
        batch_op.create_check_constraint(op.f("ck_ledger_kind"), _OLD_KINDS)
        batch_op.drop_constraint(batch_op.f("fk_ledger_package_id_packages"), type_="foreignkey")
        batch_op.drop_column("segments_delta")
        batch_op.drop_column("package_id")
    # Plain DROP COLUMNs (SQLite 3.35+): a batch copy of these referenced tables would
    # trip their foreign keys.
    for table, column in (
        ("messages", "package_id"),
        ("accounts", "packages_until"),
        ("accounts", "low_balance_notified"),
        ("accounts", "low_balance_threshold_micros"),
        ("accounts", "home_country"),
        ("accounts", "package_only"),
    ):
        op.execute(f"ALTER TABLE {table} DROP COLUMN {column}")
    op.drop_table("account_limits")
    op.drop_table("notifications")
    with op.batch_alter_table("packages", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_packages_account_id_expires_at"))
    op.drop_table("packages")
    op.drop_table("channel_costs")
    op.drop_table("prices")
