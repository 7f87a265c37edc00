"""Idempotency keys store the hash of their request and their first response.

Revision ID: ef32dcee366e
Revises: 8d299bc5a7bd
Create Date: 2026-12-02 04:22:07.431444
"""

from collections.abc import Sequence

from servicekit import revisions

revision: str = "ef32dcee366e"
down_revision: str | None = "8d299bc5a7bd"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The squawk rules this revision breaks, and why that is safe (servicekit.squawk).
SQUAWK_EXCUSES = revisions.STORE_IDEMPOTENT_RESPONSES_EXCUSES


def upgrade() -> None:
    revisions.store_idempotent_responses()


def downgrade() -> None:
    revisions.keep_result_ids()
