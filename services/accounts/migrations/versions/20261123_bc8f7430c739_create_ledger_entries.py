"""Create ledger entries: the lines of postings, in their account's currency.

Revision ID: bc8f7430c739
Revises: e3c5fca446d0
Create Date: 2026-11-23 07:00:03.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from servicekit import revisions

revision: str = "bc8f7430c739"
down_revision: str | None = "e3c5fca446d0"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The squawk rules this revision breaks, and why that is safe (servicekit.squawk).
SQUAWK_EXCUSES = {"prefer-text-field": revisions.VARCHAR_LENGTHS}


def upgrade() -> None:
    op.create_table(
        "ledger_entries",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("posting_id", sa.Uuid(), nullable=False),
        sa.Column("account_id", sa.Uuid(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("amount_minor", sa.BigInteger(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint("amount_minor <> 0", name=op.f("ck_ledger_entries_amount_not_zero")),
        sa.ForeignKeyConstraint(
            ["account_id", "currency"],
            ["ledger_accounts.id", "ledger_accounts.currency"],
            name="fk_ledger_entries_account_id_ledger_accounts",
        ),
        sa.ForeignKeyConstraint(
            ["posting_id", "currency"],
            ["postings.id", "postings.currency"],
            name="fk_ledger_entries_posting_id_postings",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ledger_entries")),
        sa.UniqueConstraint("posting_id", "account_id", name="uq_ledger_entries_posting_id_account_id"),
    )
    op.create_index(
        "ix_ledger_entries_account_id_created_at_id", "ledger_entries", ["account_id", "created_at", "id"], unique=False
    )


def downgrade() -> None:
    op.drop_index("ix_ledger_entries_account_id_created_at_id", table_name="ledger_entries")
    op.drop_table("ledger_entries")
