"""Create the per-user log of live events: a head per user with its last sequence number, and the events kept
for streams that reconnect.

Revision ID: d0c6b58e4a93
Revises: b4a9e1f37c25
Create Date: 2026-12-03 09:00:03.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from servicekit import revisions

revision: str = "d0c6b58e4a93"
down_revision: str | None = "b4a9e1f37c25"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SQUAWK_EXCUSES = {"prefer-text-field": revisions.VARCHAR_LENGTHS}


def upgrade() -> None:
    op.create_table(
        "user_event_heads",
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("last_seq", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("user_id", name=op.f("pk_user_event_heads")),
    )
    op.create_table(
        "user_events",
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.Column("type", sa.String(length=50), nullable=False),
        sa.Column("payload", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.PrimaryKeyConstraint("user_id", "seq", name=op.f("pk_user_events")),
    )
    op.create_index(op.f("ix_user_events_created_at"), "user_events", ["created_at"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_user_events_created_at"), table_name="user_events")
    op.drop_table("user_events")
    op.drop_table("user_event_heads")
