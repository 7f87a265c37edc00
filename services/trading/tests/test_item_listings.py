import asyncio
import uuid

import grpc

from marketplace.trading.v1 import resources_pb2
from marketplace.trading.v1 import trading_service_pb2 as pb
from testkit.catalog import new_item
from testkit.grpc import error_reason, field_violations, rpc_error
from testkit.values import plain, values

from .trading_support import of_item, set_status


async def test_an_item_is_listed_with_its_name_category_game_values_and_picture(stack, trading, seller, skins):
    picture = "https://img.example.com/redline.png"
    item = await new_item(stack, seller.auth, skins.id, "AK-47 | Redline", image_url=picture, wear=0.07)
    listing = await trading.CreateListing(of_item(item.id), metadata=seller.auth)
    assert listing.item_id == item.id and listing.title == "AK-47 | Redline"
    assert list(listing.image_urls) == [picture]
    assert listing.category_id == skins.id and listing.game_id == skins.game_id
    assert plain(listing.attributes) == {"wear": 0.07}
    assert listing.status == resources_pb2.LISTING_STATUS_ACTIVE


async def test_a_seller_may_give_an_item_listing_a_title_of_their_own(stack, trading, seller, skins):
    item = await new_item(stack, seller.auth, skins.id, "AK-47 | Redline", wear=0.5)
    listing = await trading.CreateListing(of_item(item.id, title="Redline, field-tested"), metadata=seller.auth)
    assert listing.title == "Redline, field-tested"


async def test_only_the_items_owner_may_list_it(stack, trading, seller, buyer, skins):
    item = await new_item(stack, seller.auth, skins.id, "AWP | Asiimov", wear=0.2)
    error = await rpc_error(trading.CreateListing(of_item(item.id), metadata=buyer.auth))
    assert error.code() is grpc.StatusCode.PERMISSION_DENIED
    assert error_reason(error) == "NOT_ITEM_OWNER"


async def test_an_item_catalog_does_not_know_is_a_violation_of_item_id(trading, seller):
    error = await rpc_error(trading.CreateListing(of_item(str(uuid.uuid4())), metadata=seller.auth))
    assert field_violations(error) == {"listing.item_id": "is not a catalog item"}


async def test_an_item_listing_takes_its_category_and_values_from_the_item(stack, trading, seller, skins, shoes):
    item = await new_item(stack, seller.auth, skins.id, "M4A4 | Howl", wear=0.1)
    request = of_item(item.id, category_id=shoes.id, attributes=values(wear=0.9))
    error = await rpc_error(trading.CreateListing(request, metadata=seller.auth))
    assert set(field_violations(error)) == {"listing.category_id", "listing.attributes"}


async def test_two_concurrent_listings_of_one_item_let_exactly_one_through(stack, trading, seller, skins):
    item = await new_item(stack, seller.auth, skins.id, "Karambit | Fade", wear=0.01)
    outcomes = await asyncio.gather(
        *(trading.CreateListing(of_item(item.id), metadata=seller.auth) for _ in range(2)), return_exceptions=True
    )
    listed = [outcome for outcome in outcomes if isinstance(outcome, resources_pb2.Listing)]
    refused = [outcome for outcome in outcomes if isinstance(outcome, grpc.aio.AioRpcError)]
    assert len(listed) == 1 and len(refused) == 1
    assert refused[0].code() is grpc.StatusCode.ALREADY_EXISTS
    assert error_reason(refused[0]) == "ITEM_ALREADY_LISTED"


async def test_ten_concurrent_listings_of_one_item_let_exactly_one_through(stack, trading, seller, skins):
    item = await new_item(stack, seller.auth, skins.id, "Butterfly | Doppler", wear=0.02)
    outcomes = await asyncio.gather(
        *(trading.CreateListing(of_item(item.id), metadata=seller.auth) for _ in range(10)), return_exceptions=True
    )
    assert sum(isinstance(outcome, resources_pb2.Listing) for outcome in outcomes) == 1
    assert {outcome.code() for outcome in outcomes if isinstance(outcome, grpc.aio.AioRpcError)} == {
        grpc.StatusCode.ALREADY_EXISTS
    }


async def test_an_item_in_a_draft_is_listed_again_only_once_that_is_cancelled(stack, trading, seller, skins):
    item = await new_item(stack, seller.auth, skins.id, "Glock | Fade", wear=0.03)
    draft = of_item(item.id)
    draft.draft = True
    first = await trading.CreateListing(draft, metadata=seller.auth)
    error = await rpc_error(trading.CreateListing(of_item(item.id), metadata=seller.auth))
    assert error_reason(error) == "ITEM_ALREADY_LISTED"
    await trading.CancelListing(pb.CancelListingRequest(listing_id=first.id), metadata=seller.auth)
    again = await trading.CreateListing(of_item(item.id), metadata=seller.auth)
    assert again.status == resources_pb2.LISTING_STATUS_ACTIVE


async def test_a_reserved_listing_holds_its_item_and_a_sold_one_frees_it(stack, trading, seller, skins):
    item = await new_item(stack, seller.auth, skins.id, "USP-S | Kill Confirmed", wear=0.2)
    first = await trading.CreateListing(of_item(item.id), metadata=seller.auth)
    await set_status(stack, first.id, "reserved")
    assert error_reason(await rpc_error(trading.CreateListing(of_item(item.id), metadata=seller.auth))) == (
        "ITEM_ALREADY_LISTED"
    )
    # After a sale the item is the buyer's; here the seller stands in for them.
    await set_status(stack, first.id, "sold")
    assert (await trading.CreateListing(of_item(item.id), metadata=seller.auth)).item_id == item.id
