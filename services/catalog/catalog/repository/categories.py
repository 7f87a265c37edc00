"""Queries of categories and their tree."""

from uuid import UUID

from sqlalchemy import func, select, tuple_
from sqlalchemy.ext.asyncio import AsyncSession

from catalog.models import Category, Item, Template
from catalog.repository.common import Lock, locked
from servicekit.pagination import Page


async def get_category(session: AsyncSession, category_id: UUID, lock: Lock = None) -> Category | None:
    """The category; "share" keeps its attribute definitions as they are until the commit."""
    return await session.scalar(locked(select(Category).where(Category.id == category_id), lock))


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
