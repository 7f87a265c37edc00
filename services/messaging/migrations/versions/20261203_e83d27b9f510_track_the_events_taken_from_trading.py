"""Track where messaging stands in trading's event feed and which of its events it handled.

Revision ID: e83d27b9f510
Revises: d0c6b58e4a93
Create Date: 2026-12-03 09:00:04.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from servicekit import revisions

revision: str = "e83d27b9f510"
down_revision: str | None = "d0c6b58e4a93"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SQUAWK_EXCUSES = {"prefer-text-field": revisions.VARCHAR_LENGTHS}


def upgrade() -> None:
    op.create_table(
        "consumer_cursors",
        sa.Column("consumer", sa.String(length=100), nullable=False),
        sa.Column("cursor", sa.String(length=100), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.PrimaryKeyConstraint("consumer", name=op.f("pk_consumer_cursors")),
    )
    op.create_table(
        "processed_events",
        sa.Column("consumer", sa.String(length=100), nullable=False),
        sa.Column("event_cursor", sa.String(length=100), nullable=False),
        sa.Column("processed_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.PrimaryKeyConstraint("consumer", "event_cursor", name=op.f("pk_processed_events")),
    )


def downgrade() -> None:
    op.drop_table("processed_events")
    op.drop_table("consumer_cursors")
