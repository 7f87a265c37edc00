"""Create item attribute values: typed columns checked against the attribute's type, indexed per attribute.

Revision ID: 0693bc129967
Revises: 42cbe43d9a3e
Create Date: 2026-11-23 06:08:27.257969
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0693bc129967"
down_revision: str | None = "42cbe43d9a3e"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "item_attribute_values",
        sa.Column("item_id", sa.Uuid(), nullable=False),
        sa.Column("attribute_id", sa.Uuid(), nullable=False),
        sa.Column("category_id", sa.Uuid(), nullable=False),
        sa.Column("type", postgresql.ENUM(name="attribute_type", create_type=False), nullable=False),
        sa.Column("value_string", sa.Text(), nullable=True),
        sa.Column("value_number", sa.Double(), nullable=True),
        sa.Column("value_boolean", sa.Boolean(), nullable=True),
        sa.CheckConstraint(
            "(value_boolean IS NOT NULL) = (type = 'boolean')", name=op.f("ck_item_attribute_values_boolean_type")
        ),
        sa.CheckConstraint(
            "(value_number IS NOT NULL) = (type IN ('integer', 'number'))",
            name=op.f("ck_item_attribute_values_number_type"),
        ),
        sa.CheckConstraint(
            "(value_string IS NOT NULL) = (type IN ('string', 'enum'))",
            name=op.f("ck_item_attribute_values_string_type"),
        ),
        sa.CheckConstraint(
            "type <> 'integer' OR value_number = trunc(value_number)",
            name=op.f("ck_item_attribute_values_integer_whole"),
        ),
        sa.CheckConstraint(
            "value_number <> 'NaN' AND abs(value_number) <> 'Infinity'",
            name=op.f("ck_item_attribute_values_number_finite"),
        ),
        sa.CheckConstraint(
            "num_nonnulls(value_string, value_number, value_boolean) = 1",
            name=op.f("ck_item_attribute_values_one_value"),
        ),
        sa.ForeignKeyConstraint(
            ["attribute_id", "category_id", "type"],
            ["category_attributes.id", "category_attributes.category_id", "category_attributes.type"],
            name=op.f("fk_item_attribute_values_attribute_id_category_attributes"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["item_id", "category_id"],
            ["items.id", "items.category_id"],
            name=op.f("fk_item_attribute_values_item_id_items"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("item_id", "attribute_id", name=op.f("pk_item_attribute_values")),
    )
    op.create_index(
        "ix_item_attribute_values_boolean",
        "item_attribute_values",
        ["attribute_id", "value_boolean", "item_id"],
        unique=False,
        postgresql_where=sa.text("value_boolean IS NOT NULL"),
    )
    op.create_index(
        "ix_item_attribute_values_number",
        "item_attribute_values",
        ["attribute_id", "value_number", "item_id"],
        unique=False,
        postgresql_where=sa.text("value_number IS NOT NULL"),
    )
    op.create_index(
        "ix_item_attribute_values_string",
        "item_attribute_values",
        ["attribute_id", "value_string", "item_id"],
        unique=False,
        postgresql_where=sa.text("value_string IS NOT NULL"),
    )
    # ### end Alembic commands ###


def downgrade() -> None:
    op.drop_index("ix_item_attribute_values_string", table_name="item_attribute_values")
    op.drop_index("ix_item_attribute_values_number", table_name="item_attribute_values")
    op.drop_index("ix_item_attribute_values_boolean", table_name="item_attribute_values")
    op.drop_table("item_attribute_values")
