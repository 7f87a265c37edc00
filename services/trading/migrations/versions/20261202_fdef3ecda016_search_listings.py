"""Search listings: pg_trgm, a GIN index on the weighted text and a trigram one on titles, and the
listings' attribute values typed in listing_attribute_values (filled from the listings there are).

Revision ID: fdef3ecda016
Revises: 0872e016b3d9
Create Date: 2026-12-02 07:52:18.652887
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "fdef3ecda016"
down_revision: str | None = "0872e016b3d9"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# As trading.models.SEARCH_DOCUMENT spells it: a revision does not import the code that changes after it.
SEARCH_DOCUMENT = (
    "(setweight(to_tsvector('simple'::regconfig, title), 'A') || "
    "setweight(to_tsvector('simple'::regconfig, description), 'B'))"
)


def upgrade() -> None:
    op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    op.create_table(
        "listing_attribute_values",
        sa.Column("listing_id", sa.Uuid(), nullable=False),
        sa.Column("key", sa.Text(), nullable=False),
        sa.Column("value_string", sa.Text(), nullable=True),
        sa.Column("value_number", sa.Double(), nullable=True),
        sa.Column("value_boolean", sa.Boolean(), nullable=True),
        sa.CheckConstraint("char_length(key) BETWEEN 1 AND 64", name=op.f("ck_listing_attribute_values_key_length")),
        sa.CheckConstraint(
            "num_nonnulls(value_string, value_number, value_boolean) = 1",
            name=op.f("ck_listing_attribute_values_one_typed_value"),
        ),
        sa.ForeignKeyConstraint(
            ["listing_id"],
            ["listings.id"],
            name=op.f("fk_listing_attribute_values_listing_id_listings"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("listing_id", "key", name=op.f("pk_listing_attribute_values")),
    )
    # A new table: its indexes are built plainly, before any row arrives.
    op.create_index("ix_listing_attribute_values_key_boolean", "listing_attribute_values", ["key", "value_boolean"])
    op.create_index("ix_listing_attribute_values_key_number", "listing_attribute_values", ["key", "value_number"])
    op.create_index("ix_listing_attribute_values_key_string", "listing_attribute_values", ["key", "value_string"])
    op.execute(
        """
        INSERT INTO listing_attribute_values (listing_id, key, value_string, value_number, value_boolean)
        SELECT listings.id, value.key,
               CASE jsonb_typeof(value.value) WHEN 'string' THEN value.value #>> '{}' END,
               CASE jsonb_typeof(value.value) WHEN 'number' THEN (value.value #>> '{}')::double precision END,
               CASE jsonb_typeof(value.value) WHEN 'boolean' THEN (value.value #>> '{}')::boolean END
        FROM listings, jsonb_each(listings.attributes) AS value
        WHERE jsonb_typeof(value.value) IN ('string', 'number', 'boolean')
        """
    )
    # Concurrently: building the indexes of listings does not hold up writes to it.
    with op.get_context().autocommit_block():
        op.create_index(
            "ix_listings_search_document",
            "listings",
            [sa.literal_column(SEARCH_DOCUMENT)],
            postgresql_using="gin",
            postgresql_concurrently=True,
            if_not_exists=True,
        )
        op.create_index(
            "ix_listings_title_trgm",
            "listings",
            ["title"],
            postgresql_using="gin",
            postgresql_ops={"title": "gin_trgm_ops"},
            postgresql_concurrently=True,
            if_not_exists=True,
        )


def downgrade() -> None:
    with op.get_context().autocommit_block():
        op.drop_index("ix_listings_title_trgm", table_name="listings", postgresql_concurrently=True, if_exists=True)
        op.drop_index(
            "ix_listings_search_document", table_name="listings", postgresql_concurrently=True, if_exists=True
        )
    op.drop_table("listing_attribute_values")
    op.execute("DROP EXTENSION IF EXISTS pg_trgm")
