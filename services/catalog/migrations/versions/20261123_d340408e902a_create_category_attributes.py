"""Create category attributes: typed definitions with their bounds, allowed values and keys.

Revision ID: d340408e902a
Revises: c7ef8f621ecd
Create Date: 2026-11-23 06:08:27.257969
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from servicekit import revisions

revision: str = "d340408e902a"
down_revision: str | None = "c7ef8f621ecd"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The squawk rules this revision breaks, and why that is safe (servicekit.squawk).
SQUAWK_EXCUSES = {
    "prefer-bigint-over-int": "max_length and display_order are small numbers (max_length at most 10000 by its CHECK)",
    "prefer-text-field": revisions.VARCHAR_LENGTHS,
}


def upgrade() -> None:
    op.create_table(
        "category_attributes",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("category_id", sa.Uuid(), nullable=False),
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column(
            "type", sa.Enum("string", "integer", "number", "boolean", "enum", name="attribute_type"), nullable=False
        ),
        sa.Column("required", sa.Boolean(), nullable=False),
        sa.Column("allowed_values", sa.ARRAY(sa.Text()), nullable=False),
        sa.Column("min_value", sa.Double(), nullable=True),
        sa.Column("max_value", sa.Double(), nullable=True),
        sa.Column("max_length", sa.Integer(), nullable=True),
        sa.Column("unit", sa.String(length=32), nullable=False),
        sa.Column("filterable", sa.Boolean(), nullable=False),
        sa.Column("display_order", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint(
            "(min_value IS NULL AND max_value IS NULL) OR type IN ('integer', 'number')",
            name=op.f("ck_category_attributes_bounds_only_for_numbers"),
        ),
        sa.CheckConstraint(
            "(type = 'enum') = (cardinality(allowed_values) > 0)",
            name=op.f("ck_category_attributes_allowed_values_only_for_enum"),
        ),
        sa.CheckConstraint("key ~ '^[a-z][a-z0-9_]{0,63}$'", name=op.f("ck_category_attributes_key_shape")),
        sa.CheckConstraint(
            "max_length IS NULL OR (type = 'string' AND max_length BETWEEN 1 AND 10000)",
            name=op.f("ck_category_attributes_max_length_only_for_strings"),
        ),
        sa.CheckConstraint(
            "unit = '' OR type IN ('integer', 'number')", name=op.f("ck_category_attributes_unit_only_for_numbers")
        ),
        sa.CheckConstraint("char_length(name) BETWEEN 1 AND 200", name=op.f("ck_category_attributes_name_length")),
        sa.CheckConstraint("char_length(unit) <= 32", name=op.f("ck_category_attributes_unit_length")),
        sa.CheckConstraint("min_value <= max_value", name=op.f("ck_category_attributes_min_not_above_max")),
        sa.ForeignKeyConstraint(
            ["category_id"],
            ["item_categories.id"],
            name=op.f("fk_category_attributes_category_id_item_categories"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_category_attributes")),
        sa.UniqueConstraint("category_id", "key", name="uq_category_attributes_category_id_key"),
        sa.UniqueConstraint("id", "category_id", "type", name="uq_category_attributes_id_category_id_type"),
    )


def downgrade() -> None:
    op.drop_table("category_attributes")
    op.execute("DROP TYPE attribute_type")
