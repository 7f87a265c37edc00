"""Create the outbox and idempotency keys.

Revision ID: b82477f08fa5
Revises:
Create Date: 2026-11-23 04:59:13.894717
"""

from collections.abc import Sequence

from servicekit import revisions

revision: str = "b82477f08fa5"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The squawk rules this revision breaks, and why that is safe (servicekit.squawk).
SQUAWK_EXCUSES = revisions.CREATE_OUTBOX_AND_IDEMPOTENCY_KEYS_EXCUSES


def upgrade() -> None:
    revisions.create_outbox_and_idempotency_keys()


def downgrade() -> None:
    revisions.drop_outbox_and_idempotency_keys()
