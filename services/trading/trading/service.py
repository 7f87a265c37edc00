"""Use cases of trading: one function per action; the end of `db.begin()` is the commit."""

from uuid import UUID

from marketplace.trading.v1 import events_pb2
from servicekit import idempotency, outbox
from servicekit.auth import Caller
from servicekit.db import Database
from servicekit.idempotency import Once
from trading import domain, repository
from trading.models import IdempotencyKey, Listing, OutboxEvent


async def create_listing(db: Database, caller: Caller, new: domain.NewListing, once: Once) -> Listing:
    async with db.begin() as session:
        await idempotency.claim(session, IdempotencyKey, once)
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
        await idempotency.complete(session, IdempotencyKey, once, listing)
        outbox.add(
            session,
            OutboxEvent,
            "trading.listing.created",
            listing.id,
            events_pb2.ListingCreated(listing_id=str(listing.id), seller_id=str(caller.user_id)),
        )
    return listing


async def get_listing(db: Database, listing_id: UUID) -> Listing:
    async with db.read() as session:
        listing = await repository.get_listing(session, listing_id)
    if listing is None:
        raise domain.ListingNotFound(f"listing {listing_id} does not exist")
    return listing
