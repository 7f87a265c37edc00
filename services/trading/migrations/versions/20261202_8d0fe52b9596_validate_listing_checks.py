"""Validate the CHECK constraints added NOT VALID to listings for their catalog facts and media.

Revision ID: 8d0fe52b9596
Revises: 1b21fd9fafb1
Create Date: 2026-12-02 05:30:06.000000
"""

from collections.abc import Sequence

from alembic import op

revision: str = "8d0fe52b9596"
down_revision: str | None = "1b21fd9fafb1"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# VALIDATE takes a lock that lets reads and writes of listings go on while it scans.
CHECKS = (
    "ck_listings_item_has_category",
    "ck_listings_category_has_game",
    "ck_listings_attributes_object",
    "ck_listings_image_count",
    "ck_listings_video_url_length",
    "ck_listings_thumbnail_url_length",
)


def upgrade() -> None:
    for name in CHECKS:
        op.execute(f"ALTER TABLE listings VALIDATE CONSTRAINT {name}")


def downgrade() -> None:
    # Nothing to undo: a validated constraint checks the same rows as one not yet validated, and
    # the revisions that added them drop them.
    pass
