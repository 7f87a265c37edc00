"""Item use cases: create, read, list with typed filters, and the transfer after a sale.

One function per action; the end of `db.begin()` is the commit.
"""

from uuid import UUID

from catalog import attributes, domain, repository
from catalog.models import OutboxEvent
from catalog.repository import ItemView
from catalog.service import claimed, collect, completed
from marketplace.catalog.v1 import events_pb2
from servicekit import outbox
from servicekit.auth import Caller
from servicekit.db import Database
from servicekit.errors import FieldViolation, InvalidArgument
from servicekit.pagination import Page, page_result

TRANSFER_SCOPE = "transfer_item"


def _page(views: list[ItemView], page: Page) -> tuple[list[ItemView], str]:
    return page_result(views, page, lambda view: (view.created_at, view.id))


async def create_item(db: Database, caller: Caller, new: domain.NewItem, request_id: str) -> ItemView:
    """An item owned by the caller; its values are checked against the category, the template's included."""
    violations = domain.item_violations(new)
    if new.template_id is None and new.category_id is None:
        raise InvalidArgument(violations)
    scope = f"create_item:{caller.user_id}"
    async with db.begin() as session:
        if first := await claimed(session, scope, request_id):
            return (await repository.item_views(session, [first]))[0]
        fixed: dict[str, attributes.Scalar] = {}
        category_id = new.category_id
        if new.template_id is not None:
            # FOR SHARE: the template's values stay as they are until this item has its copy.
            template = await repository.get_template(session, new.template_id, "share")
            if template is None:
                raise domain.TemplateNotFound(f"template {new.template_id} does not exist")
            if category_id not in (None, template.category_id):
                violations.append(FieldViolation("item.category_id", "must be the template's category or empty"))
            category_id = template.category_id
            fixed = (await repository.template_values(session, [template.id]))[template.id]
        category = await repository.get_category(session, category_id, "share")
        if category is None:
            raise domain.CategoryNotFound(f"category {category_id} does not exist")
        specs = await repository.attribute_specs(session, category.id)
        values = collect(
            violations,
            lambda: attributes.validate_values(specs, new.attributes, "item.attributes", require=True, fixed=fixed),
        )
        item_id = await repository.add_item(
            session,
            owner_id=caller.user_id,
            category_id=category.id,
            template_id=new.template_id,
            name=new.name.strip(),
            description=new.description,
            image_url=new.image_url,
            specs=specs,
            values=values,
        )
        await completed(session, scope, request_id, item_id)
        created = events_pb2.ItemCreated(
            item_id=str(item_id),
            owner_id=str(caller.user_id),
            template_id=str(new.template_id or ""),
            category_id=str(category.id),
        )
        outbox.add(session, OutboxEvent, "catalog.item.created", item_id, created)
        return (await repository.item_views(session, [item_id]))[0]


async def get_item(db: Database, item_id: UUID) -> ItemView:
    async with db.read() as session:
        views = await repository.item_views(session, [item_id])
    if not views:
        raise domain.ItemNotFound(f"item {item_id} does not exist")
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
        if await repository.get_category(session, category_id) is None:
            raise domain.CategoryNotFound(f"category {category_id} does not exist")
        filters = attributes.parse_filters(await repository.attribute_specs(session, category_id), conditions)
        views = await repository.list_items(
            session, category_id, filters, page, template_id=template_id, owner_id=owner_id
        )
    return _page(views, page)


async def transfer_item(
    db: Database, request_id: str, item_id: UUID, from_owner_id: UUID, to_owner_id: UUID
) -> ItemView:
    """Gives the item to its buyer; a repeated request_id returns the first result and moves nothing."""
    if from_owner_id == to_owner_id:
        raise InvalidArgument.field("to_owner_id", "must differ from from_owner_id")
    async with db.begin() as session:
        if first := await claimed(session, TRANSFER_SCOPE, request_id):
            return (await repository.item_views(session, [first]))[0]
        item = await repository.get_item_for_update(session, item_id)
        if item is None:
            raise domain.ItemNotFound(f"item {item_id} does not exist")
        if item.owner_id != from_owner_id:
            raise domain.ItemOwnerChanged(
                f"item {item_id} is no longer owned by {from_owner_id}", metadata={"item_id": str(item_id)}
            )
        item.owner_id = to_owner_id
        await session.flush()
        await completed(session, TRANSFER_SCOPE, request_id, item.id)
        transferred = events_pb2.ItemTransferred(
            item_id=str(item.id),
            from_owner_id=str(from_owner_id),
            to_owner_id=str(to_owner_id),
            request_id=request_id,
        )
        outbox.add(session, OutboxEvent, "catalog.item.transferred", item.id, transferred)
        return (await repository.item_views(session, [item.id]))[0]
