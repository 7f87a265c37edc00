"""Track where the outbox's consumers stand and which partitions were dropped.

Revision ID: 0ade46d6f02a
Revises: f4ea4a161979
Create Date: 2026-12-02 06:00:01.000000
"""

from collections.abc import Sequence

from servicekit import revisions

revision: str = "0ade46d6f02a"
down_revision: str | None = "f4ea4a161979"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SQUAWK_EXCUSES = revisions.CREATE_OUTBOX_RETENTION_EXCUSES


def upgrade() -> None:
    revisions.create_outbox_retention()


def downgrade() -> None:
    revisions.drop_outbox_retention()
