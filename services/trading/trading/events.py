"""The integration events trading publishes, built from protos/marketplace/trading/v1/events.proto.

Each function adds one event to the outbox in the caller's transaction, so every event of a
type has the same payload wherever it is published. Events tell of listings others can see:
a draft has none until it is published. Offer events name both parties, so that each consumer
(messaging, say) knows whom to tell. A stream's one event, at each of its moves, says its status.
"""

from uuid import UUID

from google.protobuf.message import Message
from sqlalchemy.ext.asyncio import AsyncSession

from marketplace.trading.v1 import events_pb2, resources_pb2
from servicekit import enums, outbox
from servicekit.money import Money
from trading.domain.buy_orders import BuyOrderStatus
from trading.models import BuyOrder, Listing, Offer, OutboxEvent, SavedSearch, Transaction
from trading.repository.listings import ListingView
from trading.repository.streams import StreamView
from trading.resources import buy_order_to_proto, listing_to_proto, stream_to_proto, transaction_to_proto


def _add(session: AsyncSession, event_type: str, subject_id: UUID, payload: Message) -> None:
    outbox.add(session, OutboxEvent, event_type, subject_id, payload)


def _snapshot(view: ListingView) -> resources_pb2.Listing:
    """The listing as everyone sees it: whether the reader of the moment likes it is nobody's business."""
    listing = listing_to_proto(view)
    listing.ClearField("liked")
    return listing


def listing_created(session: AsyncSession, view: ListingView) -> None:
    """The listing went on sale: created active, or a draft published."""
    listing = view.listing
    payload = events_pb2.ListingCreated(
        listing_id=str(listing.id),
        seller_id=str(listing.seller_id),
        item_id=str(listing.item_id or ""),
        category_id=str(listing.category_id or ""),
        price=Money(listing.currency, listing.price_minor).to_proto(),
        feed=enums.to_proto(resources_pb2.Feed, listing.feed),
        listing=_snapshot(view),
    )
    _add(session, "trading.listing.created", listing.id, payload)


def listing_changed(session: AsyncSession, view: ListingView, changed_fields: list[str]) -> None:
    listing = view.listing
    payload = events_pb2.ListingChanged(
        listing_id=str(listing.id),
        seller_id=str(listing.seller_id),
        status=enums.to_proto(resources_pb2.ListingStatus, listing.status),
        listing=_snapshot(view),
        changed_fields=changed_fields,
    )
    _add(session, "trading.listing.changed", listing.id, payload)


def listing_cancelled(session: AsyncSession, listing: Listing) -> None:
    payload = events_pb2.ListingCancelled(
        listing_id=str(listing.id), seller_id=str(listing.seller_id), item_id=str(listing.item_id or "")
    )
    _add(session, "trading.listing.cancelled", listing.id, payload)


def listing_sold(session: AsyncSession, listing: Listing, buyer_id: UUID, transaction_id: UUID, amount: Money) -> None:
    """The purchase of the listing completed (published by the purchase saga)."""
    payload = events_pb2.ListingSold(
        listing_id=str(listing.id),
        seller_id=str(listing.seller_id),
        buyer_id=str(buyer_id),
        item_id=str(listing.item_id or ""),
        transaction_id=str(transaction_id),
        amount=amount.to_proto(),
    )
    _add(session, "trading.listing.sold", listing.id, payload)


def _about(offer: Offer) -> dict:
    """What every offer event says: the offer, its listing, both parties and the amount."""
    return {
        "offer_id": str(offer.id),
        "listing_id": str(offer.listing_id),
        "buyer_id": str(offer.buyer_id),
        "seller_id": str(offer.seller_id),
        "amount": Money(offer.currency, offer.amount_minor).to_proto(),
    }


def offer_made(session: AsyncSession, offer: Offer) -> None:
    """A pending offer: a buyer's first, or a counter-offer (previous_offer_id)."""
    payload = events_pb2.OfferMade(
        **_about(offer), proposer_id=str(offer.proposer_id), previous_offer_id=str(offer.previous_offer_id or "")
    )
    _add(session, "trading.offer.made", offer.id, payload)


def offer_accepted(session: AsyncSession, offer: Offer, transaction_id: UUID) -> None:
    """The offer was accepted, its listing reserved and its purchase started."""
    payload = events_pb2.OfferAccepted(**_about(offer), transaction_id=str(transaction_id))
    _add(session, "trading.offer.accepted", offer.id, payload)


def offer_changed(session: AsyncSession, offer: Offer) -> None:
    """The offer ended otherwise: rejected, countered, cancelled or expired (its status says which)."""
    payload = events_pb2.OfferChanged(
        **_about(offer),
        proposer_id=str(offer.proposer_id),
        status=enums.to_proto(resources_pb2.OfferStatus, offer.status),
    )
    _add(session, "trading.offer.changed", offer.id, payload)


def transaction_changed(session: AsyncSession, transaction: Transaction) -> None:
    """A purchase started or moved on: its status, and the whole transaction as it is now."""
    payload = events_pb2.TransactionChanged(
        transaction_id=str(transaction.id),
        listing_id=str(transaction.listing_id),
        offer_id=str(transaction.offer_id or ""),
        buyer_id=str(transaction.buyer_id),
        seller_id=str(transaction.seller_id),
        status=enums.to_proto(resources_pb2.TransactionStatus, transaction.status),
        amount=Money(transaction.currency, transaction.amount_minor).to_proto(),
        transaction=transaction_to_proto(transaction),
    )
    _add(session, "trading.transaction.changed", transaction.id, payload)


def stream_changed(session: AsyncSession, view: StreamView) -> None:
    """The stream was created (scheduled), started (live) or ended, as its status says; with its counts as
    everyone sees them."""
    stream = stream_to_proto(view)
    stream.ClearField("liked")
    payload = events_pb2.StreamChanged(
        stream_id=stream.id, owner_id=stream.owner_id, status=stream.status, stream=stream
    )
    _add(session, "trading.stream.changed", view.stream.id, payload)


def buy_order_changed(session: AsyncSession, order: BuyOrder) -> None:
    """The order opened (its hold placed), was filled, cancelled or expired: the event is named after its
    status (`trading.buy_order.created` for an open one)."""
    payload = events_pb2.BuyOrderChanged(
        buy_order_id=str(order.id),
        buyer_id=str(order.buyer_id),
        status=enums.to_proto(resources_pb2.BuyOrderStatus, order.status),
        buy_order=buy_order_to_proto(order),
    )
    name = "created" if order.status is BuyOrderStatus.OPEN else order.status.value
    _add(session, f"trading.buy_order.{name}", order.id, payload)


def saved_search_matched(session: AsyncSession, search: SavedSearch, listing: Listing) -> None:
    """A listing on sale matches the saved search, told once per search and listing."""
    payload = events_pb2.SavedSearchMatched(
        saved_search_id=str(search.id),
        owner_id=str(search.owner_id),
        listing_id=str(listing.id),
        title=listing.title,
        price=Money(listing.currency, listing.price_minor).to_proto(),
    )
    _add(session, "trading.saved_search.matched", search.id, payload)
