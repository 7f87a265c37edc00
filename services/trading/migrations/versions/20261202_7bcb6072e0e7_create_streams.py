"""Create streams: live selling streams, scheduled, live, then ended, with their times tied to their status.

Revision ID: 7bcb6072e0e7
Revises: 80448e96eae3
Create Date: 2026-12-02 06:13:49.732993
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "7bcb6072e0e7"
down_revision: str | None = "80448e96eae3"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "streams",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("owner_id", sa.Uuid(), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("description", sa.Text(), server_default="", nullable=False),
        sa.Column("category_id", sa.Uuid(), nullable=True),
        sa.Column("scheduled_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("url", sa.Text(), server_default="", nullable=False),
        sa.Column("thumbnail_url", sa.Text(), server_default="", nullable=False),
        sa.Column("status", sa.Enum("scheduled", "live", "ended", name="stream_status"), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint(
            "(status = 'scheduled' AND started_at IS NULL AND ended_at IS NULL)"
            " OR (status = 'live' AND started_at IS NOT NULL AND ended_at IS NULL)"
            " OR (status = 'ended' AND started_at IS NOT NULL AND ended_at >= started_at)",
            name=op.f("ck_streams_status_times"),
        ),
        sa.CheckConstraint("char_length(description) <= 10000", name=op.f("ck_streams_description_length")),
        sa.CheckConstraint("char_length(thumbnail_url) <= 2048", name=op.f("ck_streams_thumbnail_url_length")),
        sa.CheckConstraint("char_length(title) BETWEEN 1 AND 200", name=op.f("ck_streams_title_length")),
        sa.CheckConstraint("char_length(url) <= 2048", name=op.f("ck_streams_url_length")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_streams")),
    )
    op.create_index(op.f("ix_streams_category_id"), "streams", ["category_id"], unique=False)
    op.create_index(op.f("ix_streams_owner_id"), "streams", ["owner_id"], unique=False)
    op.create_index(
        "ix_streams_ended_ended_at",
        "streams",
        ["ended_at", "id"],
        unique=False,
        postgresql_where=sa.text("status = 'ended'"),
    )
    op.create_index(
        "ix_streams_live_started_at",
        "streams",
        ["started_at", "id"],
        unique=False,
        postgresql_where=sa.text("status = 'live'"),
    )
    op.create_index(
        "ix_streams_scheduled_at",
        "streams",
        ["scheduled_at", "id"],
        unique=False,
        postgresql_where=sa.text("status = 'scheduled'"),
    )


def downgrade() -> None:
    op.drop_index("ix_streams_scheduled_at", table_name="streams", postgresql_where=sa.text("status = 'scheduled'"))
    op.drop_index("ix_streams_live_started_at", table_name="streams", postgresql_where=sa.text("status = 'live'"))
    op.drop_index("ix_streams_ended_ended_at", table_name="streams", postgresql_where=sa.text("status = 'ended'"))
    op.drop_index(op.f("ix_streams_owner_id"), table_name="streams")
    op.drop_index(op.f("ix_streams_category_id"), table_name="streams")
    op.drop_table("streams")
    op.execute("DROP TYPE stream_status")
