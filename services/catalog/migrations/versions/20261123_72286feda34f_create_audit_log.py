"""Create the audit log of admin changes: who, when, what, before and after.

Revision ID: 72286feda34f
Revises: 0693bc129967
Create Date: 2026-11-23 06:08:27.257969
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from servicekit import revisions

revision: str = "72286feda34f"
down_revision: str | None = "0693bc129967"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The squawk rules this revision breaks, and why that is safe (servicekit.squawk).
SQUAWK_EXCUSES = {"prefer-text-field": revisions.VARCHAR_LENGTHS}


def upgrade() -> None:
    op.create_table(
        "audit_log",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("actor_id", sa.Uuid(), nullable=False),
        sa.Column("action", sa.Enum("created", "updated", "deleted", name="audit_action"), nullable=False),
        sa.Column("resource_type", sa.String(length=50), nullable=False),
        sa.Column("resource_id", sa.Uuid(), nullable=False),
        sa.Column("before", postgresql.JSONB(astext_type=sa.Text()), nullable=True),
        sa.Column("after", postgresql.JSONB(astext_type=sa.Text()), nullable=True),
        sa.Column("occurred_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint("before IS NOT NULL OR after IS NOT NULL", name=op.f("ck_audit_log_has_a_state")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_log")),
    )
    op.create_index(
        "ix_audit_log_resource_type_resource_id_id", "audit_log", ["resource_type", "resource_id", "id"], unique=False
    )


def downgrade() -> None:
    op.drop_index("ix_audit_log_resource_type_resource_id_id", table_name="audit_log")
    op.drop_table("audit_log")
    op.execute("DROP TYPE audit_action")
