"""Use cases of trading: one function per action; the end of `db.begin()` is the commit."""

from uuid import UUID

from marketplace.trading.v1 import events_pb2
from servicekit import idempotency, outbox
from servicekit.auth import Caller
from servicekit.db import Database
from trading import domain, repository
from trading.models import IdempotencyKey, Listing, OutboxEvent


async def create_listing(db: Database, caller: Caller, new: domain.NewListing, request_id: str) -> Listing:
    scope = f"create_listing:{caller.user_id}"
    async with db.begin() as session:
        if request_id and (first := await idempotency.claim(session, IdempotencyKey, scope, request_id)):
            return await repository.get_listing(session, first)
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
        if request_id:
            await idempotency.complete(session, IdempotencyKey, scope, request_id, listing.id)
        outbox.add(
            session,
            OutboxEvent,
            "trading.listing.created",
            listing.id,
            events_pb2.ListingCreated(listing_id=str(listing.id), seller_id=str(caller.user_id)),
        )
    # Read back so the location comes as PostGIS stores it.
    return await get_listing(db, listing.id)


async def get_listing(db: Database, listing_id: UUID) -> Listing:
    async with db.read() as session:
        listing = await repository.get_listing(session, listing_id)
    if listing is None:
        raise domain.ListingNotFound(f"listing {listing_id} does not exist")
    return listing
