"""Use cases of categories: create, read, list, rename or move, delete."""

from uuid import UUID

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from catalog import events
from catalog.domain.categories import (
    CATEGORY_MASK,
    CategoryFields,
    CategoryHasItems,
    CategoryHasSubcategories,
    CategoryNameTaken,
    CategoryNotFound,
    validate_category,
)
from catalog.models import Category
from catalog.repository import audit
from catalog.repository import categories as repository
from catalog.repository.common import Lock
from catalog.service.common import lost_race
from catalog.service.games import game_for
from servicekit import audit as audit_log
from servicekit import idempotency
from servicekit.auth import Caller
from servicekit.db import Database
from servicekit.errors import FieldViolation, InvalidArgument
from servicekit.idempotency import Once
from servicekit.masks import apply_mask
from servicekit.pagination import Page, page_result


async def category_for(session: AsyncSession, category_id: UUID, lock: Lock = None) -> Category:
    category = await repository.get_category(session, category_id, lock)
    if category is None:
        raise CategoryNotFound(f"category {category_id} does not exist")
    return category


async def _parent_violations(
    session: AsyncSession, game_id: UUID, parent_id: UUID | None, category_id: UUID | None
) -> list[FieldViolation]:
    if parent_id is None:
        return []
    field = "category.parent_id"
    # FOR SHARE: the parent cannot be deleted before the sub-category commits.
    parent = await repository.get_category(session, parent_id, "share")
    if parent is None or parent.game_id != game_id:
        return [FieldViolation(field, f"there is no category {parent_id} in this game")]
    if category_id is not None and category_id in await repository.ancestor_ids(session, parent_id):
        return [FieldViolation(field, "must not be the category itself or one of its sub-categories")]
    return []


async def create_category(db: Database, caller: Caller, game_id: UUID, fields: CategoryFields, once: Once) -> Category:
    caller.require_admin()
    fields = validate_category(fields)
    try:
        async with db.begin() as session:
            await idempotency.claim(session, once)
            # FOR SHARE: a concurrent delete of the game waits for this category, then sees it.
            await game_for(session, game_id, "share")
            if violations := await _parent_violations(session, game_id, fields.parent_id, None):
                raise InvalidArgument(violations)
            if await repository.find_category_by_name(session, game_id, fields.name):
                raise CategoryNameTaken(fields.name)
            category = Category(
                game_id=game_id, parent_id=fields.parent_id, name=fields.name, description=fields.description
            )
            session.add(category)
            await session.flush()
            await idempotency.complete(session, once, category)
            state = audit.category_state(category)
            await audit_log.record(session, "category.created", "category", category.id, after=state)
            events.category_changed(session, category.id, category.game_id)
    except IntegrityError as exc:
        raise lost_race(exc, CategoryNameTaken(fields.name)) from exc
    return category


async def get_category(db: Database, category_id: UUID) -> Category:
    async with db.read() as session:
        return await category_for(session, category_id)


async def list_categories(db: Database, game_id: UUID, page: Page) -> tuple[list[Category], str]:
    async with db.read() as session:
        await game_for(session, game_id)
        categories = await repository.list_categories(session, game_id, page)
    return page_result(categories, page, lambda category: (category.name, category.id))


async def update_category(
    db: Database, caller: Caller, category_id: UUID, patch: CategoryFields, paths: list[str]
) -> Category:
    caller.require_admin()
    try:
        async with db.begin() as session:
            category = await category_for(session, category_id, "update")
            before = audit.category_state(category)
            current = CategoryFields(category.name, category.description, category.parent_id)
            fields = validate_category(apply_mask(current, patch, paths, prefix="category.", fields=CATEGORY_MASK))
            if fields.parent_id != category.parent_id:
                # One move at a time per game: two concurrent moves could otherwise make a cycle.
                await repository.lock_category_tree(session, category.game_id)
                if violations := await _parent_violations(session, category.game_id, fields.parent_id, category.id):
                    raise InvalidArgument(violations)
            other = await repository.find_category_by_name(session, category.game_id, fields.name)
            if other is not None and other.id != category.id:
                raise CategoryNameTaken(fields.name)
            category.name, category.description, category.parent_id = fields.name, fields.description, fields.parent_id
            await session.flush()
            after = audit.category_state(category)
            await audit_log.record(session, "category.updated", "category", category.id, before=before, after=after)
            events.category_changed(session, category.id, category.game_id)
    except IntegrityError as exc:
        raise lost_race(exc, CategoryNameTaken(patch.name.strip())) from exc
    return category


async def delete_category(db: Database, caller: Caller, category_id: UUID) -> Category:
    """Deletes a category with its attributes and templates; refused while items or sub-categories use it."""
    caller.require_admin()
    async with db.begin() as session:
        category = await category_for(session, category_id, "update")
        if items := await repository.count_items_of_category(session, category.id):
            raise CategoryHasItems(items)
        if children := await repository.count_subcategories(session, category.id):
            raise CategoryHasSubcategories(children)
        template_ids = await repository.template_ids_of_category(session, category.id)
        await session.delete(category)
        await audit_log.record(
            session, "category.deleted", "category", category.id, before=audit.category_state(category)
        )
        events.category_changed(session, category.id, category.game_id, deleted=True)
        for template_id in template_ids:
            events.template_changed(session, template_id, category.id, deleted=True)
    return category
