"""Create stream_likes, stream_viewers, stream_shares and stream_comments: what a stream's counts count.

Revision ID: 26969b91732f
Revises: 7bcb6072e0e7
Create Date: 2026-12-02 06:14:10.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "26969b91732f"
down_revision: str | None = "7bcb6072e0e7"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "stream_likes",
        sa.Column("stream_id", sa.Uuid(), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.ForeignKeyConstraint(
            ["stream_id"], ["streams.id"], name=op.f("fk_stream_likes_stream_id_streams"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("stream_id", "user_id", name=op.f("pk_stream_likes")),
    )
    # Viewers and shares are appended without a foreign key: its check would lock the stream row per row.
    op.create_table(
        "stream_viewers",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("stream_id", sa.Uuid(), nullable=False),
        sa.Column("viewed_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_stream_viewers")),
    )
    op.create_index("ix_stream_viewers_stream_id", "stream_viewers", ["stream_id"], unique=False)
    op.create_table(
        "stream_shares",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("stream_id", sa.Uuid(), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("shared_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_stream_shares")),
    )
    op.create_index("ix_stream_shares_stream_id", "stream_shares", ["stream_id"], unique=False)
    op.create_table(
        "stream_comments",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("stream_id", sa.Uuid(), nullable=False),
        sa.Column("author_id", sa.Uuid(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint("char_length(text) BETWEEN 1 AND 1000", name=op.f("ck_stream_comments_text_length")),
        sa.ForeignKeyConstraint(["stream_id"], ["streams.id"], name=op.f("fk_stream_comments_stream_id_streams")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_stream_comments")),
    )
    op.create_index(
        "ix_stream_comments_stream_id_created_at", "stream_comments", ["stream_id", "created_at", "id"], unique=False
    )


def downgrade() -> None:
    op.drop_index("ix_stream_comments_stream_id_created_at", table_name="stream_comments")
    op.drop_table("stream_comments")
    op.drop_index("ix_stream_shares_stream_id", table_name="stream_shares")
    op.drop_table("stream_shares")
    op.drop_index("ix_stream_viewers_stream_id", table_name="stream_viewers")
    op.drop_table("stream_viewers")
    op.drop_table("stream_likes")
