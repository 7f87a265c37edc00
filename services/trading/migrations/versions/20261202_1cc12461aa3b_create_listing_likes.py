"""Create listing_likes: one row per user who likes a listing.

Revision ID: 1cc12461aa3b
Revises: 5f87c0328589
Create Date: 2026-12-02 05:30:04.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "1cc12461aa3b"
down_revision: str | None = "5f87c0328589"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "listing_likes",
        sa.Column("listing_id", sa.Uuid(), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.ForeignKeyConstraint(
            ["listing_id"], ["listings.id"], name=op.f("fk_listing_likes_listing_id_listings"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("listing_id", "user_id", name=op.f("pk_listing_likes")),
    )


def downgrade() -> None:
    op.drop_table("listing_likes")
