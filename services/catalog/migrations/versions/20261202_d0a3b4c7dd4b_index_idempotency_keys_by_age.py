"""Index idempotency keys by age, so that pruning the old ones finds them without a scan.

Revision ID: d0a3b4c7dd4b
Revises: fa775129227f
Create Date: 2026-12-02 05:42:41.690282
"""

from collections.abc import Sequence

from servicekit import revisions

revision: str = "d0a3b4c7dd4b"
down_revision: str | None = "fa775129227f"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    revisions.index_idempotency_keys_by_age()


def downgrade() -> None:
    revisions.drop_idempotency_keys_age_index()
