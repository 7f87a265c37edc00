"""Queries of the catalog. Session first, never a commit."""

from uuid import UUID

from sqlalchemy import select, tuple_
from sqlalchemy.ext.asyncio import AsyncSession

from catalog.models import Game
from servicekit.pagination import Page


async def get_game(session: AsyncSession, game_id: UUID) -> Game | None:
    return await session.get(Game, game_id)


async def find_game_by_name(session: AsyncSession, name: str) -> Game | None:
    return await session.scalar(select(Game).where(Game.name == name))


async def list_games(session: AsyncSession, page: Page) -> list[Game]:
    """Games by name (case-insensitive, as citext sorts), then id; size + 1 rows."""
    stmt = select(Game)
    if page.after:
        stmt = stmt.where(tuple_(Game.name, Game.id) > tuple_(*page.after))
    stmt = stmt.order_by(Game.name, Game.id).limit(page.size + 1)
    return list(await session.scalars(stmt))
