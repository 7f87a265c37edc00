"""Create the outbox and idempotency keys.

Revision ID: c9f6c8d6c441
Revises:
Create Date: 2026-11-23 04:59:15.635154
"""

from collections.abc import Sequence

from servicekit import revisions

revision: str = "c9f6c8d6c441"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The squawk rules this revision breaks, and why that is safe (servicekit.squawk).
SQUAWK_EXCUSES = revisions.CREATE_OUTBOX_AND_IDEMPOTENCY_KEYS_EXCUSES


def upgrade() -> None:
    revisions.create_outbox_and_idempotency_keys()


def downgrade() -> None:
    revisions.drop_outbox_and_idempotency_keys()
