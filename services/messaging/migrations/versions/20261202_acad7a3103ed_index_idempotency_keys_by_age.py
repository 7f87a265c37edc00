"""Index idempotency keys by age, so that pruning the old ones finds them without a scan.

Revision ID: acad7a3103ed
Revises: e6395ea4707d
Create Date: 2026-12-02 05:42:46.207969
"""

from collections.abc import Sequence

from servicekit import revisions

revision: str = "acad7a3103ed"
down_revision: str | None = "e6395ea4707d"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    revisions.index_idempotency_keys_by_age()


def downgrade() -> None:
    revisions.drop_idempotency_keys_age_index()
