"""Create item categories: per game, unique names, an optional parent in the same game.

Revision ID: c7ef8f621ecd
Revises: 2ebd96003cbc
Create Date: 2026-11-23 06:08:27.257969
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "c7ef8f621ecd"
down_revision: str | None = "2ebd96003cbc"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "item_categories",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("game_id", sa.Uuid(), nullable=False),
        sa.Column("parent_id", sa.Uuid(), nullable=True),
        sa.Column("name", postgresql.CITEXT(), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint("char_length(name) BETWEEN 1 AND 200", name=op.f("ck_item_categories_name_length")),
        sa.CheckConstraint("parent_id <> id", name=op.f("ck_item_categories_not_own_parent")),
        sa.ForeignKeyConstraint(["game_id"], ["games.id"], name=op.f("fk_item_categories_game_id_games")),
        sa.ForeignKeyConstraint(
            ["parent_id", "game_id"],
            ["item_categories.id", "item_categories.game_id"],
            name=op.f("fk_item_categories_parent_id_item_categories"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_item_categories")),
        sa.UniqueConstraint("game_id", "name", name="uq_item_categories_game_id_name"),
        sa.UniqueConstraint("id", "game_id", name="uq_item_categories_id_game_id"),
    )
    op.create_index(op.f("ix_item_categories_parent_id"), "item_categories", ["parent_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_item_categories_parent_id"), table_name="item_categories")
    op.drop_table("item_categories")
