"""Create template attribute values: typed, one column per type, checked against the attribute's type.

Revision ID: a6e9468c75d2
Revises: 250d755ea06b
Create Date: 2026-11-23 06:08:27.257969
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "a6e9468c75d2"
down_revision: str | None = "250d755ea06b"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "template_attribute_values",
        sa.Column("template_id", sa.Uuid(), nullable=False),
        sa.Column("attribute_id", sa.Uuid(), nullable=False),
        sa.Column("category_id", sa.Uuid(), nullable=False),
        sa.Column("type", postgresql.ENUM(name="attribute_type", create_type=False), nullable=False),
        sa.Column("value_string", sa.Text(), nullable=True),
        sa.Column("value_number", sa.Double(), nullable=True),
        sa.Column("value_boolean", sa.Boolean(), nullable=True),
        sa.CheckConstraint(
            "(value_boolean IS NOT NULL) = (type = 'boolean')", name=op.f("ck_template_attribute_values_boolean_type")
        ),
        sa.CheckConstraint(
            "(value_number IS NOT NULL) = (type IN ('integer', 'number'))",
            name=op.f("ck_template_attribute_values_number_type"),
        ),
        sa.CheckConstraint(
            "(value_string IS NOT NULL) = (type IN ('string', 'enum'))",
            name=op.f("ck_template_attribute_values_string_type"),
        ),
        sa.CheckConstraint(
            "type <> 'integer' OR value_number = trunc(value_number)",
            name=op.f("ck_template_attribute_values_integer_whole"),
        ),
        sa.CheckConstraint(
            "value_number <> 'NaN' AND abs(value_number) <> 'Infinity'",
            name=op.f("ck_template_attribute_values_number_finite"),
        ),
        sa.CheckConstraint(
            "num_nonnulls(value_string, value_number, value_boolean) = 1",
            name=op.f("ck_template_attribute_values_one_value"),
        ),
        sa.ForeignKeyConstraint(
            ["attribute_id", "category_id", "type"],
            ["category_attributes.id", "category_attributes.category_id", "category_attributes.type"],
            name=op.f("fk_template_attribute_values_attribute_id_category_attributes"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["template_id", "category_id"],
            ["item_templates.id", "item_templates.category_id"],
            name=op.f("fk_template_attribute_values_template_id_item_templates"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("template_id", "attribute_id", name=op.f("pk_template_attribute_values")),
    )
    op.create_index(
        "ix_template_attribute_values_attribute_id", "template_attribute_values", ["attribute_id"], unique=False
    )


def downgrade() -> None:
    op.drop_index("ix_template_attribute_values_attribute_id", table_name="template_attribute_values")
    op.drop_table("template_attribute_values")
