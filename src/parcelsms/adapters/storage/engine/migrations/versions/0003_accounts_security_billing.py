"""Account verification and profiles, test numbers, key scopes and allowlists, request
nonces, audit log.

Accounts that exist before this revision were created when every account could send
anywhere: they are marked ``verified`` so an upgrade does not stop a working sender. Their
keys get every sender scope; they have no signing key (signing needs a key created after
this revision).

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-29
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The sender scopes as of this revision (parcelsms.domain.api_keys.SENDER_SCOPES); written
# out because a migration must not change when the code does.
_SENDER_SCOPES = [
    "messages:send",
    "messages:read",
    "templates",
    "webhooks",
    "billing:read",
    "account",
    "keys",
]

_ID = 32


def upgrade() -> None:
    with op.batch_alter_table("api_keys", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "scopes", sa.JSON(none_as_null=True), server_default=sa.text("'[]'"), nullable=False
            )
        )
        batch_op.add_column(
            sa.Column("allowed_networks", sa.JSON(none_as_null=True), nullable=True)
        )
        batch_op.add_column(
            sa.Column("require_signature", sa.Boolean(), server_default=sa.false(), nullable=False)
        )
        batch_op.add_column(sa.Column("rate_per_second", sa.Float(), nullable=True))
        batch_op.add_column(sa.Column("rate_burst", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("signing_key", sa.Text(), nullable=True))
    op.execute(
        # Bound as JSON, not text: PostgreSQL will not put a VARCHAR into a json column.
        sa.text("UPDATE api_keys SET scopes = :scopes").bindparams(
            sa.bindparam("scopes", _SENDER_SCOPES, type_=sa.JSON())
        )
    )

    op.create_table(
        "account_profiles",
        sa.Column("account_id", sa.String(length=_ID), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("verification", sa.String(length=16), nullable=False),
        sa.Column("verified_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("review", sa.String(length=16), nullable=False),
        sa.Column("review_reason", sa.Text(), nullable=True),
        sa.Column("submitted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("reviewed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("legal_name", sa.String(length=200), nullable=True),
        sa.Column("registration_number", sa.String(length=64), nullable=True),
        sa.Column("country", sa.String(length=2), nullable=True),
        sa.Column("contact_name", sa.String(length=200), nullable=True),
        sa.Column("contact_email", sa.String(length=254), nullable=True),
        sa.Column("contact_phone", sa.String(length=20), nullable=True),
        sa.Column("suspended_reason", sa.Text(), nullable=True),
        sa.Column("suspended_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("kind IN ('sender', 'operator')", name=op.f("ck_account_profiles_kind")),
        sa.CheckConstraint(
            "verification IN ('unverified', 'verified')",
            name=op.f("ck_account_profiles_verification"),
        ),
        sa.CheckConstraint(
            "review IN ('none', 'pending_review', 'rejected', 'approved')",
            name=op.f("ck_account_profiles_review"),
        ),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["accounts.id"],
            name=op.f("fk_account_profiles_account_id_accounts"),
        ),
        sa.PrimaryKeyConstraint("account_id", name=op.f("pk_account_profiles")),
    )
    with op.batch_alter_table("account_profiles", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_account_profiles_kind"), ["kind"], unique=False)
    # Grandfather every existing account (see the module docstring).
    op.execute(
        "INSERT INTO account_profiles (account_id, kind, verification, verified_at, review, "
        "updated_at) SELECT id, 'sender', 'verified', created_at, 'none', created_at "
        "FROM accounts"
    )

    op.create_table(
        "test_numbers",
        sa.Column("id", sa.String(length=_ID), nullable=False),
        sa.Column("account_id", sa.String(length=_ID), nullable=False),
        sa.Column("e164", sa.String(length=20), nullable=False),
        sa.Column("country", sa.String(length=2), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("code_hash", sa.String(length=64), nullable=True),
        sa.Column("code_expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("code_message_id", sa.String(length=_ID), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("verified_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "status IN ('pending', 'verified')", name=op.f("ck_test_numbers_status")
        ),
        sa.ForeignKeyConstraint(
            ["account_id"], ["accounts.id"], name=op.f("fk_test_numbers_account_id_accounts")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_test_numbers")),
        sa.UniqueConstraint("account_id", "e164", name=op.f("uq_test_numbers_account_id_e164")),
    )

    op.create_table(
        "test_number_codes",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("account_id", sa.String(length=_ID), nullable=False),
        sa.Column("test_number_id", sa.String(length=_ID), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["accounts.id"],
            name=op.f("fk_test_number_codes_account_id_accounts"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_test_number_codes")),
    )
    with op.batch_alter_table("test_number_codes", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_test_number_codes_account_id_sent_at"),
            ["account_id", "sent_at"],
            unique=False,
        )

    op.create_table(
        "request_nonces",
        sa.Column("key_id", sa.String(length=_ID), nullable=False),
        sa.Column("nonce", sa.String(length=64), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("key_id", "nonce", name=op.f("pk_request_nonces")),
    )
    with op.batch_alter_table("request_nonces", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_request_nonces_expires_at"), ["expires_at"], unique=False
        )

    op.create_table(
        "audit_log",
        sa.Column("id", sa.String(length=_ID), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor", sa.String(length=100), nullable=False),
        sa.Column("actor_key_id", sa.String(length=_ID), nullable=True),
        sa.Column("action", sa.String(length=64), nullable=False),
        sa.Column("target_type", sa.String(length=32), nullable=False),
        sa.Column("target_id", sa.String(length=64), nullable=True),
        sa.Column("account_id", sa.String(length=_ID), nullable=True),
        sa.Column("before", sa.JSON(none_as_null=True), nullable=True),
        sa.Column("after", sa.JSON(none_as_null=True), nullable=True),
        sa.Column("request_id", sa.String(length=40), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_log")),
    )
    with op.batch_alter_table("audit_log", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_audit_log_account_id_id"), ["account_id", "id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_audit_log_action_id"), ["action", "id"], unique=False)


def downgrade() -> None:
    op.drop_table("audit_log")
    op.drop_table("request_nonces")
    op.drop_table("test_number_codes")
    op.drop_table("test_numbers")
    op.drop_table("account_profiles")
    with op.batch_alter_table("api_keys", schema=None) as batch_op:
        batch_op.drop_column("signing_key")
        batch_op.drop_column("rate_burst")
        batch_op.drop_column("rate_per_second")
        batch_op.drop_column("require_signature")
        batch_op.drop_column("allowed_networks")
        batch_op.drop_column("scopes")
