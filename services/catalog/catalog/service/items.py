"""Use cases of items: create, read, list with typed filters, and the transfer after a sale."""

from uuid import UUID

from catalog import events
from catalog.domain.categories import CategoryNotFound
from catalog.domain.items import ItemNotFound, ItemOwnerChanged, NewItem, item_violations
from catalog.domain.templates import TemplateNotFound
from catalog.domain.values import validate_values
from catalog.repository import items as repository
from catalog.repository.attributes import attributes_of_category
from catalog.repository.categories import get_category
from catalog.repository.items import ItemView
from catalog.repository.templates import get_template, template_values
from catalog.service.common import collect
from servicekit import idempotency
from servicekit.auth import Caller
from servicekit.db import Database
from servicekit.errors import FieldViolation, InvalidArgument
from servicekit.filters import parse_filters
from servicekit.idempotency import Once
from servicekit.pagination import Page, page_result
from servicekit.values import Scalar


def _page(views: list[ItemView], page: Page) -> tuple[list[ItemView], str]:
    return page_result(views, page, lambda view: (view.created_at, view.id))


async def create_item(db: Database, caller: Caller, new: NewItem, once: Once) -> ItemView:
    """An item owned by the caller; its values are checked against the category, the template's included."""
    violations = item_violations(new)
    if new.template_id is None and new.category_id is None:
        raise InvalidArgument(violations)
    async with db.begin() as session:
        await idempotency.claim(session, once)
        fixed: dict[str, Scalar] = {}
        category_id = new.category_id
        if new.template_id is not None:
            # FOR SHARE: the template's values stay as they are until this item has its copy.
            template = await get_template(session, new.template_id, "share")
            if template is None:
                raise TemplateNotFound(f"template {new.template_id} does not exist")
            if category_id not in (None, template.category_id):
                violations.append(FieldViolation("item.category_id", "must be the template's category or empty"))
            category_id = template.category_id
            fixed = (await template_values(session, [template.id]))[template.id]
        category = await get_category(session, category_id, "share")
        if category is None:
            raise CategoryNotFound(f"category {category_id} does not exist")
        attributes = await attributes_of_category(session, category.id)
        values = collect(
            violations,
            lambda: validate_values(attributes, new.attributes, "item.attributes", require=True, fixed=fixed),
        )
        item_id = await repository.add_item(
            session,
            owner_id=caller.user_id,
            category_id=category.id,
            template_id=new.template_id,
            name=new.name.strip(),
            description=new.description,
            image_url=new.image_url,
            attributes=attributes,
            values=values,
        )
        events.item_created(session, item_id, caller.user_id, new.template_id, category.id)
        [view] = await repository.item_views(session, [item_id])
        await idempotency.complete(session, once, view)
        return view


async def get_item(db: Database, item_id: UUID) -> ItemView:
    async with db.read() as session:
        views = await repository.item_views(session, [item_id])
    if not views:
        raise ItemNotFound(f"item {item_id} does not exist")
    return views[0]


async def list_my_items(db: Database, caller: Caller, page: Page) -> tuple[list[ItemView], str]:
    async with db.read() as session:
        return _page(await repository.list_items_of_owner(session, caller.user_id, page), page)


async def list_items(
    db: Database,
    category_id: UUID,
    conditions: list[str],
    page: Page,
    *,
    template_id: UUID | None = None,
    owner_id: UUID | None = None,
) -> tuple[list[ItemView], str]:
    """A category's items matching typed filters such as wear:0..0.07, newest first."""
    async with db.read() as session:
        if await get_category(session, category_id) is None:
            raise CategoryNotFound(f"category {category_id} does not exist")
        filters = parse_filters(await attributes_of_category(session, category_id), conditions)
        views = await repository.list_items(
            session, category_id, filters, page, template_id=template_id, owner_id=owner_id
        )
    return _page(views, page)


async def transfer_item(db: Database, once: Once, item_id: UUID, from_owner_id: UUID, to_owner_id: UUID) -> ItemView:
    """Gives the item to its buyer; a repeated request_id returns the first result and moves nothing."""
    if from_owner_id == to_owner_id:
        raise InvalidArgument.field("to_owner_id", "must differ from from_owner_id")
    async with db.begin() as session:
        await idempotency.claim(session, once)
        item = await repository.get_item_for_update(session, item_id)
        if item is None:
            raise ItemNotFound(f"item {item_id} does not exist")
        if item.owner_id != from_owner_id:
            raise ItemOwnerChanged(
                f"item {item_id} is no longer owned by {from_owner_id}", metadata={"item_id": str(item_id)}
            )
        item.owner_id = to_owner_id
        await session.flush()
        events.item_transferred(session, item.id, from_owner_id, to_owner_id, once.key)
        [view] = await repository.item_views(session, [item.id])
        await idempotency.complete(session, once, view)
        return view
