"""What a search finds: only active listings, by words (typos too), game, category, attributes, price,
distance, feed and seller."""

import uuid

from google.protobuf import field_mask_pb2

from marketplace.trading.v1 import resources_pb2
from marketplace.trading.v1 import trading_service_pb2 as pb
from testkit.accounts import new_account
from testkit.catalog import new_category

from ..trading_support import cancel, eur, free_form, like
from .conftest import SNEAKER_ATTRIBUTES
from .search_support import BERLIN, HAMBURG, POTSDAM, ids, listed


async def test_only_active_listings_are_found_a_cancelled_or_bought_one_disappears(
    search, trading, stack, seller, sneakers
):
    active = await listed(trading, seller, sneakers.id)
    cancelled = await listed(trading, seller, sneakers.id)
    bought = await listed(trading, seller, sneakers.id)
    draft = await trading.CreateListing(free_form(sneakers.id, draft=True), metadata=seller.auth)
    page = await search(category_id=sneakers.id)
    assert set(ids(page)) == {active, cancelled, bought} and page.total_size == 3

    await trading.CancelListing(cancel(cancelled), metadata=seller.auth)
    buyer = await new_account(stack, eur(4500))
    await trading.BuyListing(pb.BuyListingRequest(listing_id=bought), metadata=buyer.auth)
    page = await search(category_id=sneakers.id)
    assert ids(page) == [active] and page.total_size == 1
    assert draft.id not in ids(page)


async def test_words_match_title_and_description_the_title_weighing_more(search, trading, seller, sneakers):
    in_title = await listed(trading, seller, sneakers.id, title="Sneakers, barely worn")
    in_description = await listed(
        trading, seller, sneakers.id, title="Running shoes", description="Comfortable sneakers for the track"
    )
    await listed(trading, seller, sneakers.id, title="Leather boots", description="Winter boots")
    page = await search(q="sneakers", category_id=sneakers.id)
    assert ids(page) == [in_title, in_description]
    assert ids(await search(q="comfortable track", category_id=sneakers.id)) == [in_description]
    assert ids(await search(q="sandals", category_id=sneakers.id)) == []


async def test_a_typo_still_finds_the_word(search, trading, seller, sneakers):
    found = await listed(trading, seller, sneakers.id, title="Used sneakers")
    await listed(trading, seller, sneakers.id, title="Leather boots")
    assert ids(await search(q="sneakres", category_id=sneakers.id)) == [found]
    assert ids(await search(q="snekers", category_id=sneakers.id)) == [found]
    assert ids(await search(q="sandals", category_id=sneakers.id)) == []


async def test_a_typo_is_at_most_one_edit_of_a_short_word_and_none_of_one_or_two_letters(
    search, trading, seller, sneakers
):
    found = await listed(trading, seller, sneakers.id, title="Red boots")
    assert ids(await search(q="boot", category_id=sneakers.id)) == [found]
    assert ids(await search(q="rd", category_id=sneakers.id)) == []
    assert ids(await search(q="bo", category_id=sneakers.id)) == []


async def test_a_changed_title_is_searched_as_it_is_now(search, trading, seller, sneakers):
    listing = await listed(trading, seller, sneakers.id, title="Leather boots")
    edit = pb.UpdateListingRequest(
        listing_id=listing,
        listing=resources_pb2.Listing(title="Canvas sneakers"),
        update_mask=field_mask_pb2.FieldMask(paths=["title"]),
    )
    await trading.UpdateListing(edit, metadata=seller.auth)
    assert ids(await search(q="canvas", category_id=sneakers.id)) == [listing]
    # The new title's words are typo candidates too.
    assert ids(await search(q="canvaz", category_id=sneakers.id)) == [listing]
    assert ids(await search(q="leather", category_id=sneakers.id)) == []


async def test_game_category_seller_and_feed_narrow_the_search(search, trading, new_person, sneakers, stack):
    other_category = await new_category(stack, *SNEAKER_ATTRIBUTES)
    alice, bob = new_person(), new_person()
    mine = await listed(trading, alice, sneakers.id)
    community = await listed(trading, alice, sneakers.id, feed=resources_pb2.FEED_COMMUNITY)
    bobs = await listed(trading, bob, sneakers.id)
    elsewhere = await listed(trading, alice, other_category.id)

    assert set(ids(await search(game_id=sneakers.game_id))) == {mine, community, bobs}
    assert set(ids(await search(category_id=other_category.id))) == {elsewhere}
    assert set(ids(await search(seller_id=alice.id))) == {mine, community, elsewhere}
    assert ids(await search(seller_id=alice.id, feed=resources_pb2.FEED_COMMUNITY)) == [community]
    assert set(ids(await search(category_id=sneakers.id, feed=resources_pb2.FEED_DISCOVER))) == {mine, bobs}
    assert ids(await search(seller_id=str(uuid.uuid4()))) == []


async def test_attribute_filters_equal_range_and_any_of_on_typed_values(search, trading, seller, sneakers):
    small = await listed(
        trading, seller, sneakers.id, attributes={"size": 38, "colour": "red", "weight": 0.8, "boxed": True}
    )
    medium = await listed(
        trading, seller, sneakers.id, attributes={"size": 42, "colour": "black", "weight": 1.1, "brand": "Acme"}
    )
    large = await listed(
        trading, seller, sneakers.id, attributes={"size": 46, "colour": "white", "weight": 1.4, "boxed": False}
    )

    async def found(*conditions: str) -> set[str]:
        return set(ids(await search(category_id=sneakers.id, attributes=list(conditions))))

    assert await found("size:42") == {medium}
    assert await found("size:40..46") == {medium, large}
    assert await found("size:..42") == {small, medium}
    assert await found("size:42..") == {medium, large}
    assert await found("weight:0.8..1.1") == {small, medium}
    assert await found("colour:red|white") == {small, large}
    assert await found("boxed:true") == {small}
    assert await found("boxed:false") == {large}
    assert await found("brand:Acme") == {medium}
    # Every filter holds at once.
    assert await found("colour:red|white", "size:40..") == {large}
    assert await found("colour:black", "boxed:true") == set()


async def test_a_price_range_compares_within_its_currency(search, trading, seller, sneakers):
    cheap = await listed(trading, seller, sneakers.id, price=eur(1000))
    dear = await listed(trading, seller, sneakers.id, price=eur(9000))
    dollars = await listed(trading, seller, sneakers.id, price=eur(1000, currency="USD"))

    async def found(**fields) -> set[str]:
        return set(ids(await search(category_id=sneakers.id, **fields)))

    assert await found(currency="EUR") == {cheap, dear}
    assert await found(currency="USD") == {dollars}
    assert await found(currency="EUR", min_price=1000, max_price=1000) == {cheap}
    assert await found(currency="EUR", min_price=1001) == {dear}
    assert await found(currency="EUR", max_price=8999) == {cheap}
    assert await found(currency="USD", min_price=1001) == set()


async def test_near_finds_what_lies_within_the_radius_with_its_distance(search, trading, seller, sneakers):
    berlin = await listed(trading, seller, sneakers.id, location=BERLIN)
    potsdam = await listed(trading, seller, sneakers.id, location=POTSDAM)
    await listed(trading, seller, sneakers.id, location=HAMBURG)

    near = pb.Near(lat=52.52, lng=13.405, radius_km=50)
    page = await search(category_id=sneakers.id, near=near, sort=pb.LISTING_SORT_DISTANCE)
    assert ids(page) == [berlin, potsdam]
    distances = [listing.distance_km for listing in page.listings]
    assert distances[0] < 0.01 and 25 < distances[1] < 30
    assert ids(await search(category_id=sneakers.id, near=pb.Near(lat=52.52, lng=13.405, radius_km=1))) == [berlin]
    wide = await search(category_id=sneakers.id, near=pb.Near(lat=52.52, lng=13.405, radius_km=300))
    assert len(wide.listings) == 3 and all(listing.HasField("distance_km") for listing in wide.listings)
    # Without near, no distance.
    assert not any(listing.HasField("distance_km") for listing in (await search(category_id=sneakers.id)).listings)


async def test_a_signed_in_reader_sees_what_they_like_and_anyone_may_search(
    search_backend, trading, seller, buyer, sneakers
):
    liked = await listed(trading, seller, sneakers.id)
    await trading.LikeListing(like(liked), metadata=buyer.auth)
    await search_backend.settle()
    request = pb.SearchListingsRequest(category_id=sneakers.id)
    [mine] = (await search_backend.search(request, metadata=buyer.auth)).listings
    assert mine.liked and mine.like_count == 1
    [anyones] = (await search_backend.search(request)).listings
    assert not anyones.liked and anyones.like_count == 1
