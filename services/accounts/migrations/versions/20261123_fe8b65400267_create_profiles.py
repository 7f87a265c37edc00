"""Create profiles, one per user, with PostGIS for their locations.

Revision ID: fe8b65400267
Revises: 2fff1eff9a78
Create Date: 2026-11-23 05:38:02.728770
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from geoalchemy2 import Geography

from servicekit import revisions

revision: str = "fe8b65400267"
down_revision: str | None = "2fff1eff9a78"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The squawk rules this revision breaks, and why that is safe (servicekit.squawk).
SQUAWK_EXCUSES = {"prefer-text-field": revisions.VARCHAR_LENGTHS}


def upgrade() -> None:
    op.execute("CREATE EXTENSION IF NOT EXISTS postgis")
    op.create_geospatial_table(
        "profiles",
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("display_name", sa.String(length=100), nullable=False),
        sa.Column("bio", sa.Text(), nullable=False),
        sa.Column("avatar_url", sa.String(length=2048), nullable=False),
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
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint("char_length(bio) <= 2000", name=op.f("ck_profiles_bio_length")),
        sa.CheckConstraint("char_length(display_name) <= 100", name=op.f("ck_profiles_display_name_length")),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_profiles_user_id_users"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("user_id", name=op.f("pk_profiles")),
    )
    op.create_geospatial_index(
        "idx_profiles_location", "profiles", ["location"], unique=False, postgresql_using="gist", postgresql_ops={}
    )


def downgrade() -> None:
    op.drop_geospatial_index(
        "idx_profiles_location", table_name="profiles", postgresql_using="gist", column_name="location"
    )
    op.drop_geospatial_table("profiles")
    op.execute("DROP EXTENSION IF EXISTS postgis")
