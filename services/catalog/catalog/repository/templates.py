"""Queries of templates and their values, and the copy of those values into their items."""

from collections.abc import Iterable, Sequence
from uuid import UUID

from sqlalchemy import delete, func, select, tuple_
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from catalog.domain.attributes import Attribute
from catalog.models import Item, ItemValue, Template, TemplateValue
from catalog.repository.common import Lock, locked
from catalog.repository.values import value_rows, values_by_key
from servicekit.pagination import Page
from servicekit.values import Scalar


async def get_template(session: AsyncSession, template_id: UUID, lock: Lock = None) -> Template | None:
    return await session.scalar(locked(select(Template).where(Template.id == template_id), lock))


async def find_template_by_name(session: AsyncSession, category_id: UUID, name: str) -> Template | None:
    return await session.scalar(select(Template).where(Template.category_id == category_id, Template.name == name))


async def list_templates(session: AsyncSession, category_id: UUID, page: Page) -> list[Template]:
    stmt = select(Template).where(Template.category_id == category_id)
    if after := page.after_key(str, UUID):
        stmt = stmt.where(tuple_(Template.name, Template.id) > tuple_(*after))
    return list(await session.scalars(stmt.order_by(Template.name, Template.id).limit(page.size + 1)))


async def count_items_of_template(session: AsyncSession, template_id: UUID) -> int:
    return await session.scalar(select(func.count()).select_from(Item).where(Item.template_id == template_id))


async def template_values(session: AsyncSession, template_ids: Sequence[UUID]) -> dict[UUID, dict[str, Scalar]]:
    """Each template's values by attribute key."""
    return await values_by_key(session, TemplateValue.template_id, template_ids)


async def replace_template_values(
    session: AsyncSession,
    template_id: UUID,
    category_id: UUID,
    attributes: Iterable[Attribute],
    values: dict[str, Scalar],
) -> None:
    await session.execute(delete(TemplateValue).where(TemplateValue.template_id == template_id))
    rows = value_rows({"template_id": template_id}, category_id, attributes, values)
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
