"""Index idempotency keys by age, so that pruning the old ones finds them without a scan.

Revision ID: d5acee96aa27
Revises: 8d0fe52b9596
Create Date: 2026-12-02 05:42:45.000373
"""

from collections.abc import Sequence

from servicekit import revisions

revision: str = "d5acee96aa27"
down_revision: str | None = "8d0fe52b9596"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    revisions.index_idempotency_keys_by_age()


def downgrade() -> None:
    revisions.drop_idempotency_keys_age_index()
