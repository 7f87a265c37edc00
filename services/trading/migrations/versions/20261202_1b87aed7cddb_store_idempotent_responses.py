"""Idempotency keys store the hash of their request and their first response.

Revision ID: 1b87aed7cddb
Revises: 350dd293c0f2
Create Date: 2026-12-02 04:21:57.198164
"""

from collections.abc import Sequence

from servicekit import revisions

revision: str = "1b87aed7cddb"
down_revision: str | None = "350dd293c0f2"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The squawk rules this revision breaks, and why that is safe (servicekit.squawk).
SQUAWK_EXCUSES = revisions.STORE_IDEMPOTENT_RESPONSES_EXCUSES


def upgrade() -> None:
    revisions.store_idempotent_responses()


def downgrade() -> None:
    revisions.keep_result_ids()
