"""Queries of trading. Session first, never a commit."""

from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncSession

from trading.models import Listing


async def get_listing(session: AsyncSession, listing_id: UUID) -> Listing | None:
    return await session.get(Listing, listing_id)
