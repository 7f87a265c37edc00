"""Saved searches with their standing query: the owner's list and count, and the listings each was told of."""

from datetime import datetime
from uuid import UUID

from sqlalchemy import delete, func, literal, select, tuple_
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from servicekit.pagination import Page
from trading.models import SavedSearch, SavedSearchMatch, StandingQuery


async def lock_owner(session: AsyncSession, owner_id: UUID) -> None:
    """Takes the owner's saved-search lock until the commit, so that two saves at once count each other."""
    await session.execute(select(func.pg_advisory_xact_lock(func.hashtextextended(f"saved-searches:{owner_id}", 0))))


async def count_for_owner(session: AsyncSession, owner_id: UUID) -> int:
    return await session.scalar(select(func.count()).where(SavedSearch.owner_id == owner_id))


async def get(session: AsyncSession, saved_search_id: UUID) -> SavedSearch | None:
    stmt = select(SavedSearch).where(SavedSearch.id == saved_search_id).options(selectinload(SavedSearch.query))
    return await session.scalar(stmt)


async def list_for_owner(session: AsyncSession, owner_id: UUID, page: Page) -> list[SavedSearch]:
    """The owner's saved searches newest first, size + 1 of them."""
    stmt = select(SavedSearch).where(SavedSearch.owner_id == owner_id).options(selectinload(SavedSearch.query))
    if after := page.after_key(datetime, UUID):
        stmt = stmt.where(tuple_(SavedSearch.created_at, SavedSearch.id) < after)
    stmt = stmt.order_by(SavedSearch.created_at.desc(), SavedSearch.id.desc()).limit(page.size + 1)
    return list(await session.scalars(stmt))


async def delete_owned(session: AsyncSession, saved_search_id: UUID, owner_id: UUID) -> bool:
    """Deletes the owner's saved search through its standing query (its filters, row and matches follow by
    their cascades); whether there was one."""
    owned = select(SavedSearch.id).where(SavedSearch.id == saved_search_id, SavedSearch.owner_id == owner_id)
    deleted = await session.execute(
        delete(StandingQuery).where(StandingQuery.id.in_(owned)).returning(StandingQuery.id)
    )
    return deleted.first() is not None


async def record_matches(session: AsyncSession, listing_id: UUID, saved_search_ids: list[UUID]) -> list[SavedSearch]:
    """Records that the saved searches were told of the listing, and returns those told for the first time.
    The searches are locked FOR KEY SHARE as they are read: one deleted meanwhile is passed over rather
    than failing the match row's foreign key."""
    if not saved_search_ids:
        return []
    searches = (
        select(SavedSearch.id, literal(listing_id, SavedSearchMatch.listing_id.type))
        .where(SavedSearch.id.in_(saved_search_ids))
        .with_for_update(key_share=True)
    )
    stmt = (
        insert(SavedSearchMatch)
        .from_select(["saved_search_id", "listing_id"], searches)
        .on_conflict_do_nothing()
        .returning(SavedSearchMatch.saved_search_id)
    )
    told = list(await session.scalars(stmt))
    if not told:
        return []
    return list(await session.scalars(select(SavedSearch).where(SavedSearch.id.in_(told))))
