"""Listings carry pictures, a video and a thumbnail.

Revision ID: 5f87c0328589
Revises: ffd25ae14650
Create Date: 2026-12-02 05:30:03.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "5f87c0328589"
down_revision: str | None = "ffd25ae14650"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Added NOT VALID, so that adding them scans no rows under the table's lock; a later revision validates them.
CHECKS = {
    "ck_listings_image_count": "cardinality(image_urls) <= 10",
    "ck_listings_video_url_length": "char_length(video_url) <= 2048",
    "ck_listings_thumbnail_url_length": "char_length(thumbnail_url) <= 2048",
}


def upgrade() -> None:
    op.add_column(
        "listings",
        sa.Column("image_urls", postgresql.ARRAY(sa.Text()), server_default=sa.text("'{}'::text[]"), nullable=False),
    )
    op.add_column("listings", sa.Column("video_url", sa.Text(), server_default="", nullable=False))
    op.add_column("listings", sa.Column("thumbnail_url", sa.Text(), server_default="", nullable=False))
    for name, condition in CHECKS.items():
        op.create_check_constraint(op.f(name), "listings", condition, postgresql_not_valid=True)


def downgrade() -> None:
    for name in CHECKS:
        op.drop_constraint(op.f(name), "listings", type_="check")
    op.drop_column("listings", "thumbnail_url")
    op.drop_column("listings", "video_url")
    op.drop_column("listings", "image_urls")
