"""Index idempotency keys by age, so that pruning the old ones finds them without a scan.

Revision ID: 14b6d6612109
Revises: b22f6857dfff
Create Date: 2026-12-02 05:42:43.419271
"""

from collections.abc import Sequence

from servicekit import revisions

revision: str = "14b6d6612109"
down_revision: str | None = "b22f6857dfff"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    revisions.index_idempotency_keys_by_age()


def downgrade() -> None:
    revisions.drop_idempotency_keys_age_index()
