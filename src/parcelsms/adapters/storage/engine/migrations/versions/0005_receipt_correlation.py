"""Exact receipt correlation: raw ids, wire times, unmatched receipts, learned id formats.

* ``message_parts`` gains ``responded_at_us`` (wire time of the submit_sm_resp);
  ``carrier_id`` now holds the id's exact key (its own writing), no longer a guessed
  decimal reading. Existing
  rows are re-keyed from ``carrier_id_raw``, with their ``submitted_at`` as response time.
* ``pending_receipts`` is rebuilt: one row per receipt with the key it names, the
  submission it belongs to when known and its wire time. Receipts pending at upgrade time
  were stored under guessed keys; they move to the new ``unmatched_receipts`` list, where
  an operator sees them, instead of being matched by the old rule.
* ``channel_id_formats``: the id reading learned per channel.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-04
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from alembic import op

from parcelsms.protocol.smpp.message_id import exact_key

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_ID = 32
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_CHUNK = 5_000


def _micros(value: object) -> int:
    """Microseconds since the epoch of a stored ``submitted_at`` (text on SQLite)."""
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    if not isinstance(value, datetime):
        return 0
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return (value - _EPOCH) // timedelta(microseconds=1)


def _rekey_parts() -> None:
    connection = op.get_bind()
    parts = sa.table(
        "message_parts",
        sa.column("message_id", sa.String),
        sa.column("part_no", sa.Integer),
        sa.column("carrier_id_raw", sa.String),
        sa.column("carrier_id", sa.String),
        sa.column("responded_at_us", sa.BigInteger),
        sa.column("submitted_at", sa.String),
    )
    update = (
        parts.update()
        .where(
            parts.c.message_id == sa.bindparam("b_message_id"),
            parts.c.part_no == sa.bindparam("b_part_no"),
        )
        .values(
            carrier_id=sa.bindparam("b_carrier_id"),
            responded_at_us=sa.bindparam("b_responded_at_us"),
        )
    )
    rows = connection.execute(
        sa.select(parts.c.message_id, parts.c.part_no, parts.c.carrier_id_raw, parts.c.submitted_at)
    ).all()
    for start in range(0, len(rows), _CHUNK):
        connection.execute(
            update,
            [
                {
                    "b_message_id": row.message_id,
                    "b_part_no": row.part_no,
                    "b_carrier_id": exact_key(row.carrier_id_raw),
                    "b_responded_at_us": _micros(row.submitted_at),
                }
                for row in rows[start : start + _CHUNK]
            ],
        )


def upgrade() -> None:
    with op.batch_alter_table("message_parts", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "responded_at_us", sa.BigInteger(), server_default=sa.text("0"), nullable=False
            )
        )
    _rekey_parts()

    op.create_table(
        "unmatched_receipts",
        sa.Column("id", sa.String(length=_ID), nullable=False),
        sa.Column("channel", sa.String(length=100), nullable=False),
        sa.Column("carrier_id", sa.String(length=100), nullable=False),
        sa.Column("stat", sa.String(length=16), nullable=True),
        sa.Column("err", sa.String(length=16), nullable=True),
        sa.Column("raw", sa.Text(), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("moved_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_unmatched_receipts")),
    )
    with op.batch_alter_table("unmatched_receipts", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_unmatched_receipts_moved_at"), ["moved_at"], unique=False
        )
    # Old pending receipts (one row per guessed key): listed for the operator, not guessed.
    op.execute(
        "INSERT INTO unmatched_receipts (id, channel, carrier_id, raw, received_at, moved_at) "
        "SELECT receipt_id, min(channel), min(carrier_id), 'pending at upgrade to 0005', "
        "min(received_at), min(received_at) FROM pending_receipts GROUP BY receipt_id"
    )
    op.drop_table("pending_receipts")
    op.create_table(
        "pending_receipts",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("channel", sa.String(length=100), nullable=False),
        sa.Column("carrier_id", sa.String(length=100), nullable=False),
        sa.Column("match_key", sa.String(length=100), nullable=True),
        sa.Column("responded_at_us", sa.BigInteger(), nullable=True),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("received_at_us", sa.BigInteger(), nullable=False),
        sa.Column("checked", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("payload", sa.JSON(none_as_null=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pending_receipts")),
    )
    with op.batch_alter_table("pending_receipts", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_pending_receipts_channel_match_key"),
            ["channel", "match_key"],
            unique=False,
        )
        batch_op.create_index(
            batch_op.f("ix_pending_receipts_received_at"), ["received_at"], unique=False
        )
    op.create_table(
        "channel_id_formats",
        sa.Column("channel", sa.String(length=100), nullable=False),
        sa.Column("reading", sa.String(length=40), nullable=False),
        sa.Column("learned_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("channel", name=op.f("pk_channel_id_formats")),
    )


def downgrade() -> None:
    op.drop_table("channel_id_formats")
    op.drop_table("pending_receipts")
    op.create_table(
        "pending_receipts",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("receipt_id", sa.String(length=_ID), nullable=False),
        sa.Column("channel", sa.String(length=100), nullable=False),
        sa.Column("carrier_id", sa.String(length=100), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("payload", sa.JSON(none_as_null=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pending_receipts")),
    )
    with op.batch_alter_table("pending_receipts", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_pending_receipts_channel_carrier_id"),
            ["channel", "carrier_id"],
            unique=False,
        )
        batch_op.create_index(
            batch_op.f("ix_pending_receipts_receipt_id"), ["receipt_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_pending_receipts_received_at"), ["received_at"], unique=False
        )
    with op.batch_alter_table("unmatched_receipts", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_unmatched_receipts_moved_at"))
    op.drop_table("unmatched_receipts")
    with op.batch_alter_table("message_parts", schema=None) as batch_op:
        batch_op.drop_column("responded_at_us")
