import asyncio

import asyncpg
import grpc

from marketplace.trading.v1 import trading_service_pb2_grpc
from testkit.grpc import rpc_error

from .trading_support import free_form, get, like, unlike


async def test_a_like_is_one_per_user_however_often_given(trading, seller, buyer, new_person, shoes):
    listing = await trading.CreateListing(free_form(shoes.id), metadata=seller.auth)
    liked = await trading.LikeListing(like(listing.id), metadata=buyer.auth)
    again = await trading.LikeListing(like(listing.id), metadata=buyer.auth)
    assert (liked.like_count, liked.liked) == (again.like_count, again.liked) == (1, True)
    other = await trading.LikeListing(like(listing.id), metadata=new_person().auth)
    assert other.like_count == 2
    assert not (await trading.GetListing(get(listing.id), metadata=seller.auth)).liked


async def test_a_like_is_taken_back_once_and_unliking_again_changes_nothing(trading, seller, buyer, shoes):
    listing = await trading.CreateListing(free_form(shoes.id), metadata=seller.auth)
    await trading.LikeListing(like(listing.id), metadata=buyer.auth)
    taken_back = await trading.UnlikeListing(unlike(listing.id), metadata=buyer.auth)
    assert (taken_back.like_count, taken_back.liked) == (0, False)
    assert (await trading.UnlikeListing(unlike(listing.id), metadata=buyer.auth)).like_count == 0


async def test_liking_needs_a_signed_in_user_who_can_see_the_listing(trading, seller, buyer, shoes):
    listing = await trading.CreateListing(free_form(shoes.id), metadata=seller.auth)
    for method, request in ((trading.LikeListing, like(listing.id)), (trading.UnlikeListing, unlike(listing.id))):
        assert (await rpc_error(method(request))).code() is grpc.StatusCode.UNAUTHENTICATED
    draft = await trading.CreateListing(free_form(shoes.id, draft=True), metadata=seller.auth)
    assert (await rpc_error(trading.LikeListing(like(draft.id), metadata=buyer.auth))).code() is (
        grpc.StatusCode.NOT_FOUND
    )


async def test_a_view_is_counted_for_anyone_but_the_seller_and_other_services(stack, trading, seller, buyer, shoes):
    listing = await trading.CreateListing(free_form(shoes.id), metadata=seller.auth)
    assert listing.view_count == 0
    assert (await trading.GetListing(get(listing.id), metadata=seller.auth)).view_count == 0
    assert (await trading.GetListing(get(listing.id))).view_count == 1
    assert (await trading.GetListing(get(listing.id), metadata=buyer.auth)).view_count == 2
    as_messaging = trading_service_pb2_grpc.TradingServiceStub(stack.channel("trading", as_service="messaging"))
    assert (await as_messaging.GetListing(get(listing.id))).view_count == 2


async def test_fifty_concurrent_views_are_all_counted_while_the_listing_row_is_locked(stack, trading, seller, shoes):
    listing = await trading.CreateListing(free_form(shoes.id), metadata=seller.auth)
    holder = await asyncpg.connect(stack.database_urls["trading"].replace("+asyncpg", ""))
    try:
        # A change of the listing (its seller editing it, say) holds the row until it commits.
        async with holder.transaction():
            await holder.execute("SELECT 1 FROM listings WHERE id = $1 FOR UPDATE", listing.id)
            async with asyncio.timeout(10):
                await asyncio.gather(*(trading.GetListing(get(listing.id)) for _ in range(50)))
    finally:
        await holder.close()
    assert (await trading.GetListing(get(listing.id), metadata=seller.auth)).view_count == 50
