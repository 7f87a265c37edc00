"""Standing queries may be saved searches.

Revision ID: a86562910d40
Revises: 749853ad7c66
Create Date: 2026-12-02 14:45:00.000000
"""

from collections.abc import Sequence

from alembic import op

revision: str = "a86562910d40"
down_revision: str | None = "749853ad7c66"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.execute("ALTER TYPE standing_query_kind ADD VALUE IF NOT EXISTS 'saved_search' AFTER 'buy_order'")


def downgrade() -> None:
    # PostgreSQL cannot drop an enum value: the saved searches' queries go (their rows with them, by the
    # cascades of the next revision's tables, which its downgrade dropped), then the type is made again.
    op.execute("DELETE FROM standing_queries WHERE kind = 'saved_search'")
    op.execute("ALTER TYPE standing_query_kind RENAME TO standing_query_kind_with_saved_search")
    op.execute("CREATE TYPE standing_query_kind AS ENUM ('buy_order')")
    op.execute(
        "ALTER TABLE standing_queries ALTER COLUMN kind TYPE standing_query_kind USING kind::text::standing_query_kind"
    )
    op.execute("DROP TYPE standing_query_kind_with_saved_search")
