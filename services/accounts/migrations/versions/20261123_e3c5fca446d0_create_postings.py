"""Create postings: balanced movements of money, each made once per idempotency key.

Revision ID: e3c5fca446d0
Revises: e2969922d234
Create Date: 2026-11-23 07:00:02.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from servicekit import revisions

revision: str = "e3c5fca446d0"
down_revision: str | None = "e2969922d234"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The squawk rules this revision breaks, and why that is safe (servicekit.squawk).
SQUAWK_EXCUSES = {"prefer-text-field": revisions.VARCHAR_LENGTHS}


def upgrade() -> None:
    op.create_table(
        "postings",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("kind", sa.Enum("deposit", "hold", "capture", "release", name="posting_kind"), nullable=False),
        sa.Column("scope", sa.String(length=100), nullable=False),
        sa.Column("request_id", sa.String(length=200), nullable=False),
        sa.Column("transaction_id", sa.Uuid(), nullable=True),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint("currency ~ '^[A-Z]{3}$'", name=op.f("ck_postings_currency_iso_4217")),
        sa.CheckConstraint("request_id <> ''", name=op.f("ck_postings_request_id_not_empty")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_postings")),
        sa.UniqueConstraint("id", "currency", name="uq_postings_id_currency"),
        sa.UniqueConstraint("scope", "request_id", name="uq_postings_scope_request_id"),
    )


def downgrade() -> None:
    op.drop_table("postings")
    op.execute("DROP TYPE posting_kind")
