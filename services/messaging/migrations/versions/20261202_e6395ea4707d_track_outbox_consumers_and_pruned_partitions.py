"""Track where the outbox's consumers stand and which partitions were dropped.

Revision ID: e6395ea4707d
Revises: bbd33165ba00
Create Date: 2026-12-02 06:00:01.000000
"""

from collections.abc import Sequence

from servicekit import revisions

revision: str = "e6395ea4707d"
down_revision: str | None = "bbd33165ba00"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SQUAWK_EXCUSES = revisions.CREATE_OUTBOX_RETENTION_EXCUSES


def upgrade() -> None:
    revisions.create_outbox_retention()


def downgrade() -> None:
    revisions.drop_outbox_retention()
