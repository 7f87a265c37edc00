"""Create verifications: one fact about a user, reviewed by an admin, with its evidence as JSONB.

Revision ID: c8c3a8b9a157
Revises: 964ab0672425
Create Date: 2026-11-23 07:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "c8c3a8b9a157"
down_revision: str | None = "964ab0672425"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "verifications",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column(
            "type", sa.Enum("email", "phone", "government_id", "address", name="verification_type"), nullable=False
        ),
        sa.Column("status", sa.Enum("pending", "approved", "rejected", name="verification_status"), nullable=False),
        sa.Column("data", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("rejection_reason", sa.Text(), nullable=False),
        sa.Column("reviewer_id", sa.Uuid(), nullable=True),
        sa.Column("submitted_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint(
            "(status = 'pending') = (decided_at IS NULL)", name=op.f("ck_verifications_decided_unless_pending")
        ),
        sa.CheckConstraint(
            "(status = 'pending') = (reviewer_id IS NULL)", name=op.f("ck_verifications_reviewer_unless_pending")
        ),
        sa.CheckConstraint("jsonb_typeof(data) = 'object'", name=op.f("ck_verifications_data_is_object")),
        sa.CheckConstraint(
            "status = 'rejected' OR rejection_reason = ''", name=op.f("ck_verifications_reason_only_when_rejected")
        ),
        sa.ForeignKeyConstraint(["reviewer_id"], ["users.id"], name=op.f("fk_verifications_reviewer_id_users")),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_verifications_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_verifications")),
    )
    op.create_index(
        "ix_verifications_status_submitted_at_id", "verifications", ["status", "submitted_at", "id"], unique=False
    )
    op.create_index(
        "ix_verifications_user_id_submitted_at_id", "verifications", ["user_id", "submitted_at", "id"], unique=False
    )
    op.create_index(
        "uq_verifications_pending_user_id_type",
        "verifications",
        ["user_id", "type"],
        unique=True,
        postgresql_where=sa.text("status = 'pending'"),
    )


def downgrade() -> None:
    op.drop_index("uq_verifications_pending_user_id_type", table_name="verifications")
    op.drop_index("ix_verifications_user_id_submitted_at_id", table_name="verifications")
    op.drop_index("ix_verifications_status_submitted_at_id", table_name="verifications")
    op.drop_table("verifications")
    op.execute("DROP TYPE verification_status")
    op.execute("DROP TYPE verification_type")
