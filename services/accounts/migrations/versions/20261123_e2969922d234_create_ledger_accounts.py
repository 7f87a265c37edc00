"""Create ledger accounts: each user's available and held balance per currency, and the platform's.

Revision ID: e2969922d234
Revises: c8c3a8b9a157
Create Date: 2026-11-23 07:00:01.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from servicekit import revisions

revision: str = "e2969922d234"
down_revision: str | None = "c8c3a8b9a157"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The squawk rules this revision breaks, and why that is safe (servicekit.squawk).
SQUAWK_EXCUSES = {
    "prefer-bigint-over-smallint": "shard numbers a balance's few stripes, never more than a smallint holds",
    "prefer-text-field": revisions.VARCHAR_LENGTHS,
}


def upgrade() -> None:
    op.create_table(
        "ledger_accounts",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=True),
        sa.Column(
            "kind",
            sa.Enum("available", "held", "platform_fees", "external", name="ledger_account_kind"),
            nullable=False,
        ),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("shard", sa.SmallInteger(), server_default="0", nullable=False),
        sa.Column("balance_minor", sa.BigInteger(), server_default="0", nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint(
            "(user_id IS NOT NULL) = (kind IN ('available', 'held'))",
            name=op.f("ck_ledger_accounts_user_accounts_have_an_owner"),
        ),
        sa.CheckConstraint("currency ~ '^[A-Z]{3}$'", name=op.f("ck_ledger_accounts_currency_iso_4217")),
        sa.CheckConstraint(
            "kind = 'external' OR balance_minor >= 0", name=op.f("ck_ledger_accounts_balance_not_negative")
        ),
        sa.CheckConstraint(
            "shard >= 0 AND (user_id IS NULL OR shard = 0)",
            name=op.f("ck_ledger_accounts_only_platform_accounts_shard"),
        ),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_ledger_accounts_user_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ledger_accounts")),
        sa.UniqueConstraint("id", "currency", name="uq_ledger_accounts_id_currency"),
        sa.UniqueConstraint(
            "user_id", "kind", "currency", "shard", name="uq_ledger_accounts_owner", postgresql_nulls_not_distinct=True
        ),
    )


def downgrade() -> None:
    op.drop_table("ledger_accounts")
    op.execute("DROP TYPE ledger_account_kind")
