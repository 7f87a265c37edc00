"""Create users: unique email and username whatever their case, unique phone, role and status.

Revision ID: 2fff1eff9a78
Revises: b82477f08fa5
Create Date: 2026-11-23 05:37:32.976850
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from servicekit import revisions

revision: str = "2fff1eff9a78"
down_revision: str | None = "b82477f08fa5"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The squawk rules this revision breaks, and why that is safe (servicekit.squawk).
SQUAWK_EXCUSES = {"prefer-text-field": revisions.VARCHAR_LENGTHS}


def upgrade() -> None:
    op.execute("CREATE EXTENSION IF NOT EXISTS citext")
    op.create_table(
        "users",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("email", postgresql.CITEXT(), nullable=False),
        sa.Column("username", postgresql.CITEXT(), nullable=False),
        sa.Column("phone", sa.String(length=16), nullable=True),
        sa.Column("role", sa.Enum("buyer", "seller", "both", "admin", name="user_role"), nullable=False),
        sa.Column("status", sa.Enum("active", "suspended", name="user_status"), nullable=False),
        sa.Column("password_hash", sa.String(length=200), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint("char_length(email) <= 254 AND strpos(email, '@') > 1", name=op.f("ck_users_email_shape")),
        sa.CheckConstraint("password_hash LIKE '$argon2id$%'", name=op.f("ck_users_password_hash_argon2id")),
        sa.CheckConstraint("phone ~ '^\\+[1-9][0-9]{6,14}$'", name=op.f("ck_users_phone_shape")),
        sa.CheckConstraint("username ~ '^[A-Za-z0-9_.-]{3,30}$'", name=op.f("ck_users_username_shape")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_users")),
        sa.UniqueConstraint("email", name=op.f("uq_users_email")),
        sa.UniqueConstraint("phone", name=op.f("uq_users_phone")),
        sa.UniqueConstraint("username", name=op.f("uq_users_username")),
    )


def downgrade() -> None:
    op.drop_table("users")
    op.execute("DROP TYPE user_status")
    op.execute("DROP TYPE user_role")
    op.execute("DROP EXTENSION IF EXISTS citext")
