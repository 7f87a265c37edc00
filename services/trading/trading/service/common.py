"""What the use cases of every resource share: the listing a user may see."""

from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncSession

from trading.domain import listings as domain
from trading.models import Listing
from trading.repository import listings as repository


async def visible_listing(
    session: AsyncSession, listing_id: UUID, user_id: UUID | None, *, for_update: bool = False, for_share: bool = False
) -> Listing:
    """The listing if the user may see it; NOT_FOUND for a listing that does not exist or is not theirs to see."""
    listing = await repository.get_listing(session, listing_id, for_update=for_update, for_share=for_share)
    if listing is None or not domain.visible_to(listing.status, listing.seller_id, user_id):
        raise domain.ListingNotFound(f"listing {listing_id} does not exist")
    return listing
