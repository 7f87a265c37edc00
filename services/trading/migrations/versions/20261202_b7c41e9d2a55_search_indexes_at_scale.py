"""Search indexes at scale: a category's active listings in newest and price order, and the typed value
indexes partial to their type with the listing's id, as catalog's.

Revision ID: b7c41e9d2a55
Revises: fdef3ecda016
Create Date: 2026-12-02 10:15:00.000000
"""

from collections.abc import Sequence

from alembic import op

revision: str = "b7c41e9d2a55"
down_revision: str | None = "fdef3ecda016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

VALUE_TYPES = ("number", "string", "boolean")


def upgrade() -> None:
    # Concurrently: building them does not hold up writes to listings and their values.
    with op.get_context().autocommit_block():
        op.create_index(
            "ix_listings_active_category_created_at",
            "listings",
            ["category_id", "created_at", "id"],
            postgresql_where="status = 'active'",
            postgresql_concurrently=True,
            if_not_exists=True,
        )
        op.create_index(
            "ix_listings_active_category_price",
            "listings",
            ["category_id", "price_minor", "id"],
            postgresql_where="status = 'active'",
            postgresql_concurrently=True,
            if_not_exists=True,
        )
        for kind in VALUE_TYPES:
            op.create_index(
                f"ix_listing_attribute_values_{kind}",
                "listing_attribute_values",
                ["key", f"value_{kind}", "listing_id"],
                postgresql_where=f"value_{kind} IS NOT NULL",
                postgresql_concurrently=True,
                if_not_exists=True,
            )
            op.drop_index(
                f"ix_listing_attribute_values_key_{kind}",
                table_name="listing_attribute_values",
                postgresql_concurrently=True,
                if_exists=True,
            )


def downgrade() -> None:
    with op.get_context().autocommit_block():
        for kind in VALUE_TYPES:
            op.create_index(
                f"ix_listing_attribute_values_key_{kind}",
                "listing_attribute_values",
                ["key", f"value_{kind}"],
                postgresql_concurrently=True,
                if_not_exists=True,
            )
            op.drop_index(
                f"ix_listing_attribute_values_{kind}",
                table_name="listing_attribute_values",
                postgresql_concurrently=True,
                if_exists=True,
            )
        for name in ("ix_listings_active_category_price", "ix_listings_active_category_created_at"):
            op.drop_index(name, table_name="listings", postgresql_concurrently=True, if_exists=True)
