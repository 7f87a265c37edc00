"""Queries of items: the read model clients see, the typed filters, and marking items changed."""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from sqlalchemy import ColumnElement, Select, String, cast, exists, func, select, text, tuple_, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from catalog.domain.attributes import Attribute
from catalog.models import Category, Item, ItemValue, Template
from catalog.repository.values import value_rows, values_by_key
from servicekit.filters import Filter, value_condition
from servicekit.pagination import Page
from servicekit.values import Scalar


@dataclass(frozen=True)
class ItemView:
    """An item as clients see it: names and pictures resolved from its template, values by key."""

    id: UUID
    owner_id: UUID
    template_id: UUID | None
    category_id: UUID
    game_id: UUID
    name: str
    description: str
    image_url: str
    attributes: dict[str, Scalar]
    created_at: datetime
    updated_at: datetime


ITEM_VIEW = (
    select(
        Item.id,
        Item.owner_id,
        Item.template_id,
        Item.category_id,
        Category.game_id,
        func.coalesce(func.nullif(Item.name, ""), cast(Template.name, String)).label("name"),
        Item.description,
        func.coalesce(func.nullif(Item.image_url, ""), Template.image_url, "").label("image_url"),
        Item.created_at,
        Item.updated_at,
    )
    .join(Category, Category.id == Item.category_id)
    .outerjoin(Template, Template.id == Item.template_id)
)


async def item_views(session: AsyncSession, item_ids: Sequence[UUID]) -> list[ItemView]:
    """The items in the order of the ids given, each with its typed values."""
    if not item_ids:
        return []
    rows = {row.id: row for row in await session.execute(ITEM_VIEW.where(Item.id.in_(item_ids)))}
    values = await values_by_key(session, ItemValue.item_id, list(rows))
    return [ItemView(**row._asdict(), attributes=values[item_id]) for item_id in item_ids if (row := rows.get(item_id))]


async def get_item_for_update(session: AsyncSession, item_id: UUID) -> Item | None:
    return await session.scalar(select(Item).where(Item.id == item_id).with_for_update())


async def add_item(
    session: AsyncSession,
    *,
    owner_id: UUID,
    category_id: UUID,
    template_id: UUID | None,
    name: str,
    description: str,
    image_url: str,
    attributes: Iterable[Attribute],
    values: dict[str, Scalar],
) -> UUID:
    item_id = await session.scalar(
        insert(Item)
        .values(
            owner_id=owner_id,
            category_id=category_id,
            template_id=template_id,
            name=name,
            description=description,
            image_url=image_url,
        )
        .returning(Item.id)
    )
    rows = value_rows({"item_id": item_id}, category_id, attributes, values)
    if rows:
        await session.execute(insert(ItemValue), rows)
    return item_id


# Typed filters -----------------------------------------------------------------------------


def filtered_items(
    category_id: UUID,
    filters: Sequence[Filter],
    page: Page,
    *,
    template_id: UUID | None = None,
    owner_id: UUID | None = None,
) -> Select:
    """The ids of a page of the category's items matching every filter, newest first.

    Each filter is a semi-join on item_attribute_values that the per-type index
    (attribute_id, value, item_id) answers, as in `wear:0..0.07`.
    """
    stmt = select(Item.id, Item.created_at).where(Item.category_id == category_id)
    for item_filter in filters:
        stmt = stmt.where(
            exists().where(
                ItemValue.item_id == Item.id,
                ItemValue.attribute_id == item_filter.attribute.id,
                value_condition(item_filter, ItemValue.value_string, ItemValue.value_number, ItemValue.value_boolean),
            )
        )
    if template_id is not None:
        stmt = stmt.where(Item.template_id == template_id)
    if owner_id is not None:
        stmt = stmt.where(Item.owner_id == owner_id)
    return _newest_first(stmt, page)


def _newest_first(stmt: Select, page: Page) -> Select:
    if after := page.after_key(datetime, UUID):
        stmt = stmt.where(tuple_(Item.created_at, Item.id) < tuple_(*after))
    return stmt.order_by(Item.created_at.desc(), Item.id.desc()).limit(page.size + 1)


async def list_items(
    session: AsyncSession,
    category_id: UUID,
    filters: Sequence[Filter],
    page: Page,
    *,
    template_id: UUID | None = None,
    owner_id: UUID | None = None,
) -> list[ItemView]:
    if filters:
        # Which plan is best depends on the values (is wear 0..0.07 narrow?), which a generic plan
        # cached for the prepared statement cannot see: it measured twice as slow as a custom one.
        await session.execute(text("SET LOCAL plan_cache_mode = force_custom_plan"))
    stmt = filtered_items(category_id, filters, page, template_id=template_id, owner_id=owner_id)
    return await item_views(session, list(await session.scalars(stmt)))


async def list_items_of_owner(session: AsyncSession, owner_id: UUID, page: Page) -> list[ItemView]:
    stmt = _newest_first(select(Item.id).where(Item.owner_id == owner_id), page)
    return await item_views(session, list(await session.scalars(stmt)))


# Items changed by a change of their template or of an attribute ------------------------------


async def _touch(session: AsyncSession, condition: ColumnElement[bool]) -> list[tuple[UUID, UUID, UUID]]:
    stmt = update(Item).where(condition).values(updated_at=func.now())
    rows = await session.execute(stmt.returning(Item.id, Item.owner_id, Item.category_id))
    return [tuple(row) for row in rows]


async def touch_items_of_template(session: AsyncSession, template_id: UUID) -> list[tuple[UUID, UUID, UUID]]:
    """Marks the template's items changed now; (id, owner_id, category_id) of each."""
    return await _touch(session, Item.template_id == template_id)


async def touch_items_with_value_of(session: AsyncSession, attribute_id: UUID) -> list[tuple[UUID, UUID, UUID]]:
    """Marks the items that have a value of the attribute changed now; (id, owner_id, category_id) of each."""
    return await _touch(session, exists().where(ItemValue.item_id == Item.id, ItemValue.attribute_id == attribute_id))
