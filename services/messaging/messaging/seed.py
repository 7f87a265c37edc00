"""Messaging's demo conversation (`python -m messaging seed`), what a newcomer finds after `make run`: safe to run
again.

In development, the demo buyer asks the demo seller (servicekit.demo) about a pair of sneakers of trading's demo
market, and they exchange a few messages. It runs after trading's seed, once the services serve (`make run`,
SEEDS_AFTER_START): the listing is found through trading's search, as any client finds it. The offers trading's
seed makes come as trading's events and are posted in the same conversation by messaging's consumer.

Running it again changes nothing: each demo message has an origin of its own (`demo:<n>`), posted once, whatever
messages trading's events posted in the conversation first.
"""

import logging
from uuid import UUID

import grpc

from marketplace.trading.v1 import trading_service_pb2, trading_service_pb2_grpc
from messaging.domain.messages import MessageKind
from messaging.service.common import open_conversation
from messaging.service.messages import post
from servicekit.demo import both_signed_in
from servicekit.runtime import Runtime

log = logging.getLogger("messaging.seed")

LISTING_TITLE = "Nike Air Jordan 1 Retro High OG 'Chicago', EU 43"
BUYER, SELLER = "buyer", "seller"
MESSAGES = (
    (BUYER, "Hi! Are these still available? Any creases on the toe box?"),
    (SELLER, "Hi, yes they are. Worn twice, no creases; the box and the extra laces come with them."),
    (BUYER, "Great. Could you ship to Berlin, or can I pick them up?"),
    (SELLER, "Pick-up in Berlin works, I'm in Kreuzberg most evenings."),
)


async def _listing_id(runtime: Runtime, seller_id: UUID) -> UUID | None:
    """The seller's demo sneakers, as trading's search finds them; None when trading's seed made none."""
    stub = trading_service_pb2_grpc.TradingServiceStub(runtime.channel("trading"))
    request = trading_service_pb2.SearchListingsRequest(q=LISTING_TITLE, seller_id=str(seller_id), page_size=10)
    found = await stub.SearchListings(request, timeout=runtime.settings.call_timeout_seconds, wait_for_ready=True)
    return next((UUID(listing.id) for listing in found.listings if listing.title == LISTING_TITLE), None)


async def seed(runtime: Runtime) -> None:
    settings = runtime.settings
    if not settings.development:
        log.info("no demo conversation outside development")
        return
    accounts, timeout = runtime.channel("accounts"), settings.call_timeout_seconds
    async with both_signed_in(accounts, timeout) as demo_users:
        if demo_users is None:
            log.warning("the demo users cannot sign in (accounts' seed makes them in development): no conversation")
            return
        seller, buyer = demo_users
        buyer_id, seller_id = buyer.caller.user_id, seller.caller.user_id
        try:
            listing_id = await _listing_id(runtime, seller_id)
        except grpc.aio.AioRpcError as exc:
            log.warning("trading's search did not answer (%s): the conversation is about no listing", exc.code().name)
            listing_id = None
    senders = {BUYER: buyer_id, SELLER: seller_id}
    async with runtime.db.begin() as session:
        conversation = await open_conversation(session, listing_id, buyer_id, seller_id)
        # Each demo message has an origin of its own: posted once, whatever trading's offers posted before.
        posted = [
            await post(session, conversation, senders[sender], MessageKind.TEXT, text, origin=f"demo:{index}")
            for index, (sender, text) in enumerate(MESSAGES)
        ]
    added = sum(message is not None for message in posted)
    log.info("messaging seeded: %d of the demo conversation's %d messages added", added, len(MESSAGES))
