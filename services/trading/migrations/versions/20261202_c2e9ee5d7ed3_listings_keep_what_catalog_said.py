"""Listings keep the catalog item, category and game they sell and the values catalog checked.

Revision ID: c2e9ee5d7ed3
Revises: d23e5f578548
Create Date: 2026-12-02 05:30:01.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "c2e9ee5d7ed3"
down_revision: str | None = "d23e5f578548"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Added NOT VALID, so that adding them scans no rows under the table's lock; a later revision validates them.
CHECKS = {
    "ck_listings_item_has_category": "item_id IS NULL OR category_id IS NOT NULL",
    "ck_listings_category_has_game": "(category_id IS NULL) = (game_id IS NULL)",
    "ck_listings_attributes_object": "jsonb_typeof(attributes) = 'object'",
}


def upgrade() -> None:
    op.add_column("listings", sa.Column("item_id", sa.Uuid(), nullable=True))
    op.add_column("listings", sa.Column("category_id", sa.Uuid(), nullable=True))
    op.add_column("listings", sa.Column("game_id", sa.Uuid(), nullable=True))
    op.add_column(
        "listings",
        sa.Column(
            "attributes", postgresql.JSONB(astext_type=sa.Text()), server_default=sa.text("'{}'::jsonb"), nullable=False
        ),
    )
    for name, condition in CHECKS.items():
        op.create_check_constraint(op.f(name), "listings", condition, postgresql_not_valid=True)


def downgrade() -> None:
    for name in CHECKS:
        op.drop_constraint(op.f(name), "listings", type_="check")
    op.drop_column("listings", "attributes")
    op.drop_column("listings", "game_id")
    op.drop_column("listings", "category_id")
    op.drop_column("listings", "item_id")
