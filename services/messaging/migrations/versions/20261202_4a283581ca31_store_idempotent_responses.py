"""Idempotency keys store the hash of their request and their first response.

Revision ID: 4a283581ca31
Revises: d64138976c10
Create Date: 2026-12-02 04:21:58.371111
"""

from collections.abc import Sequence

from servicekit import revisions

revision: str = "4a283581ca31"
down_revision: str | None = "d64138976c10"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The squawk rules this revision breaks, and why that is safe (servicekit.squawk).
SQUAWK_EXCUSES = revisions.STORE_IDEMPOTENT_RESPONSES_EXCUSES


def upgrade() -> None:
    revisions.store_idempotent_responses()


def downgrade() -> None:
    revisions.keep_result_ids()
