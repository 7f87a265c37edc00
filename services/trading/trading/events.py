"""The integration events trading publishes, built from protos/marketplace/trading/v1/events.proto.

Each function adds one event to the outbox in the caller's transaction, so every event of a
type has the same payload wherever it is published.
"""

from sqlalchemy.ext.asyncio import AsyncSession

from marketplace.trading.v1 import events_pb2
from servicekit import outbox
from trading.models import Listing, OutboxEvent


def listing_created(session: AsyncSession, listing: Listing) -> None:
    payload = events_pb2.ListingCreated(listing_id=str(listing.id), seller_id=str(listing.seller_id))
    outbox.add(session, OutboxEvent, "trading.listing.created", listing.id, payload)
