"""Trading's events in conversations: an offer posts an offer message in the conversation of its buyer and seller
about its listing (started when there is none), its answers and the purchase's steps post system messages, the
party each concerns hears of it live, and replaying every event changes nothing."""

import uuid

from marketplace.common.v1 import money_pb2
from marketplace.messaging.v1 import messaging_service_pb2 as pb
from marketplace.messaging.v1 import resources_pb2
from marketplace.trading.v1 import trading_service_pb2, trading_service_pb2_grpc
from messaging.consumers import handle
from messaging.models import ConsumerCursor, ProcessedEvent
from servicekit.consumer import EventConsumer
from servicekit.db import Database
from testkit.accounts import new_account
from testkit.waiting import eventually

from .test_live import next_event, opened

OFFER, SYSTEM = resources_pb2.MESSAGE_KIND_OFFER, resources_pb2.MESSAGE_KIND_SYSTEM


def usd(amount_minor: int) -> money_pb2.Money:
    return money_pb2.Money(currency="USD", amount_minor=amount_minor)


async def all_messages(messaging, conversation_id: str, metadata) -> list[tuple[int, str, str]]:
    """(kind, sender, text) of every message, sorted (events of one transaction come in any order here)."""
    page = await messaging.ListMessages(
        pb.ListMessagesRequest(conversation_id=conversation_id, page_size=100), metadata=metadata
    )
    return sorted((m.kind, m.sender_id, m.text) for m in page.messages)


async def test_an_offer_negotiation_and_its_purchase_are_told_in_the_conversation_once(
    stack, messaging, person, listing_of
):
    trading = trading_service_pb2_grpc.TradingServiceStub(stack.channel("trading"))
    seller_id, seller = person()
    buyer = await new_account(stack, funds=usd(10_000))
    listing = await listing_of(seller)
    seller_stream = await opened(messaging, seller)
    offer = await trading.CreateOffer(
        trading_service_pb2.CreateOfferRequest(listing_id=listing.id, amount=usd(2000)), metadata=buyer.auth
    )
    # The offer message to both participants, then the offer to the one who must answer it.
    message, made = await next_event(seller_stream, seconds=5), await next_event(seller_stream)
    assert (message.type, message.message.offer_id, message.message.kind) == ("message", offer.id, OFFER)
    assert (made.type, made.offer_made.offer_id) == ("offer_made", offer.id)
    seller_stream.cancel()
    buyer_stream = await opened(messaging, buyer.auth)
    counter = await trading.CounterOffer(
        trading_service_pb2.CounterOfferRequest(offer_id=offer.id, amount=usd(2200)), metadata=seller
    )
    await trading.AcceptOffer(trading_service_pb2.AcceptOfferRequest(offer_id=counter.id), metadata=buyer.auth)

    inbox = await messaging.ListConversations(pb.ListConversationsRequest(listing_id=listing.id), metadata=buyer.auth)
    [conversation] = inbox.conversations
    assert (conversation.buyer_id, conversation.seller_id) == (buyer.id, str(seller_id))
    expected = sorted(
        [
            (OFFER, buyer.id, "Offered 20.00 USD."),
            (SYSTEM, "", "Offer of 20.00 USD countered."),
            (OFFER, str(seller_id), "Countered with 22.00 USD."),
            (SYSTEM, "", "Offer of 22.00 USD accepted."),
            (SYSTEM, "", "Purchase for 22.00 USD started."),
            (SYSTEM, "", "Purchase for 22.00 USD paid: the money is held until it completes."),
        ]
    )
    await eventually(lambda: all_messages(messaging, conversation.id, buyer.auth), expected, seconds=10)
    # The buyer hears of the counter to their offer (changed), the counter itself (made), and the purchase.
    heard = {(await next_event(buyer_stream, seconds=5)).type for _ in range(7)}
    assert {"offer_changed", "offer_made", "transaction_changed", "message"} <= heard
    buyer_stream.cancel()

    db = Database(stack.database_urls["messaging"])
    try:
        replay = EventConsumer(
            db,
            stack.channel("trading", as_service="messaging"),
            f"replay-{uuid.uuid4().hex[:8]}",
            handle,
            ConsumerCursor,
            ProcessedEvent,
        )
        for _ in range(2):
            await replay.catch_up()
    finally:
        await db.dispose()
    assert await all_messages(messaging, conversation.id, buyer.auth) == expected
    state = await messaging.GetConversation(pb.GetConversationRequest(conversation_id=conversation.id), metadata=seller)
    # Unread for the seller: the buyer's offer and the four notices.
    assert state.unread_count == 5
