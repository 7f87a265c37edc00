"""Create saved searches and the listings each was told of.

Revision ID: b414c8de9e37
Revises: a86562910d40
Create Date: 2026-12-02 14:46:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "b414c8de9e37"
down_revision: str | None = "a86562910d40"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "saved_searches",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("owner_id", sa.Uuid(), nullable=False),
        sa.Column("q", sa.Text(), server_default="", nullable=False),
        sa.Column("attributes", postgresql.ARRAY(sa.Text()), server_default=sa.text("'{}'::text[]"), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.ForeignKeyConstraint(
            ["id"], ["standing_queries.id"], name=op.f("fk_saved_searches_id_standing_queries"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_saved_searches")),
    )
    op.create_index(
        "ix_saved_searches_owner_id_created_at", "saved_searches", ["owner_id", "created_at", "id"], unique=False
    )
    op.create_table(
        "saved_search_matches",
        sa.Column("saved_search_id", sa.Uuid(), nullable=False),
        sa.Column("listing_id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.ForeignKeyConstraint(
            ["listing_id"], ["listings.id"], name=op.f("fk_saved_search_matches_listing_id_listings")
        ),
        sa.ForeignKeyConstraint(
            ["saved_search_id"],
            ["saved_searches.id"],
            name=op.f("fk_saved_search_matches_saved_search_id_saved_searches"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("saved_search_id", "listing_id", name=op.f("pk_saved_search_matches")),
    )


def downgrade() -> None:
    op.drop_table("saved_search_matches")
    op.drop_index("ix_saved_searches_owner_id_created_at", table_name="saved_searches")
    op.drop_table("saved_searches")
