"""Index the processed events by age, so that pruning the old ones finds them without a scan.

Revision ID: 90084461bc9e
Revises: e83d27b9f510
Create Date: 2026-12-03 04:44:48.528169
"""

from collections.abc import Sequence

from servicekit import revisions

revision: str = "90084461bc9e"
down_revision: str | None = "e83d27b9f510"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    revisions.index_by_age("processed_events", "processed_at")


def downgrade() -> None:
    revisions.drop_age_index("processed_events", "processed_at")
