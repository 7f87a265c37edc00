"""Create listing_views: one row appended per view of a listing.

Revision ID: 1b21fd9fafb1
Revises: 1cc12461aa3b
Create Date: 2026-12-02 05:30:05.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "1b21fd9fafb1"
down_revision: str | None = "1cc12461aa3b"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "listing_views",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("listing_id", sa.Uuid(), nullable=False),
        sa.Column("viewed_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_listing_views")),
    )
    op.create_index("ix_listing_views_listing_id", "listing_views", ["listing_id"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_listing_views_listing_id", table_name="listing_views")
    op.drop_table("listing_views")
