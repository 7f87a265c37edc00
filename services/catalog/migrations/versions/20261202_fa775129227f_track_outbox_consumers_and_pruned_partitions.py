"""Track where the outbox's consumers stand and which partitions were dropped.

Revision ID: fa775129227f
Revises: b44bcb27e7e2
Create Date: 2026-12-02 06:00:01.000000
"""

from collections.abc import Sequence

from servicekit import revisions

revision: str = "fa775129227f"
down_revision: str | None = "b44bcb27e7e2"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SQUAWK_EXCUSES = revisions.CREATE_OUTBOX_RETENTION_EXCUSES


def upgrade() -> None:
    revisions.create_outbox_retention()


def downgrade() -> None:
    revisions.drop_outbox_retention()
