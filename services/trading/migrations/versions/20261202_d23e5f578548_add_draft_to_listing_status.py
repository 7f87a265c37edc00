"""A listing may be a draft, seen by its seller only.

Revision ID: d23e5f578548
Revises: 0ade46d6f02a
Create Date: 2026-12-02 05:30:00.000000
"""

from collections.abc import Sequence

from alembic import op

revision: str = "d23e5f578548"
down_revision: str | None = "0ade46d6f02a"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.execute("ALTER TYPE listing_status ADD VALUE IF NOT EXISTS 'draft' BEFORE 'active'")


def downgrade() -> None:
    # PostgreSQL cannot drop an enum value: the type is made again without it, and drafts, which
    # the release before this one cannot show, become cancelled listings.
    op.execute("UPDATE listings SET status = 'cancelled' WHERE status = 'draft'")
    op.execute("ALTER TYPE listing_status RENAME TO listing_status_with_draft")
    op.execute("CREATE TYPE listing_status AS ENUM ('active', 'reserved', 'sold', 'cancelled')")
    op.execute("ALTER TABLE listings ALTER COLUMN status TYPE listing_status USING status::text::listing_status")
    op.execute("DROP TYPE listing_status_with_draft")
