"""Offers against the running trading server: the accept race, the sweeper, and the offer events."""

import asyncio

import grpc
import pytest

from marketplace.trading.v1 import events_pb2, resources_pb2
from marketplace.trading.v1 import trading_service_pb2 as pb
from testkit.accounts import new_account
from testkit.databases import execute
from testkit.feeds import events_until
from testkit.grpc import error_reason
from testkit.stack import replica
from testkit.waiting import eventually

from .trading_support import eur, free_form

PAYLOADS = {
    "trading.offer.made": events_pb2.OfferMade,
    "trading.offer.accepted": events_pb2.OfferAccepted,
    "trading.offer.changed": events_pb2.OfferChanged,
}


@pytest.fixture
async def listing(trading, seller, shoes) -> resources_pb2.Listing:
    return await trading.CreateListing(free_form(shoes.id, price=eur(10000)), metadata=seller.auth)


def make(listing_id: str, amount: int = 8000) -> pb.CreateOfferRequest:
    return pb.CreateOfferRequest(listing_id=listing_id, amount=eur(amount))


async def offer_events(stack, offer_id: str, count: int) -> list[tuple[str, object]]:
    """The offer's events as (type, payload), oldest first, once `count` of them are on the feed."""

    def of_offer(found) -> list[tuple[str, object]]:
        result = []
        for event in found:
            if event.type in PAYLOADS and event.subject_id == offer_id:
                payload = PAYLOADS[event.type]()
                event.payload.Unpack(payload)
                result.append((event.type, payload))
        return result

    channel = stack.channel("trading", as_service="messaging")
    return of_offer(await events_until(channel, lambda found: len(of_offer(found)) >= count))


async def test_two_concurrent_accepts_of_two_offers_on_one_listing_let_exactly_one_through(
    stack, trading, seller, listing
):
    buyers = [await new_account(stack, eur(10000)) for _ in range(2)]
    offers = [await trading.CreateOffer(make(listing.id), metadata=buyer.auth) for buyer in buyers]
    results = await asyncio.gather(
        *(trading.AcceptOffer(pb.AcceptOfferRequest(offer_id=o.id), metadata=seller.auth) for o in offers),
        return_exceptions=True,
    )
    accepted = [r for r in results if isinstance(r, pb.AcceptOfferResponse)]
    refused = [r for r in results if isinstance(r, grpc.aio.AioRpcError)]
    assert len(accepted) == 1 and len(refused) == 1
    assert refused[0].code() is grpc.StatusCode.FAILED_PRECONDITION
    assert error_reason(refused[0]) == "LISTING_NOT_ACTIVE"
    count = "SELECT 1 FROM offers WHERE listing_id = $1 AND status = 'accepted'"
    assert await execute(stack.database_urls["trading"], count, listing.id) == "SELECT 1"


async def test_the_sweeper_marks_an_offer_past_its_expiry_and_announces_it(stack, trading, buyer, listing):
    offer = await trading.CreateOffer(make(listing.id), metadata=buyer.auth)
    url = stack.database_urls["trading"]
    await execute(url, "UPDATE offers SET expire_at = now() - interval '1 second' WHERE id = $1", offer.id)

    async def marked() -> str:
        return await execute(url, "SELECT 1 FROM offers WHERE id = $1 AND status = 'expired'", offer.id)

    async with replica(stack, "trading", offer_sweep_seconds=0.1):
        await eventually(marked, "SELECT 1", seconds=10)
    [_, (kind, changed)] = await offer_events(stack, offer.id, 2)
    assert kind == "trading.offer.changed" and changed.status == resources_pb2.OFFER_STATUS_EXPIRED
    assert (changed.listing_id, changed.buyer_id, changed.amount.amount_minor) == (listing.id, buyer.id, 8000)


async def test_offers_are_announced_with_both_parties_and_the_amount(stack, trading, seller, listing):
    buyer = await new_account(stack, eur(10000))
    first = await trading.CreateOffer(make(listing.id, 7000), metadata=buyer.auth)
    counter = await trading.CounterOffer(
        pb.CounterOfferRequest(offer_id=first.id, amount=eur(9000)), metadata=seller.auth
    )
    response = await trading.AcceptOffer(pb.AcceptOfferRequest(offer_id=counter.id), metadata=buyer.auth)
    [(_, made), (_, countered)] = await offer_events(stack, first.id, 2)
    assert (made.buyer_id, made.seller_id, made.proposer_id) == (buyer.id, seller.id, buyer.id)
    assert made.amount.amount_minor == 7000 and made.listing_id == listing.id
    assert countered.status == resources_pb2.OFFER_STATUS_COUNTERED
    [(_, remade), (kind, accepted)] = await offer_events(stack, counter.id, 2)
    assert remade.previous_offer_id == first.id and remade.proposer_id == seller.id
    assert kind == "trading.offer.accepted" and accepted.amount.amount_minor == 9000
    assert (accepted.buyer_id, accepted.seller_id, accepted.transaction_id) == (
        buyer.id,
        seller.id,
        response.transaction.id,
    )
