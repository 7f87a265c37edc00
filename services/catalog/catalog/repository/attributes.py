"""Queries of attribute definitions, and the one mapping between `Attribute` and its row."""

import dataclasses
from uuid import UUID

from sqlalchemy import ColumnElement, delete, exists, func, literal, or_, select, tuple_
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from catalog.domain.attributes import Attribute, Narrowing
from catalog.models import Attribute as AttributeRow
from catalog.models import Item, ItemValue, TemplateValue
from catalog.repository.common import Lock, locked
from servicekit.pagination import Page

# Attribute's fields are named as the columns; the database sets these.
SET_BY_DATABASE = {"id", "created_at", "updated_at"}


def _attribute(row: AttributeRow) -> Attribute:
    fields = {field.name: getattr(row, field.name) for field in dataclasses.fields(Attribute)}
    return Attribute(**fields | {"allowed_values": tuple(row.allowed_values)})


def _columns(attribute: Attribute) -> dict[str, object]:
    names = [field.name for field in dataclasses.fields(Attribute) if field.name not in SET_BY_DATABASE]
    return {name: getattr(attribute, name) for name in names} | {"allowed_values": list(attribute.allowed_values)}


async def get_attribute(session: AsyncSession, attribute_id: UUID, lock: Lock = None) -> Attribute | None:
    row = await session.scalar(locked(select(AttributeRow).where(AttributeRow.id == attribute_id), lock))
    return _attribute(row) if row else None


async def attributes_of_category(session: AsyncSession, category_id: UUID) -> list[Attribute]:
    rows = await session.scalars(select(AttributeRow).where(AttributeRow.category_id == category_id))
    return [_attribute(row) for row in rows]


async def count_attributes(session: AsyncSession, category_id: UUID) -> int:
    stmt = select(func.count()).select_from(AttributeRow).where(AttributeRow.category_id == category_id)
    return await session.scalar(stmt)


async def key_taken(session: AsyncSession, category_id: UUID, key: str) -> bool:
    stmt = select(AttributeRow.id).where(AttributeRow.category_id == category_id, AttributeRow.key == key)
    return await session.scalar(stmt) is not None


async def list_attributes(session: AsyncSession, category_id: UUID, page: Page) -> list[Attribute]:
    """Attributes in display order, then by key (unique in the category); size + 1 rows."""
    stmt = select(AttributeRow).where(AttributeRow.category_id == category_id)
    if after := page.after_key(int, str):
        stmt = stmt.where(tuple_(AttributeRow.display_order, AttributeRow.key) > tuple_(*after))
    stmt = stmt.order_by(AttributeRow.display_order, AttributeRow.key).limit(page.size + 1)
    return [_attribute(row) for row in await session.scalars(stmt)]


async def add_attribute(session: AsyncSession, attribute: Attribute) -> Attribute:
    row = AttributeRow(**_columns(attribute))
    session.add(row)
    await session.flush()
    return _attribute(row)


async def add_attribute_unless_key_taken(session: AsyncSession, attribute: Attribute) -> UUID | None:
    """The new attribute's id, or None when its category has one with its key already."""
    return await session.scalar(
        insert(AttributeRow)
        .values(**_columns(attribute))
        .on_conflict_do_nothing(constraint="uq_category_attributes_category_id_key")
        .returning(AttributeRow.id)
    )


async def update_attribute(session: AsyncSession, attribute: Attribute) -> Attribute:
    row = await session.get_one(AttributeRow, attribute.id)
    for name, value in _columns(attribute).items():
        setattr(row, name, value)
    await session.flush()
    return _attribute(row)


async def delete_attribute(session: AsyncSession, attribute_id: UUID) -> None:
    """Deletes the definition; its stored values go with it (ON DELETE CASCADE)."""
    await session.execute(delete(AttributeRow).where(AttributeRow.id == attribute_id))


# What a change would break -----------------------------------------------------------------


def _breaking(value_table: type[ItemValue] | type[TemplateValue], narrowing: Narrowing) -> ColumnElement[bool]:
    conditions = []
    if narrowing.below is not None:
        conditions.append(value_table.value_number < narrowing.below)
    if narrowing.above is not None:
        conditions.append(value_table.value_number > narrowing.above)
    if narrowing.allowed is not None:
        conditions.append(value_table.value_string.not_in(narrowing.allowed))
    if narrowing.longer_than is not None:
        conditions.append(func.char_length(value_table.value_string) > narrowing.longer_than)
    return or_(*conditions) if conditions else literal(False)


async def count_broken_by(
    session: AsyncSession, attribute_id: UUID, category_id: UUID, narrowing: Narrowing
) -> tuple[int, int]:
    """How many items and templates the narrowed definition would make invalid."""
    items = await session.scalar(
        select(func.count())
        .select_from(ItemValue)
        .where(ItemValue.attribute_id == attribute_id, _breaking(ItemValue, narrowing))
    )
    templates = await session.scalar(
        select(func.count())
        .select_from(TemplateValue)
        .where(TemplateValue.attribute_id == attribute_id, _breaking(TemplateValue, narrowing))
    )
    if narrowing.now_required:
        items += await count_items_without(session, attribute_id, category_id)
    return items, templates


async def count_items_without(session: AsyncSession, attribute_id: UUID, category_id: UUID) -> int:
    has_value = exists().where(ItemValue.item_id == Item.id, ItemValue.attribute_id == attribute_id)
    return await session.scalar(
        select(func.count()).select_from(Item).where(Item.category_id == category_id, ~has_value)
    )


async def templates_with_value(session: AsyncSession, attribute_id: UUID) -> list[UUID]:
    """The templates that have a value of the attribute."""
    stmt = select(TemplateValue.template_id).where(TemplateValue.attribute_id == attribute_id)
    return list(await session.scalars(stmt))
