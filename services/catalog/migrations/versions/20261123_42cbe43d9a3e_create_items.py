"""Create items: owned by a user, of a category and optionally a template.

Revision ID: 42cbe43d9a3e
Revises: a6e9468c75d2
Create Date: 2026-11-23 06:08:27.257969
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from servicekit import revisions

revision: str = "42cbe43d9a3e"
down_revision: str | None = "a6e9468c75d2"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The squawk rules this revision breaks, and why that is safe (servicekit.squawk).
SQUAWK_EXCUSES = {"prefer-text-field": revisions.VARCHAR_LENGTHS}


def upgrade() -> None:
    op.create_table(
        "items",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("category_id", sa.Uuid(), nullable=False),
        sa.Column("template_id", sa.Uuid(), nullable=True),
        sa.Column("owner_id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("image_url", sa.String(length=2048), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint(
            "char_length(name) BETWEEN 1 AND 200 OR (name = '' AND template_id IS NOT NULL)",
            name=op.f("ck_items_name_length"),
        ),
        sa.ForeignKeyConstraint(
            ["category_id"], ["item_categories.id"], name=op.f("fk_items_category_id_item_categories")
        ),
        sa.ForeignKeyConstraint(
            ["template_id", "category_id"],
            ["item_templates.id", "item_templates.category_id"],
            name=op.f("fk_items_template_id_item_templates"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_items")),
        sa.UniqueConstraint("id", "category_id", name="uq_items_id_category_id"),
    )
    op.create_index("ix_items_category_id_created_at_id", "items", ["category_id", "created_at", "id"], unique=False)
    op.create_index("ix_items_owner_id_created_at_id", "items", ["owner_id", "created_at", "id"], unique=False)
    op.create_index("ix_items_template_id", "items", ["template_id"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_items_template_id", table_name="items")
    op.drop_index("ix_items_owner_id_created_at_id", table_name="items")
    op.drop_index("ix_items_category_id_created_at_id", table_name="items")
    op.drop_table("items")
