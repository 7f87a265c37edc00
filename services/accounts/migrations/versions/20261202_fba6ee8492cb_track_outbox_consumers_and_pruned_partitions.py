"""Track where the outbox's consumers stand and which partitions were dropped.

Revision ID: fba6ee8492cb
Revises: 95b4c7a2c27c
Create Date: 2026-12-02 06:00:01.000000
"""

from collections.abc import Sequence

from servicekit import revisions

revision: str = "fba6ee8492cb"
down_revision: str | None = "95b4c7a2c27c"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SQUAWK_EXCUSES = revisions.CREATE_OUTBOX_RETENTION_EXCUSES


def upgrade() -> None:
    revisions.create_outbox_retention()


def downgrade() -> None:
    revisions.drop_outbox_retention()
