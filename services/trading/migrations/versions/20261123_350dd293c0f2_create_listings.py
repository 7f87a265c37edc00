"""Create listings, with PostGIS for their locations.

Revision ID: 350dd293c0f2
Revises: c9f6c8d6c441
Create Date: 2026-11-23 05:35:39.642650
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from geoalchemy2 import Geography

from servicekit import revisions

revision: str = "350dd293c0f2"
down_revision: str | None = "c9f6c8d6c441"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The squawk rules this revision breaks, and why that is safe (servicekit.squawk).
SQUAWK_EXCUSES = {"prefer-text-field": revisions.VARCHAR_LENGTHS}


ENUM_TYPES = ("listing_condition", "listing_feed", "listing_status")


def upgrade() -> None:
    op.execute("CREATE EXTENSION IF NOT EXISTS postgis")
    op.create_geospatial_table(
        "listings",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("seller_id", sa.Uuid(), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column(
            "condition", sa.Enum("new", "like_new", "good", "fair", "poor", name="listing_condition"), nullable=True
        ),
        sa.Column("price_minor", sa.BigInteger(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column(
            "location",
            Geography(
                geometry_type="POINT",
                srid=4326,
                dimension=2,
                spatial_index=False,
                from_text="ST_GeogFromText",
                name="geography",
            ),
            nullable=True,
        ),
        sa.Column("feed", sa.Enum("discover", "community", name="listing_feed"), nullable=False),
        sa.Column("status", sa.Enum("active", "reserved", "sold", "cancelled", name="listing_status"), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint("currency ~ '^[A-Z]{3}$'", name=op.f("ck_listings_currency_iso4217")),
        sa.CheckConstraint("char_length(title) BETWEEN 1 AND 200", name=op.f("ck_listings_title_length")),
        sa.CheckConstraint("price_minor > 0", name=op.f("ck_listings_price_positive")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_listings")),
    )
    op.create_geospatial_index(
        "idx_listings_location", "listings", ["location"], unique=False, postgresql_using="gist", postgresql_ops={}
    )
    op.create_index(op.f("ix_listings_seller_id"), "listings", ["seller_id"], unique=False)
    op.create_index("ix_listings_status_created_at", "listings", ["status", "created_at"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_listings_status_created_at", table_name="listings")
    op.drop_index(op.f("ix_listings_seller_id"), table_name="listings")
    op.drop_geospatial_index(
        "idx_listings_location", table_name="listings", postgresql_using="gist", column_name="location"
    )
    op.drop_geospatial_table("listings")
    for name in ENUM_TYPES:
        op.execute(f"DROP TYPE {name}")
    op.execute("DROP EXTENSION IF EXISTS postgis")
