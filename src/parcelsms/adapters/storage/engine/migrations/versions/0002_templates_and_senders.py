"""Templates with versions, locale variants, typed variables and findings; sender IDs.

* ``templates`` (one row per version of a variant) gains ``version``, ``variables``,
  ``findings``, ``submitted_at`` and ``superseded_by``, and the statuses ``draft`` and
  ``superseded``. Existing rows are numbered per (account, name, language) in creation
  order; of several approved versions of one variant only the newest stays ``approved``
  (it was the one sending), the older ones become ``superseded``.
* ``template_names``: what the variants of one template share (its default language). Each
  existing template gets ``en`` when it has an English variant, else its oldest variant's
  language.
* ``sender_ids``: sender IDs registered per account and country, with their review.
* ``message_settings``: per-account smart encoding and allowed link domains.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-29
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_OLD_STATUSES = "status IN ('pending_review', 'approved', 'rejected')"
_NEW_STATUSES = "status IN ('draft', 'pending_review', 'approved', 'rejected', 'superseded')"


def upgrade() -> None:
    with op.batch_alter_table("templates", schema=None) as batch_op:
        batch_op.add_column(sa.Column("version", sa.Integer(), nullable=False, server_default="1"))
        batch_op.add_column(
            sa.Column("variables", sa.JSON(none_as_null=True), nullable=False, server_default="{}")
        )
        batch_op.add_column(
            sa.Column("findings", sa.JSON(none_as_null=True), nullable=False, server_default="[]")
        )
        batch_op.add_column(sa.Column("submitted_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("superseded_by", sa.String(length=32), nullable=True))
        batch_op.drop_constraint(op.f("ck_templates_status"), type_="check")
        batch_op.create_check_constraint(op.f("ck_templates_status"), _NEW_STATUSES)
        batch_op.create_index(batch_op.f("ix_templates_status_id"), ["status", "id"], unique=False)

    # Number existing versions per variant, oldest first (ids sort by creation time).
    op.execute(
        "UPDATE templates SET version = (SELECT COUNT(*) FROM templates AS earlier "
        "WHERE earlier.account_id = templates.account_id AND earlier.name = templates.name "
        "AND earlier.language = templates.language AND earlier.id <= templates.id)"
    )
    op.execute("UPDATE templates SET submitted_at = created_at WHERE status <> 'draft'")
    # Only the newest approved version of a variant sent before; keep it that way explicitly.
    op.execute(
        "UPDATE templates SET status = 'superseded', superseded_by = (SELECT MAX(newer.id) "
        "FROM templates AS newer WHERE newer.account_id = templates.account_id "
        "AND newer.name = templates.name AND newer.language = templates.language "
        "AND newer.status = 'approved') "
        "WHERE status = 'approved' AND EXISTS (SELECT 1 FROM templates AS newer "
        "WHERE newer.account_id = templates.account_id AND newer.name = templates.name "
        "AND newer.language = templates.language AND newer.status = 'approved' "
        "AND newer.id > templates.id)"
    )

    op.create_table(
        "template_names",
        sa.Column("account_id", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("default_language", sa.String(length=16), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"], ["accounts.id"], name=op.f("fk_template_names_account_id_accounts")
        ),
        sa.PrimaryKeyConstraint("account_id", "name", name=op.f("pk_template_names")),
    )
    op.execute(
        "INSERT INTO template_names (account_id, name, default_language, created_at, updated_at) "
        "SELECT account_id, name, "
        "COALESCE((SELECT 'en' FROM templates AS english WHERE english.account_id = t.account_id "
        "AND english.name = t.name AND english.language = 'en' LIMIT 1), "
        "(SELECT oldest.language FROM templates AS oldest WHERE oldest.account_id = t.account_id "
        "AND oldest.name = t.name ORDER BY oldest.id LIMIT 1)), "
        "MIN(created_at), MAX(created_at) "
        "FROM templates AS t GROUP BY account_id, name"
    )

    op.create_table(
        "sender_ids",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("account_id", sa.String(length=32), nullable=False),
        sa.Column("value", sa.String(length=16), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("country", sa.String(length=2), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("reviewed_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint("kind IN ('alphanumeric', 'numeric')", name=op.f("ck_sender_ids_kind")),
        sa.CheckConstraint(
            "status IN ('pending_review', 'approved', 'rejected')",
            name=op.f("ck_sender_ids_status"),
        ),
        sa.ForeignKeyConstraint(
            ["account_id"], ["accounts.id"], name=op.f("fk_sender_ids_account_id_accounts")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sender_ids")),
    )
    with op.batch_alter_table("sender_ids", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_sender_ids_account_id_id"), ["account_id", "id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_sender_ids_status_id"), ["status", "id"], unique=False)

    op.create_table(
        "message_settings",
        sa.Column("account_id", sa.String(length=32), nullable=False),
        sa.Column("smart_encoding", sa.Boolean(), nullable=False),
        sa.Column("link_domains", sa.JSON(none_as_null=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"], ["accounts.id"], name=op.f("fk_message_settings_account_id_accounts")
        ),
        sa.PrimaryKeyConstraint("account_id", name=op.f("pk_message_settings")),
    )


def downgrade() -> None:
    op.drop_table("message_settings")
    with op.batch_alter_table("sender_ids", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_sender_ids_status_id"))
        batch_op.drop_index(batch_op.f("ix_sender_ids_account_id_id"))
    op.drop_table("sender_ids")
    op.drop_table("template_names")
    # Versions that only the new lifecycle knows become what the old one can show.
    op.execute("UPDATE templates SET status = 'approved' WHERE status = 'superseded'")
    op.execute("UPDATE templates SET status = 'pending_review' WHERE status = 'draft'")
    with op.batch_alter_table("templates", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_templates_status_id"))
        batch_op.drop_constraint(op.f("ck_templates_status"), type_="check")
        batch_op.create_check_constraint(op.f("ck_templates_status"), _OLD_STATUSES)
        batch_op.drop_column("superseded_by")
        batch_op.drop_column("submitted_at")
        batch_op.drop_column("findings")
        batch_op.drop_column("variables")
        batch_op.drop_column("version")
