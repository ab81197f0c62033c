"""Replies owned by accounts, suppression lists, the global blacklist, refusal counts.

* ``inbound_messages`` gains the outbound message a reply answers (``message_id``,
  ``client_ref``), its ``keyword``, whether it arrived ``complete`` (``missing_parts``
  otherwise) and ``seq``, its place in the events feed (commit order).
* ``message_settings`` gains ``opt_out_reply``, the confirmation sent to a recipient who
  opts out.
* ``messages`` gains an index on ``(to_e164, created_at)``: a reply is owned by the latest
  message sent to its number.
* ``suppressions`` (per account), ``blacklist`` (the operator's, global) and
  ``refusal_counts`` (sends refused because of either, per account and UTC day).

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-05
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_ID = 32


def upgrade() -> None:
    with op.batch_alter_table("inbound_messages", schema=None) as batch_op:
        batch_op.add_column(sa.Column("message_id", sa.String(length=_ID), nullable=True))
        batch_op.add_column(sa.Column("client_ref", sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column("keyword", sa.String(length=16), nullable=True))
        batch_op.add_column(
            sa.Column("complete", sa.Boolean(), server_default=sa.true(), nullable=False)
        )
        batch_op.add_column(sa.Column("missing_parts", sa.JSON(none_as_null=True), nullable=True))
        batch_op.add_column(sa.Column("seq", sa.BigInteger(), nullable=True))
        batch_op.create_index(
            batch_op.f("ix_inbound_messages_message_id"), ["message_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_inbound_messages_account_id_seq"), ["account_id", "seq"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_inbound_messages_seq"), ["seq"], unique=True)
    with op.batch_alter_table("message_settings", schema=None) as batch_op:
        batch_op.add_column(sa.Column("opt_out_reply", sa.Text(), nullable=True))
    with op.batch_alter_table("messages", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_messages_to_e164_created_at"), ["to_e164", "created_at"], unique=False
        )
    op.create_table(
        "suppressions",
        sa.Column("account_id", sa.String(length=_ID), nullable=False),
        sa.Column("number", sa.String(length=20), nullable=False),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("inbound_id", sa.String(length=_ID), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"], ["accounts.id"], name=op.f("fk_suppressions_account_id_accounts")
        ),
        sa.PrimaryKeyConstraint("account_id", "number", name=op.f("pk_suppressions")),
    )
    op.create_table(
        "blacklist",
        sa.Column("number", sa.String(length=20), nullable=False),
        sa.Column("note", sa.String(length=200), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("number", name=op.f("pk_blacklist")),
    )
    op.create_table(
        "refusal_counts",
        sa.Column("account_id", sa.String(length=_ID), nullable=False),
        sa.Column("day", sa.String(length=10), nullable=False),
        sa.Column("reason", sa.String(length=32), nullable=False),
        sa.Column("count", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"], ["accounts.id"], name=op.f("fk_refusal_counts_account_id_accounts")
        ),
        sa.PrimaryKeyConstraint("account_id", "day", "reason", name=op.f("pk_refusal_counts")),
    )


def downgrade() -> None:
    op.drop_table("refusal_counts")
    op.drop_table("blacklist")
    op.drop_table("suppressions")
    with op.batch_alter_table("messages", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_messages_to_e164_created_at"))
    with op.batch_alter_table("message_settings", schema=None) as batch_op:
        batch_op.drop_column("opt_out_reply")
    with op.batch_alter_table("inbound_messages", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_inbound_messages_seq"))
        batch_op.drop_index(batch_op.f("ix_inbound_messages_account_id_seq"))
        batch_op.drop_index(batch_op.f("ix_inbound_messages_message_id"))
        batch_op.drop_column("seq")
        batch_op.drop_column("missing_parts")
        batch_op.drop_column("complete")
        batch_op.drop_column("keyword")
        batch_op.drop_column("client_ref")
        batch_op.drop_column("message_id")
