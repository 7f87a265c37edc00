"""The listing events in trading's outbox, read from its event feed as a consumer reads them."""

import uuid

from google.protobuf import field_mask_pb2

from marketplace.common.v1 import events_pb2 as feed_pb2
from marketplace.trading.v1 import events_pb2, resources_pb2
from marketplace.trading.v1 import trading_service_pb2 as pb
from servicekit.config import PoolSettings
from servicekit.db import Database
from servicekit.money import Money
from testkit.catalog import new_item
from testkit.feeds import events_until
from testkit.values import plain
from trading import events
from trading.repository.listings import get_listing

from .trading_support import eur, free_form, of_item


def payloads(found: list[feed_pb2.Event], event_type: str, listing_id: str) -> list:
    """The payloads of the events of a type about one listing, oldest first."""
    message = {
        "trading.listing.created": events_pb2.ListingCreated,
        "trading.listing.changed": events_pb2.ListingChanged,
        "trading.listing.cancelled": events_pb2.ListingCancelled,
        "trading.listing.sold": events_pb2.ListingSold,
    }[event_type]
    result = []
    for event in found:
        if event.type == event_type and event.subject_id == listing_id:
            payload = message()
            event.payload.Unpack(payload)
            result.append(payload)
    return result


async def feed_until(stack, event_type: str, listing_id: str, count: int = 1) -> list[feed_pb2.Event]:
    channel = stack.channel("trading", as_service="messaging")
    return await events_until(channel, lambda found: len(payloads(found, event_type, listing_id)) >= count)


async def test_a_listing_on_sale_is_announced_whole(stack, trading, seller, buyer, skins):
    item = await new_item(stack, seller.auth, skins.id, "AWP | Dragon Lore", wear=0.04)
    listing = await trading.CreateListing(of_item(item.id), metadata=seller.auth)
    await trading.LikeListing(pb.LikeListingRequest(listing_id=listing.id), metadata=seller.auth)
    [created] = payloads(
        await feed_until(stack, "trading.listing.created", listing.id), "trading.listing.created", listing.id
    )
    assert (created.listing_id, created.seller_id, created.item_id) == (listing.id, seller.id, item.id)
    assert created.category_id == skins.id and created.price.amount_minor == 1200
    assert created.listing.game_id == skins.game_id and created.listing.title == "AWP | Dragon Lore"
    assert plain(created.listing.attributes) == {"wear": 0.04}
    assert created.listing.status == resources_pb2.LISTING_STATUS_ACTIVE and not created.listing.liked


async def test_a_draft_is_announced_when_published_and_not_before(stack, trading, seller, shoes):
    draft = await trading.CreateListing(free_form(shoes.id, draft=True), metadata=seller.auth)
    edit = pb.UpdateListingRequest(
        listing_id=draft.id,
        listing=resources_pb2.Listing(price=eur(999)),
        update_mask=field_mask_pb2.FieldMask(paths=["price"]),
    )
    await trading.UpdateListing(edit, metadata=seller.auth)
    await trading.PublishListing(pb.PublishListingRequest(listing_id=draft.id), metadata=seller.auth)
    found = await feed_until(stack, "trading.listing.created", draft.id)
    [created] = payloads(found, "trading.listing.created", draft.id)
    assert created.listing.price.amount_minor == 999
    assert payloads(found, "trading.listing.changed", draft.id) == []


async def test_a_change_of_a_listing_on_sale_names_the_fields_that_changed(stack, trading, seller, shoes):
    listing = await trading.CreateListing(free_form(shoes.id), metadata=seller.auth)
    mask = field_mask_pb2.FieldMask(paths=["price", "title", "description"])
    edit = pb.UpdateListingRequest(
        listing_id=listing.id,
        listing=resources_pb2.Listing(price=eur(3000), title=listing.title, description="Like new."),
        update_mask=mask,
    )
    await trading.UpdateListing(edit, metadata=seller.auth)
    # Nothing changes the second time: no event.
    await trading.UpdateListing(edit, metadata=seller.auth)
    await trading.CancelListing(pb.CancelListingRequest(listing_id=listing.id), metadata=seller.auth)
    found = await feed_until(stack, "trading.listing.cancelled", listing.id)
    [changed] = payloads(found, "trading.listing.changed", listing.id)
    assert list(changed.changed_fields) == ["description", "price"]
    assert changed.status == resources_pb2.LISTING_STATUS_ACTIVE and changed.listing.price.amount_minor == 3000
    [cancelled] = payloads(found, "trading.listing.cancelled", listing.id)
    assert (cancelled.listing_id, cancelled.seller_id, cancelled.item_id) == (listing.id, seller.id, "")


async def test_a_cancelled_draft_is_never_announced(stack, trading, seller, shoes):
    draft = await trading.CreateListing(free_form(shoes.id, draft=True), metadata=seller.auth)
    await trading.CancelListing(pb.CancelListingRequest(listing_id=draft.id), metadata=seller.auth)
    marker = await trading.CreateListing(free_form(shoes.id), metadata=seller.auth)
    found = await feed_until(stack, "trading.listing.created", marker.id)
    assert [event for event in found if event.subject_id == draft.id] == []


async def test_a_sale_is_announced_with_the_buyer_the_transaction_and_the_price(stack, trading, seller, shoes):
    listing = await trading.CreateListing(free_form(shoes.id), metadata=seller.auth)
    buyer_id, transaction_id = uuid.uuid4(), uuid.uuid4()
    db = Database(stack.database_urls["trading"], PoolSettings(size=1))
    try:
        async with db.begin() as session:
            row = await get_listing(session, uuid.UUID(listing.id))
            events.listing_sold(session, row, buyer_id, transaction_id, Money("EUR", 4500))
    finally:
        await db.dispose()
    found = await feed_until(stack, "trading.listing.sold", listing.id)
    [sold] = payloads(found, "trading.listing.sold", listing.id)
    assert (sold.buyer_id, sold.transaction_id, sold.seller_id) == (str(buyer_id), str(transaction_id), seller.id)
    assert (sold.amount.currency, sold.amount.amount_minor) == ("EUR", 4500)
