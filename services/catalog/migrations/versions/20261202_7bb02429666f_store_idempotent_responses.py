"""Idempotency keys store the hash of their request and their first response.

Revision ID: 7bb02429666f
Revises: 72286feda34f
Create Date: 2026-12-02 04:21:55.763543
"""

from collections.abc import Sequence

from servicekit import revisions

revision: str = "7bb02429666f"
down_revision: str | None = "72286feda34f"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The squawk rules this revision breaks, and why that is safe (servicekit.squawk).
SQUAWK_EXCUSES = revisions.STORE_IDEMPOTENT_RESPONSES_EXCUSES


def upgrade() -> None:
    revisions.store_idempotent_responses()


def downgrade() -> None:
    revisions.keep_result_ids()
