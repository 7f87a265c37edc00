"""An item is in one listing at most until that one is sold or cancelled.

Revision ID: ffd25ae14650
Revises: c2e9ee5d7ed3
Create Date: 2026-12-02 05:30:02.000000
"""

from collections.abc import Sequence

from alembic import op

revision: str = "ffd25ae14650"
down_revision: str | None = "c2e9ee5d7ed3"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Concurrently: building the index does not hold up writes to listings.
    with op.get_context().autocommit_block():
        op.create_index(
            "uq_listings_item_id_open",
            "listings",
            ["item_id"],
            unique=True,
            postgresql_where="status NOT IN ('sold', 'cancelled')",
            postgresql_concurrently=True,
            if_not_exists=True,
        )


def downgrade() -> None:
    with op.get_context().autocommit_block():
        op.drop_index("uq_listings_item_id_open", table_name="listings", postgresql_concurrently=True, if_exists=True)
