"""Create login failures: failed sign-ins per account and per client in a time window.

Revision ID: b321c28a8fbb
Revises: b4aebaff7e41
Create Date: 2026-11-23 07:00:05.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from servicekit import revisions

revision: str = "b321c28a8fbb"
down_revision: str | None = "b4aebaff7e41"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The squawk rules this revision breaks, and why that is safe (servicekit.squawk).
SQUAWK_EXCUSES = {
    "prefer-bigint-over-int": "failures counts sign-ins in one window, stopped by throttling long before 2^31",
    "prefer-text-field": revisions.VARCHAR_LENGTHS,
}


def upgrade() -> None:
    op.create_table(
        "login_failures",
        sa.Column("key", sa.String(length=300), nullable=False),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("window_started_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("failures > 0", name=op.f("ck_login_failures_failures_positive")),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_login_failures")),
    )
    op.create_index(op.f("ix_login_failures_window_started_at"), "login_failures", ["window_started_at"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_login_failures_window_started_at"), table_name="login_failures")
    op.drop_table("login_failures")
