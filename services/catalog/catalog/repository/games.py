"""Queries of games."""

from uuid import UUID

from sqlalchemy import func, select, tuple_
from sqlalchemy.ext.asyncio import AsyncSession

from catalog.models import Category, Game
from catalog.repository.common import Lock, locked
from servicekit.pagination import Page


async def get_game(session: AsyncSession, game_id: UUID, lock: Lock = None) -> Game | None:
    return await session.scalar(locked(select(Game).where(Game.id == game_id), lock))


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
