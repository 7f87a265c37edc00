"""Use cases of trading: one function per action; the end of `db.begin()` is the commit."""

from uuid import UUID

from servicekit import idempotency
from servicekit.auth import Caller
from servicekit.db import Database
from servicekit.idempotency import Once
from trading import domain, events, repository
from trading.models import Listing


async def create_listing(db: Database, caller: Caller, new: domain.NewListing, once: Once) -> Listing:
    async with db.begin() as session:
        await idempotency.claim(session, once)
        listing = Listing(
            seller_id=caller.user_id,
            title=new.title,
            description=new.description,
            condition=new.condition,
            price_minor=new.price.amount_minor,
            currency=new.price.currency,
            location=new.location.to_ewkt() if new.location else None,
            feed=new.feed,
        )
        session.add(listing)
        await session.flush()
        # Read back, so that the location comes as PostGIS stores it.
        await session.refresh(listing)
        await idempotency.complete(session, once, listing)
        events.listing_created(session, listing)
    return listing


async def get_listing(db: Database, listing_id: UUID) -> Listing:
    async with db.read() as session:
        listing = await repository.get_listing(session, listing_id)
    if listing is None:
        raise domain.ListingNotFound(f"listing {listing_id} does not exist")
    return listing
