"""The catalog's tables.

Attribute values are stored typed, one row per item (or template) and attribute, in the
column of their type. Each value row carries its attribute's type and category, and a
composite foreign key to (id, category_id, type) of the attribute, so the database itself
refuses a value of the wrong type or of another category's attribute.
"""

import uuid

from sqlalchemy import (
    ARRAY,
    Boolean,
    CheckConstraint,
    Double,
    Enum,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    Integer,
    PrimaryKeyConstraint,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.dialects.postgresql import CITEXT
from sqlalchemy.orm import DeclarativeBase, Mapped, declared_attr, mapped_column

from catalog.domain.attributes import MAX_KEY, MAX_LENGTH_LIMIT, MAX_UNIT, AttributeType
from catalog.domain.common import MAX_NAME
from servicekit.audit import AuditEntryMixin
from servicekit.db import created_now, new_metadata, updated_now, uuid_pk
from servicekit.idempotency import IdempotencyKeyMixin
from servicekit.outbox import OutboxEventMixin
from servicekit.retention import OutboxConsumerMixin, PrunedPartitionMixin
from servicekit.runtime_settings import RuntimeSettingMixin


class Base(DeclarativeBase):
    metadata = new_metadata()
    # Columns the database sets (updated_at) come back with the INSERT or UPDATE itself.
    __mapper_args__ = {"eager_defaults": True}


def _values(enum: type) -> list[str]:
    return [member.value for member in enum]


ATTRIBUTE_TYPE = Enum(AttributeType, name="attribute_type", values_callable=_values)
NUMERIC_TYPES = "('integer', 'number')"


class Game(Base):
    __tablename__ = "games"
    __table_args__ = (CheckConstraint("char_length(name) BETWEEN 1 AND 200", name="name_length"),)

    id: Mapped[uuid_pk]
    # citext: names are unique whatever their letter case.
    name: Mapped[str] = mapped_column(CITEXT, unique=True)
    description: Mapped[str] = mapped_column(Text, default="")
    logo_url: Mapped[str] = mapped_column(String(2048), default="")
    created_at: Mapped[created_now]
    updated_at: Mapped[updated_now]


class Category(Base):
    __tablename__ = "item_categories"
    __table_args__ = (
        CheckConstraint(f"char_length(name) BETWEEN 1 AND {MAX_NAME}", name="name_length"),
        CheckConstraint("parent_id <> id", name="not_own_parent"),
        UniqueConstraint("game_id", "name", name="uq_item_categories_game_id_name"),
        # The target of the parent's key below: a sub-category stays in its parent's game.
        UniqueConstraint("id", "game_id", name="uq_item_categories_id_game_id"),
        ForeignKeyConstraint(["parent_id", "game_id"], ["item_categories.id", "item_categories.game_id"]),
    )

    id: Mapped[uuid_pk]
    game_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("games.id"))
    parent_id: Mapped[uuid.UUID | None] = mapped_column(index=True)
    name: Mapped[str] = mapped_column(CITEXT)
    description: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[created_now]
    updated_at: Mapped[updated_now]


class Attribute(Base):
    __tablename__ = "category_attributes"
    __table_args__ = (
        CheckConstraint(f"key ~ '^[a-z][a-z0-9_]{{0,{MAX_KEY - 1}}}$'", name="key_shape"),
        CheckConstraint(f"char_length(name) BETWEEN 1 AND {MAX_NAME}", name="name_length"),
        CheckConstraint("(type = 'enum') = (cardinality(allowed_values) > 0)", name="allowed_values_only_for_enum"),
        CheckConstraint(
            f"(min_value IS NULL AND max_value IS NULL) OR type IN {NUMERIC_TYPES}", name="bounds_only_for_numbers"
        ),
        CheckConstraint("min_value <= max_value", name="min_not_above_max"),
        CheckConstraint(
            f"max_length IS NULL OR (type = 'string' AND max_length BETWEEN 1 AND {MAX_LENGTH_LIMIT})",
            name="max_length_only_for_strings",
        ),
        CheckConstraint(f"unit = '' OR type IN {NUMERIC_TYPES}", name="unit_only_for_numbers"),
        CheckConstraint(f"char_length(unit) <= {MAX_UNIT}", name="unit_length"),
        UniqueConstraint("category_id", "key", name="uq_category_attributes_category_id_key"),
        # The target of the value tables' keys: a value names its attribute's category and type.
        UniqueConstraint("id", "category_id", "type", name="uq_category_attributes_id_category_id_type"),
    )

    id: Mapped[uuid_pk]
    category_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("item_categories.id", ondelete="CASCADE"))
    key: Mapped[str] = mapped_column(String(MAX_KEY))
    name: Mapped[str] = mapped_column(String(MAX_NAME))
    type: Mapped[AttributeType] = mapped_column(ATTRIBUTE_TYPE)
    required: Mapped[bool] = mapped_column(default=False)
    allowed_values: Mapped[list[str]] = mapped_column(ARRAY(Text), default=list)
    min_value: Mapped[float | None] = mapped_column(Double)
    max_value: Mapped[float | None] = mapped_column(Double)
    max_length: Mapped[int | None] = mapped_column(Integer)
    unit: Mapped[str] = mapped_column(String(MAX_UNIT), default="")
    filterable: Mapped[bool] = mapped_column(default=False)
    display_order: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[created_now]
    updated_at: Mapped[updated_now]


class Template(Base):
    __tablename__ = "item_templates"
    __table_args__ = (
        CheckConstraint(f"char_length(name) BETWEEN 1 AND {MAX_NAME}", name="name_length"),
        UniqueConstraint("category_id", "name", name="uq_item_templates_category_id_name"),
        # The target of the items' and values' keys: they name the template's category too.
        UniqueConstraint("id", "category_id", name="uq_item_templates_id_category_id"),
    )

    id: Mapped[uuid_pk]
    category_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("item_categories.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(CITEXT)
    description: Mapped[str] = mapped_column(Text, default="")
    image_url: Mapped[str] = mapped_column(String(2048), default="")
    created_at: Mapped[created_now]
    updated_at: Mapped[updated_now]


class Item(Base):
    __tablename__ = "items"
    __table_args__ = (
        # An item of a template may leave its name empty: it shows the template's.
        CheckConstraint(
            f"char_length(name) BETWEEN 1 AND {MAX_NAME} OR (name = '' AND template_id IS NOT NULL)",
            name="name_length",
        ),
        ForeignKeyConstraint(["template_id", "category_id"], ["item_templates.id", "item_templates.category_id"]),
        UniqueConstraint("id", "category_id", name="uq_items_id_category_id"),
        # Inventory, category lists and template lookups, newest first.
        Index("ix_items_owner_id_created_at_id", "owner_id", "created_at", "id"),
        Index("ix_items_category_id_created_at_id", "category_id", "created_at", "id"),
        Index("ix_items_template_id", "template_id"),
    )

    id: Mapped[uuid_pk]
    category_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("item_categories.id"))
    template_id: Mapped[uuid.UUID | None]
    owner_id: Mapped[uuid.UUID]
    name: Mapped[str] = mapped_column(String(MAX_NAME), default="")
    description: Mapped[str] = mapped_column(Text, default="")
    image_url: Mapped[str] = mapped_column(String(2048), default="")
    created_at: Mapped[created_now]
    updated_at: Mapped[updated_now]


class TypedValueMixin:
    """The typed value columns and the checks that exactly the column of the type is set."""

    attribute_id: Mapped[uuid.UUID]
    category_id: Mapped[uuid.UUID]
    type: Mapped[AttributeType] = mapped_column(ATTRIBUTE_TYPE)
    value_string: Mapped[str | None] = mapped_column(Text)
    value_number: Mapped[float | None] = mapped_column(Double)
    value_boolean: Mapped[bool | None] = mapped_column(Boolean)

    @staticmethod
    def value_checks() -> tuple:
        return (
            CheckConstraint("num_nonnulls(value_string, value_number, value_boolean) = 1", name="one_value"),
            CheckConstraint("(value_string IS NOT NULL) = (type IN ('string', 'enum'))", name="string_type"),
            CheckConstraint(f"(value_number IS NOT NULL) = (type IN {NUMERIC_TYPES})", name="number_type"),
            CheckConstraint("(value_boolean IS NOT NULL) = (type = 'boolean')", name="boolean_type"),
            CheckConstraint("type <> 'integer' OR value_number = trunc(value_number)", name="integer_whole"),
            CheckConstraint("value_number <> 'NaN' AND abs(value_number) <> 'Infinity'", name="number_finite"),
            ForeignKeyConstraint(
                ["attribute_id", "category_id", "type"],
                ["category_attributes.id", "category_attributes.category_id", "category_attributes.type"],
                ondelete="CASCADE",
            ),
        )


class ItemValue(TypedValueMixin, Base):
    __tablename__ = "item_attribute_values"

    @declared_attr.directive
    def __table_args__(cls):
        return (
            PrimaryKeyConstraint("item_id", "attribute_id"),
            ForeignKeyConstraint(["item_id", "category_id"], ["items.id", "items.category_id"], ondelete="CASCADE"),
            *cls.value_checks(),
            # Equality and range lookups per attribute; item_id makes them index-only for the filters.
            Index(
                "ix_item_attribute_values_string",
                "attribute_id",
                "value_string",
                "item_id",
                postgresql_where=text("value_string IS NOT NULL"),
            ),
            Index(
                "ix_item_attribute_values_number",
                "attribute_id",
                "value_number",
                "item_id",
                postgresql_where=text("value_number IS NOT NULL"),
            ),
            Index(
                "ix_item_attribute_values_boolean",
                "attribute_id",
                "value_boolean",
                "item_id",
                postgresql_where=text("value_boolean IS NOT NULL"),
            ),
        )

    item_id: Mapped[uuid.UUID]


class TemplateValue(TypedValueMixin, Base):
    __tablename__ = "template_attribute_values"

    @declared_attr.directive
    def __table_args__(cls):
        return (
            PrimaryKeyConstraint("template_id", "attribute_id"),
            ForeignKeyConstraint(
                ["template_id", "category_id"],
                ["item_templates.id", "item_templates.category_id"],
                ondelete="CASCADE",
            ),
            *cls.value_checks(),
            Index("ix_template_attribute_values_attribute_id", "attribute_id"),
        )

    template_id: Mapped[uuid.UUID]


class OutboxEvent(OutboxEventMixin, Base):
    pass


class OutboxConsumer(OutboxConsumerMixin, Base):
    pass


class PrunedPartition(PrunedPartitionMixin, Base):
    pass


class IdempotencyKey(IdempotencyKeyMixin, Base):
    pass


class AuditEntry(AuditEntryMixin, Base):
    pass


class RuntimeSetting(RuntimeSettingMixin, Base):
    pass
