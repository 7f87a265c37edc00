"""Index the title's words: a GIN index of to_tsvector('simple', title), built concurrently.

A search by relevance reads the listings with every word in their title first, in id order, as one part
(trading.search.postgres): the stored document's index cannot tell the title's words from the
description's (GIN keeps no weights).

Revision ID: 9c4e7a2f5b18
Revises: 6e2d8b4f1c73
Create Date: 2026-12-02 14:00:00.000000
"""

from collections.abc import Sequence

from alembic import op

revision: str = "9c4e7a2f5b18"
down_revision: str | None = "6e2d8b4f1c73"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.get_context().autocommit_block():
        op.execute(
            "CREATE INDEX CONCURRENTLY IF NOT EXISTS ix_listings_title_document ON listings"
            " USING gin (to_tsvector('simple'::regconfig, title))"
        )


def downgrade() -> None:
    with op.get_context().autocommit_block():
        op.drop_index("ix_listings_title_document", table_name="listings", postgresql_concurrently=True, if_exists=True)
