"""Several webhook endpoints per account, subscriptions, secret rotation, dead letters.

* ``webhook_endpoints`` is rebuilt with its own id as key: an account may have several.
  The endpoint an account had becomes its *default* endpoint (the one ``/v1/webhooks``
  manages), subscribed to what it received before (every status change, account events)
  plus replies.
* ``webhook_outbox`` gains ``event_id`` (the ``webhook-id`` header, shared by the copies
  of one event sent to several endpoints), ``endpoint_id`` (NULL: a callback URL),
  ``event_type``, ``latency_ms`` and ``retry_from``; the given-up status ``failed`` is
  renamed ``dead`` (dead-lettered, redeliverable on request).

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-05
"""

from __future__ import annotations

import os
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_ID = 32
_DEFAULT_EVENT_TYPES = ["message.status", "message.inbound", "balance.low", "limit.warning"]
_CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"


def _endpoint_id() -> str:
    # Migrations do not import the application's id module (it may change); the same
    # shape: a prefix and 26 Crockford base32 characters.
    value = int.from_bytes(os.urandom(17), "big")
    return "whe_" + "".join(_CROCKFORD[(value >> (5 * i)) & 31] for i in range(26))


def _create_endpoints() -> None:
    op.create_table(
        "webhook_endpoints",
        sa.Column("id", sa.String(length=_ID), nullable=False),
        sa.Column("account_id", sa.String(length=_ID), nullable=False),
        sa.Column("url", sa.Text(), nullable=False),
        sa.Column("event_types", sa.JSON(none_as_null=True), nullable=False),
        sa.Column("is_default", sa.Boolean(), nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("secret", sa.String(length=200), nullable=False),
        sa.Column("previous_secret", sa.String(length=200), nullable=True),
        sa.Column("previous_secret_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"], ["accounts.id"], name=op.f("fk_webhook_endpoints_account_id_accounts")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_webhook_endpoints")),
    )
    with op.batch_alter_table("webhook_endpoints", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_webhook_endpoints_account_id"), ["account_id"], unique=False
        )


def upgrade() -> None:
    connection = op.get_bind()
    old = connection.execute(
        sa.text("SELECT account_id, url, secret, created_at FROM webhook_endpoints")
    ).all()
    op.drop_table("webhook_endpoints")
    _create_endpoints()
    endpoints = sa.table(
        "webhook_endpoints",
        sa.column("id", sa.String),
        sa.column("account_id", sa.String),
        sa.column("url", sa.Text),
        # JSON and untyped times: PostgreSQL takes no VARCHAR into json or timestamptz
        # columns; the old rows' times go back as they came (text on SQLite).
        sa.column("event_types", sa.JSON),
        sa.column("is_default", sa.Boolean),
        sa.column("enabled", sa.Boolean),
        sa.column("secret", sa.String),
        sa.column("created_at"),
        sa.column("updated_at"),
    )
    if old:
        op.bulk_insert(
            endpoints,
            [
                {
                    "id": _endpoint_id(),
                    "account_id": row.account_id,
                    "url": row.url,
                    "event_types": list(_DEFAULT_EVENT_TYPES),
                    "is_default": True,
                    "enabled": True,
                    "secret": row.secret,
                    "created_at": row.created_at,
                    "updated_at": row.created_at,
                }
                for row in old
            ],
        )

    with op.batch_alter_table("webhook_outbox", schema=None) as batch_op:
        batch_op.add_column(sa.Column("event_id", sa.String(length=_ID), nullable=True))
        batch_op.add_column(sa.Column("endpoint_id", sa.String(length=_ID), nullable=True))
        batch_op.add_column(sa.Column("event_type", sa.String(length=40), nullable=True))
        batch_op.add_column(sa.Column("latency_ms", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("retry_from", sa.DateTime(timezone=True), nullable=True))
        batch_op.drop_constraint(op.f("ck_webhook_outbox_status"), type_="check")
    op.execute("UPDATE webhook_outbox SET status = 'dead' WHERE status = 'failed'")
    op.execute(
        "UPDATE webhook_outbox SET event_id = id, event_type = CASE"
        " WHEN message_id IS NOT NULL THEN 'message.status'"
        " WHEN payload LIKE '%account.threshold_warning%' THEN 'limit.warning'"
        " ELSE 'balance.low' END"
    )
    op.execute(
        "UPDATE webhook_outbox SET endpoint_id = (SELECT e.id FROM webhook_endpoints e"
        " WHERE e.account_id = webhook_outbox.account_id AND e.url = webhook_outbox.url)"
    )
    with op.batch_alter_table("webhook_outbox", schema=None) as batch_op:
        batch_op.alter_column("event_id", existing_type=sa.String(length=_ID), nullable=False)
        batch_op.alter_column("event_type", existing_type=sa.String(length=40), nullable=False)
        batch_op.create_check_constraint(
            op.f("ck_webhook_outbox_status"), "status IN ('pending', 'delivered', 'dead')"
        )
        batch_op.create_index(
            batch_op.f("ix_webhook_outbox_account_id_id"), ["account_id", "id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_webhook_outbox_endpoint_id_created_at"),
            ["endpoint_id", "created_at"],
            unique=False,
        )


def downgrade() -> None:
    # Only each account's default endpoint survives; deliveries to the others are dropped.
    op.execute(
        "DELETE FROM webhook_outbox WHERE endpoint_id IS NOT NULL AND endpoint_id NOT IN"
        " (SELECT id FROM webhook_endpoints WHERE is_default)"
    )
    with op.batch_alter_table("webhook_outbox", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_webhook_outbox_endpoint_id_created_at"))
        batch_op.drop_index(batch_op.f("ix_webhook_outbox_account_id_id"))
        batch_op.drop_constraint(op.f("ck_webhook_outbox_status"), type_="check")
    op.execute("UPDATE webhook_outbox SET status = 'failed' WHERE status = 'dead'")
    with op.batch_alter_table("webhook_outbox", schema=None) as batch_op:
        batch_op.drop_column("retry_from")
        batch_op.drop_column("latency_ms")
        batch_op.drop_column("event_type")
        batch_op.drop_column("endpoint_id")
        batch_op.drop_column("event_id")
        batch_op.create_check_constraint(
            op.f("ck_webhook_outbox_status"), "status IN ('pending', 'delivered', 'failed')"
        )
    connection = op.get_bind()
    kept = connection.execute(
        sa.text(
            "SELECT account_id, url, secret, created_at FROM webhook_endpoints WHERE is_default"
        )
    ).all()
    op.drop_table("webhook_endpoints")
    op.create_table(
        "webhook_endpoints",
        sa.Column("account_id", sa.String(length=_ID), nullable=False),
        sa.Column("url", sa.Text(), nullable=False),
        sa.Column("secret", sa.String(length=200), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"], ["accounts.id"], name=op.f("fk_webhook_endpoints_account_id_accounts")
        ),
        sa.PrimaryKeyConstraint("account_id", name=op.f("pk_webhook_endpoints")),
    )
    for row in kept:
        connection.execute(
            sa.text(
                "INSERT INTO webhook_endpoints (account_id, url, secret, created_at)"
                " VALUES (:account_id, :url, :secret, :created_at)"
            ),
            dict(row._mapping),
        )
