"""The order of results and keyset pages that stay right while listings are added."""

from marketplace.trading.v1 import trading_service_pb2 as pb

from ..trading_support import eur
from .search_support import BERLIN, HAMBURG, POTSDAM, every_page, ids, listed


async def test_newest_first_without_words_and_by_price_either_way(search, trading, seller, sneakers):
    middle = await listed(trading, seller, sneakers.id, price=eur(5000))
    cheap = await listed(trading, seller, sneakers.id, price=eur(1000))
    dear = await listed(trading, seller, sneakers.id, price=eur(9000))
    assert ids(await search(category_id=sneakers.id)) == [dear, cheap, middle]
    assert ids(await search(category_id=sneakers.id, sort=pb.LISTING_SORT_NEWEST)) == [dear, cheap, middle]
    assert ids(await search(category_id=sneakers.id, sort=pb.LISTING_SORT_PRICE_ASC)) == [cheap, middle, dear]
    assert ids(await search(category_id=sneakers.id, sort=pb.LISTING_SORT_PRICE_DESC)) == [dear, middle, cheap]
    # Relevance needs words: without them it is newest.
    assert ids(await search(category_id=sneakers.id, sort=pb.LISTING_SORT_RELEVANCE)) == [dear, cheap, middle]


async def test_relevance_puts_the_best_match_first_whatever_the_age(search, trading, seller, sneakers):
    best = await listed(trading, seller, sneakers.id, title="Red sneakers", description="red sneakers, red laces")
    typo_only = await listed(trading, seller, sneakers.id, title="Red sneakres")
    in_description = await listed(trading, seller, sneakers.id, title="Shoes", description="red sneakers")
    page = await search(q="red sneakers", category_id=sneakers.id)
    assert ids(page) == [best, in_description, typo_only]
    assert ids(await search(q="red sneakers", category_id=sneakers.id, sort=pb.LISTING_SORT_NEWEST)) == [
        in_description,
        typo_only,
        best,
    ]


async def test_every_order_pages_through_every_match_once(search, trading, seller, sneakers):
    made = set()
    for index, (price, place) in enumerate([(3000, BERLIN), (1000, POTSDAM), (3000, HAMBURG), (2000, BERLIN)] * 2):
        made.add(
            await listed(
                trading, seller, sneakers.id, title=f"Sneakers number {index}", price=eur(price), location=place
            )
        )
    near = pb.Near(lat=52.52, lng=13.405, radius_km=500)
    for sort in (
        pb.LISTING_SORT_NEWEST,
        pb.LISTING_SORT_PRICE_ASC,
        pb.LISTING_SORT_PRICE_DESC,
        pb.LISTING_SORT_DISTANCE,
        pb.LISTING_SORT_RELEVANCE,
    ):
        found = await every_page(search, q="sneakers", category_id=sneakers.id, near=near, sort=sort, page_size=3)
        assert len(found) == len(made) and set(found) == made, pb.ListingSort.Name(sort)
    one_page = await search(category_id=sneakers.id, sort=pb.LISTING_SORT_PRICE_ASC, page_size=8)
    prices = [listing.price.amount_minor for listing in one_page.listings]
    assert prices == sorted(prices) and one_page.next_page_token == ""


async def test_a_listing_added_between_two_pages_neither_repeats_nor_hides_one(search, trading, seller, sneakers):
    before = [await listed(trading, seller, sneakers.id, price=eur(1000 * (index + 1))) for index in range(5)]
    first = await search(category_id=sneakers.id, page_size=2)
    cheapest_first = await search(category_id=sneakers.id, sort=pb.LISTING_SORT_PRICE_ASC, page_size=2)
    # Newer than every one seen, and cheaper than the ones on the next price page.
    added = await listed(trading, seller, sneakers.id, price=eur(1500))

    rest = await every_page(search, category_id=sneakers.id, page_size=2, page_token=first.next_page_token)
    assert ids(first) + rest == list(reversed(before))
    rest = await every_page(
        search,
        category_id=sneakers.id,
        sort=pb.LISTING_SORT_PRICE_ASC,
        page_size=2,
        page_token=cheapest_first.next_page_token,
    )
    # The new one sorts before the cursor: it is on no later page, and nothing is seen twice.
    assert ids(cheapest_first) + rest == before
    assert added not in rest
    assert (await search(category_id=sneakers.id)).total_size == 6
