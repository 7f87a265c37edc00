"""The events messaging follows: trading's offers, transactions, buy orders and saved-search matches, through
the kit's idempotent consumer.

Each event posts a message in the conversation of its buyer and seller about its listing (messaging.domain.notices)
and tells the party it concerns live: an offer made to whoever must answer it, an offer accepted or otherwise ended
to whoever made it, a transaction's step to both. A message carries the origin of its event, unique, so an event
that comes again (a replay, a consumer that starts over) posts nothing and tells nobody again. A buy order's
moves and a saved search's matches post no message: they are told live only, and the consumer's record of
the events it handled (`processed_events`, in the transaction that tells) keeps a replay from telling twice.
"""

from collections.abc import Awaitable, Callable
from uuid import UUID

from google.protobuf.message import Message as ProtoMessage
from sqlalchemy.ext.asyncio import AsyncSession

from marketplace.common.v1 import events_pb2 as feed_pb2
from marketplace.trading.v1 import events_pb2, resources_pb2
from messaging import events
from messaging.domain import notices
from messaging.models import ConsumerCursor, ProcessedEvent
from messaging.service.notices import offer_proposer, post_notice
from servicekit import enums
from servicekit.consumer import EventConsumer
from servicekit.money import Money
from servicekit.runtime import Runtime

CONSUMER = "trading-events"


def _money(amount) -> Money:
    return Money(amount.currency, amount.amount_minor)


async def offer_made(session: AsyncSession, event: events_pb2.OfferMade) -> None:
    proposer_id, buyer_id, seller_id = UUID(event.proposer_id), UUID(event.buyer_id), UUID(event.seller_id)
    notice = notices.offer_made(UUID(event.offer_id), proposer_id, _money(event.amount), bool(event.previous_offer_id))
    if await post_notice(session, UUID(event.listing_id), buyer_id, seller_id, notice):
        await events.tell(session, [seller_id if proposer_id == buyer_id else buyer_id], offer_made=event)


async def offer_accepted(session: AsyncSession, event: events_pb2.OfferAccepted) -> None:
    offer_id, buyer_id = UUID(event.offer_id), UUID(event.buyer_id)
    notice = notices.offer_ended(offer_id, _money(event.amount), notices.OfferOutcome.ACCEPTED)
    if await post_notice(session, UUID(event.listing_id), buyer_id, UUID(event.seller_id), notice):
        await events.tell(session, [await offer_proposer(session, offer_id, buyer_id)], offer_accepted=event)


async def offer_changed(session: AsyncSession, event: events_pb2.OfferChanged) -> None:
    outcome = enums.from_proto(resources_pb2.OfferStatus, notices.OfferOutcome, event.status, "status", [])
    if outcome is None:
        return
    notice = notices.offer_ended(UUID(event.offer_id), _money(event.amount), outcome)
    if await post_notice(session, UUID(event.listing_id), UUID(event.buyer_id), UUID(event.seller_id), notice):
        await events.tell(session, [UUID(event.proposer_id)], offer_changed=event)


async def transaction_changed(session: AsyncSession, event: events_pb2.TransactionChanged) -> None:
    step = enums.from_proto(resources_pb2.TransactionStatus, notices.PurchaseStep, event.status, "status", [])
    if step is None:
        return
    buyer_id, seller_id = UUID(event.buyer_id), UUID(event.seller_id)
    notice = notices.purchase_step(UUID(event.transaction_id), _money(event.amount), step)
    if await post_notice(session, UUID(event.listing_id), buyer_id, seller_id, notice):
        await events.tell(session, [buyer_id, seller_id], transaction_changed=event)


async def saved_search_matched(session: AsyncSession, event: events_pb2.SavedSearchMatched) -> None:
    """Tells the search's owner; no message is posted (no conversation is about it yet)."""
    await events.tell(session, [UUID(event.owner_id)], saved_search_matched=event)


# The live kind of each status a buy order's event announces, named as trading names the event.
BUY_ORDER_KINDS = {
    resources_pb2.BUY_ORDER_STATUS_OPEN: "buy_order_created",
    resources_pb2.BUY_ORDER_STATUS_FILLED: "buy_order_filled",
    resources_pb2.BUY_ORDER_STATUS_CANCELLED: "buy_order_cancelled",
    resources_pb2.BUY_ORDER_STATUS_EXPIRED: "buy_order_expired",
}


async def buy_order_changed(session: AsyncSession, event: events_pb2.BuyOrderChanged) -> None:
    """Tells the buyer that their order opened, took its last unit, was cancelled or expired."""
    if kind := BUY_ORDER_KINDS.get(event.status):
        await events.tell(session, [UUID(event.buyer_id)], **{kind: event})


HANDLERS: dict[str, tuple[type[ProtoMessage], Callable[[AsyncSession, object], Awaitable[None]]]] = {
    "trading.offer.made": (events_pb2.OfferMade, offer_made),
    "trading.offer.accepted": (events_pb2.OfferAccepted, offer_accepted),
    "trading.offer.changed": (events_pb2.OfferChanged, offer_changed),
    "trading.transaction.changed": (events_pb2.TransactionChanged, transaction_changed),
    "trading.saved_search.matched": (events_pb2.SavedSearchMatched, saved_search_matched),
    "trading.buy_order.created": (events_pb2.BuyOrderChanged, buy_order_changed),
    "trading.buy_order.filled": (events_pb2.BuyOrderChanged, buy_order_changed),
    "trading.buy_order.cancelled": (events_pb2.BuyOrderChanged, buy_order_changed),
    "trading.buy_order.expired": (events_pb2.BuyOrderChanged, buy_order_changed),
}


async def handle(session: AsyncSession, event: feed_pb2.Event) -> None:
    """Applies one of trading's events; the others (listings, streams) concern nobody's conversations."""
    if event.type not in HANDLERS:
        return
    payload_type, apply = HANDLERS[event.type]
    payload = payload_type()
    event.payload.Unpack(payload)
    await apply(session, payload)


def trading_events(runtime: Runtime) -> EventConsumer:
    return EventConsumer(runtime.db, runtime.channel("trading"), CONSUMER, handle, ConsumerCursor, ProcessedEvent)
