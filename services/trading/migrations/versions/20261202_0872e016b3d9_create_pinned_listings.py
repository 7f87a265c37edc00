"""Create pinned_listings: the listings a seller pins to their stream, in the order pinned.

Revision ID: 0872e016b3d9
Revises: 26969b91732f
Create Date: 2026-12-02 06:14:20.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0872e016b3d9"
down_revision: str | None = "26969b91732f"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "pinned_listings",
        sa.Column("stream_id", sa.Uuid(), nullable=False),
        sa.Column("listing_id", sa.Uuid(), nullable=False),
        sa.Column("pinned_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.ForeignKeyConstraint(["listing_id"], ["listings.id"], name=op.f("fk_pinned_listings_listing_id_listings")),
        sa.ForeignKeyConstraint(["stream_id"], ["streams.id"], name=op.f("fk_pinned_listings_stream_id_streams")),
        sa.PrimaryKeyConstraint("stream_id", "listing_id", name=op.f("pk_pinned_listings")),
    )
    op.create_index("ix_pinned_listings_listing_id", "pinned_listings", ["listing_id"], unique=False)
    op.create_index(
        "ix_pinned_listings_stream_id_pinned_at",
        "pinned_listings",
        ["stream_id", "pinned_at", "listing_id"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index("ix_pinned_listings_stream_id_pinned_at", table_name="pinned_listings")
    op.drop_index("ix_pinned_listings_listing_id", table_name="pinned_listings")
    op.drop_table("pinned_listings")
