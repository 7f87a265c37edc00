"""Drop the search document's expression index: searches read the stored column and its index.

Contract, after the revision that stored the document: no search of this code reads the expression.

Revision ID: 6e2d8b4f1c73
Revises: 3a91c5e0d7b4
Create Date: 2026-12-02 11:00:01.000000
"""

from collections.abc import Sequence

from alembic import op

revision: str = "6e2d8b4f1c73"
down_revision: str | None = "3a91c5e0d7b4"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# As trading.models.SEARCH_DOCUMENT spelled it: a revision does not import the code that changes after it.
SEARCH_DOCUMENT = (
    "(setweight(to_tsvector('simple'::regconfig, title), 'A') || "
    "setweight(to_tsvector('simple'::regconfig, description), 'B'))"
)


def upgrade() -> None:
    with op.get_context().autocommit_block():
        op.drop_index(
            "ix_listings_search_document", table_name="listings", postgresql_concurrently=True, if_exists=True
        )


def downgrade() -> None:
    with op.get_context().autocommit_block():
        op.execute(
            f"CREATE INDEX CONCURRENTLY IF NOT EXISTS ix_listings_search_document ON listings USING gin ({SEARCH_DOCUMENT})"
        )
