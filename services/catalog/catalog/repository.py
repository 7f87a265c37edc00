"""Queries of the catalog. Session first, never a commit.

Item reads and writes, the typed filters and the set-based effects of template and attribute
changes on many items are SQLAlchemy Core statements: they are the hot paths.
"""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Literal
from uuid import UUID

from sqlalchemy import (
    ColumnElement,
    Select,
    String,
    Text,
    and_,
    cast,
    delete,
    exists,
    func,
    literal,
    or_,
    select,
    text,
    tuple_,
    update,
)
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from catalog.attributes import AttributeSpec, Filter, Narrowing, Scalar, from_columns, stored_columns
from catalog.domain import AttributeType
from catalog.models import (
    Attribute,
    Category,
    Game,
    Item,
    ItemValue,
    OutboxEvent,
    Template,
    TemplateValue,
)
from marketplace.catalog.v1 import events_pb2
from servicekit.pagination import Page

Lock = Literal["share", "update"] | None


def _locked(stmt: Select, lock: Lock) -> Select:
    if lock is None:
        return stmt
    return stmt.with_for_update(read=lock == "share")


def unique_violation(error: IntegrityError) -> str | None:
    """The name of the unique constraint the failed statement broke, if it broke one."""
    # asyncpg's UniqueViolationError (the cause of the DBAPI error) names the constraint.
    cause = error.orig.__cause__ if error.orig else None
    if type(cause).__name__ != "UniqueViolationError":
        return None
    return getattr(cause, "constraint_name", None)


# Games -------------------------------------------------------------------------------------


async def get_game(session: AsyncSession, game_id: UUID, lock: Lock = None) -> Game | None:
    return await session.scalar(_locked(select(Game).where(Game.id == game_id), lock))


async def find_game_by_name(session: AsyncSession, name: str) -> Game | None:
    return await session.scalar(select(Game).where(Game.name == name))


async def list_games(session: AsyncSession, page: Page) -> list[Game]:
    """Games by name (case-insensitive, as citext sorts), then id; size + 1 rows."""
    stmt = select(Game)
    if after := page.after_key(str, UUID):
        stmt = stmt.where(tuple_(Game.name, Game.id) > tuple_(*after))
    stmt = stmt.order_by(Game.name, Game.id).limit(page.size + 1)
    return list(await session.scalars(stmt))


async def count_categories_of_game(session: AsyncSession, game_id: UUID) -> int:
    return await session.scalar(select(func.count()).select_from(Category).where(Category.game_id == game_id))


# Categories --------------------------------------------------------------------------------


async def get_category(session: AsyncSession, category_id: UUID, lock: Lock = None) -> Category | None:
    """The category; "share" keeps its attribute definitions as they are until the commit."""
    return await session.scalar(_locked(select(Category).where(Category.id == category_id), lock))


async def find_category_by_name(session: AsyncSession, game_id: UUID, name: str) -> Category | None:
    return await session.scalar(select(Category).where(Category.game_id == game_id, Category.name == name))


async def list_categories(session: AsyncSession, game_id: UUID, page: Page) -> list[Category]:
    stmt = select(Category).where(Category.game_id == game_id)
    if after := page.after_key(str, UUID):
        stmt = stmt.where(tuple_(Category.name, Category.id) > tuple_(*after))
    return list(await session.scalars(stmt.order_by(Category.name, Category.id).limit(page.size + 1)))


async def ancestor_ids(session: AsyncSession, category_id: UUID) -> set[UUID]:
    """The category and every category above it."""
    tree = select(Category.id, Category.parent_id).where(Category.id == category_id).cte(recursive=True)
    tree = tree.union(select(Category.id, Category.parent_id).join(tree, Category.id == tree.c.parent_id))
    return set(await session.scalars(select(tree.c.id)))


async def lock_category_tree(session: AsyncSession, game_id: UUID) -> None:
    """Takes the game's category-tree lock until the commit (only moves of categories take it)."""
    await session.execute(select(func.pg_advisory_xact_lock(func.hashtextextended(f"category-tree:{game_id}", 0))))


async def count_subcategories(session: AsyncSession, category_id: UUID) -> int:
    return await session.scalar(select(func.count()).select_from(Category).where(Category.parent_id == category_id))


async def count_items_of_category(session: AsyncSession, category_id: UUID) -> int:
    return await session.scalar(select(func.count()).select_from(Item).where(Item.category_id == category_id))


async def template_ids_of_category(session: AsyncSession, category_id: UUID) -> list[UUID]:
    return list(await session.scalars(select(Template.id).where(Template.category_id == category_id)))


# Attributes --------------------------------------------------------------------------------


def spec_of(attribute: Attribute) -> AttributeSpec:
    return AttributeSpec(
        id=attribute.id,
        key=attribute.key,
        type=attribute.type,
        required=attribute.required,
        allowed_values=tuple(attribute.allowed_values),
        min_value=attribute.min_value,
        max_value=attribute.max_value,
        max_length=attribute.max_length,
        filterable=attribute.filterable,
    )


async def get_attribute(session: AsyncSession, attribute_id: UUID, lock: Lock = None) -> Attribute | None:
    return await session.scalar(_locked(select(Attribute).where(Attribute.id == attribute_id), lock))


async def attribute_specs(session: AsyncSession, category_id: UUID) -> list[AttributeSpec]:
    rows = await session.scalars(select(Attribute).where(Attribute.category_id == category_id))
    return [spec_of(row) for row in rows]


async def find_attribute_by_key(session: AsyncSession, category_id: UUID, key: str) -> Attribute | None:
    return await session.scalar(select(Attribute).where(Attribute.category_id == category_id, Attribute.key == key))


async def list_attributes(session: AsyncSession, category_id: UUID, page: Page) -> list[Attribute]:
    """Attributes in display order, then by key (unique in the category); size + 1 rows."""
    stmt = select(Attribute).where(Attribute.category_id == category_id)
    if after := page.after_key(int, str):
        stmt = stmt.where(tuple_(Attribute.display_order, Attribute.key) > tuple_(*after))
    return list(await session.scalars(stmt.order_by(Attribute.display_order, Attribute.key).limit(page.size + 1)))


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


async def items_and_templates_with_value(session: AsyncSession, attribute_id: UUID) -> tuple[int, list[UUID]]:
    """How many items have a value of the attribute, and which templates do."""
    items = await session.scalar(
        select(func.count()).select_from(ItemValue).where(ItemValue.attribute_id == attribute_id)
    )
    templates = await session.scalars(
        select(TemplateValue.template_id).where(TemplateValue.attribute_id == attribute_id)
    )
    return items, list(templates)


# Templates ---------------------------------------------------------------------------------


async def get_template(session: AsyncSession, template_id: UUID, lock: Lock = None) -> Template | None:
    return await session.scalar(_locked(select(Template).where(Template.id == template_id), lock))


async def find_template_by_name(session: AsyncSession, category_id: UUID, name: str) -> Template | None:
    return await session.scalar(select(Template).where(Template.category_id == category_id, Template.name == name))


async def list_templates(session: AsyncSession, category_id: UUID, page: Page) -> list[Template]:
    stmt = select(Template).where(Template.category_id == category_id)
    if after := page.after_key(str, UUID):
        stmt = stmt.where(tuple_(Template.name, Template.id) > tuple_(*after))
    return list(await session.scalars(stmt.order_by(Template.name, Template.id).limit(page.size + 1)))


async def template_values(session: AsyncSession, template_ids: Sequence[UUID]) -> dict[UUID, dict[str, Scalar]]:
    """Each template's values by attribute key."""
    rows = await session.execute(
        select(
            TemplateValue.template_id,
            Attribute.key,
            TemplateValue.type,
            TemplateValue.value_string,
            TemplateValue.value_number,
            TemplateValue.value_boolean,
        )
        .join(Attribute, Attribute.id == TemplateValue.attribute_id)
        .where(TemplateValue.template_id.in_(template_ids))
    )
    found: dict[UUID, dict[str, Scalar]] = {template_id: {} for template_id in template_ids}
    for template_id, key, kind, string, number, boolean in rows:
        found[template_id][key] = from_columns(kind, string, number, boolean)
    return found


def _value_rows(
    owner: dict[str, UUID], category_id: UUID, specs: Iterable[AttributeSpec], values: dict[str, Scalar]
) -> list[dict]:
    by_key = {spec.key: spec for spec in specs}
    return [
        {
            **owner,
            "category_id": category_id,
            "attribute_id": by_key[key].id,
            "type": by_key[key].type,
            **stored_columns(by_key[key].type, value),
        }
        for key, value in values.items()
    ]


async def replace_template_values(
    session: AsyncSession, template: Template, specs: Iterable[AttributeSpec], values: dict[str, Scalar]
) -> None:
    await session.execute(delete(TemplateValue).where(TemplateValue.template_id == template.id))
    rows = _value_rows({"template_id": template.id}, template.category_id, specs, values)
    if rows:
        await session.execute(insert(TemplateValue), rows)


async def copy_template_values_to_items(session: AsyncSession, template_id: UUID, attribute_ids: list[UUID]) -> None:
    """Writes the template's values of these attributes into every item of the template."""
    if not attribute_ids:
        return
    source = (
        select(
            Item.id,
            Item.category_id,
            TemplateValue.attribute_id,
            TemplateValue.type,
            TemplateValue.value_string,
            TemplateValue.value_number,
            TemplateValue.value_boolean,
        )
        .join(TemplateValue, TemplateValue.template_id == Item.template_id)
        .where(Item.template_id == template_id, TemplateValue.attribute_id.in_(attribute_ids))
    )
    columns = ["item_id", "category_id", "attribute_id", "type", "value_string", "value_number", "value_boolean"]
    stmt = insert(ItemValue).from_select(columns, source)
    stmt = stmt.on_conflict_do_update(
        index_elements=["item_id", "attribute_id"],
        set_={name: stmt.excluded[name] for name in ("value_string", "value_number", "value_boolean")},
    )
    await session.execute(stmt)


async def count_items_of_template(session: AsyncSession, template_id: UUID) -> int:
    return await session.scalar(select(func.count()).select_from(Item).where(Item.template_id == template_id))


# Items -------------------------------------------------------------------------------------


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
    values: dict[UUID, dict[str, Scalar]] = {item_id: {} for item_id in rows}
    value_rows = await session.execute(
        select(
            ItemValue.item_id,
            Attribute.key,
            ItemValue.type,
            ItemValue.value_string,
            ItemValue.value_number,
            ItemValue.value_boolean,
        )
        .join(Attribute, Attribute.id == ItemValue.attribute_id)
        .where(ItemValue.item_id.in_(item_ids))
        .order_by(ItemValue.item_id, Attribute.display_order, Attribute.key)
    )
    for item_id, key, kind, string, number, boolean in value_rows:
        values[item_id][key] = from_columns(kind, string, number, boolean)
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
    specs: Iterable[AttributeSpec],
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
    rows = _value_rows({"item_id": item_id}, category_id, specs, values)
    if rows:
        await session.execute(insert(ItemValue), rows)
    return item_id


def _value_condition(item_filter: Filter) -> ColumnElement[bool]:
    kind = item_filter.spec.type
    column = (
        ItemValue.value_number
        if kind.is_numeric
        else ItemValue.value_boolean
        if kind is AttributeType.BOOLEAN
        else ItemValue.value_string
    )
    if item_filter.values:
        values = item_filter.values
        return column == values[0] if len(values) == 1 else column.in_(values)
    bounds = []
    if item_filter.minimum is not None:
        bounds.append(column >= item_filter.minimum)
    if item_filter.maximum is not None:
        bounds.append(column <= item_filter.maximum)
    return and_(*bounds)


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
                ItemValue.attribute_id == item_filter.spec.id,
                _value_condition(item_filter),
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


async def items_changed(session: AsyncSession, condition: ColumnElement[bool]) -> None:
    """Marks the items matching `condition` changed now and adds a catalog.item.changed event for each."""
    await session.execute(update(Item).where(condition).values(updated_at=func.now()))
    payload = func.jsonb_build_object(
        "item_id",
        cast(Item.id, Text),
        "owner_id",
        cast(Item.owner_id, Text),
        "category_id",
        cast(Item.category_id, Text),
    )
    source = select(
        literal("catalog.item.changed"),
        cast(Item.id, Text),
        literal(events_pb2.ItemChanged.DESCRIPTOR.full_name),
        payload,
    ).where(condition)
    await session.execute(
        insert(OutboxEvent).from_select(["event_type", "subject_id", "payload_type", "payload"], source)
    )


def of_template(template_id: UUID) -> ColumnElement[bool]:
    return Item.template_id == template_id


def with_value_of(attribute_id: UUID) -> ColumnElement[bool]:
    return exists().where(ItemValue.item_id == Item.id, ItemValue.attribute_id == attribute_id)
