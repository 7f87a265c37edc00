"""Buy orders filled: a matching listing that goes on sale (or drops its price) is bought by the best open
order at the listing's price, drawing on the order's hold; an order placed buys the matching listings on
sale, cheapest first; one listing is bought once, by an order or by hand."""

import asyncio
import uuid
from functools import partial

import grpc
import pytest

from marketplace.common.v1 import location_pb2
from marketplace.trading.v1 import resources_pb2 as T
from marketplace.trading.v1 import trading_service_pb2 as pb
from testkit.accounts import balances, ledger_violations, new_account
from testkit.catalog import new_item
from testkit.databases import fetch
from testkit.waiting import eventually

from .buy_order_support import get_order, matcher_caught_up, order
from .test_purchases import buy
from .trading_support import eur, free_form, get, of_item

BERLIN = location_pb2.Location(latitude=52.52, longitude=13.405)
POTSDAM = location_pb2.Location(latitude=52.39, longitude=13.06)
HAMBURG = location_pb2.Location(latitude=53.55, longitude=9.99)


@pytest.fixture(autouse=True)
async def ledger_balances(stack):
    yield
    assert await ledger_violations(stack) == {}


async def listed_skin(stack, trading, seller, category_id: str, price: int, **attributes):
    item = await new_item(stack, seller.auth, category_id, "AK-47 | Redline", **attributes)
    return await trading.CreateListing(of_item(item.id, price=eur(price)), metadata=seller.auth)


async def status_of(trading, listing_id: str) -> int:
    return (await trading.GetListing(get(listing_id))).status


async def transactions_of(stack, listing_id: str) -> list[dict]:
    rows = await fetch(
        stack.database_urls["trading"],
        "SELECT buyer_id, status, buy_order_id FROM transactions WHERE listing_id = $1",
        uuid.UUID(listing_id),
    )
    return [dict(row) for row in rows]


async def test_a_matching_listing_is_sold_to_the_order_at_its_own_price_within_two_seconds(stack, trading, rifles):
    seller, buyer = await new_account(stack), await new_account(stack, eur(5_000))
    placed = await trading.CreateBuyOrder(
        order(rifles.id, 2000, "wear:..0.16", "rarity:Covert|Classified", "stickers:false"), metadata=buyer.auth
    )
    listing = await listed_skin(stack, trading, seller, rifles.id, 1500, wear=0.12, rarity="Covert", stickers=False)
    await eventually(lambda: status_of(trading, listing.id), T.LISTING_STATUS_SOLD, 2)

    filled = await trading.GetBuyOrder(get_order(placed.id), metadata=buyer.auth)
    assert filled.status == T.BUY_ORDER_STATUS_FILLED and filled.quantity_filled == 1
    [fill] = filled.fills
    assert (fill.listing_id, fill.price.amount_minor, fill.status) == (listing.id, 1500, T.TRANSACTION_STATUS_COMPLETED)
    # The listing's price was paid, not the order's maximum; nothing stays held.
    assert await balances(stack, buyer, "EUR") == (3_500, 0)
    assert await balances(stack, seller, "EUR") == (1_425, 0)


async def test_a_listing_that_misses_one_predicate_is_not_bought(stack, trading, rifles):
    seller, buyer = await new_account(stack), await new_account(stack, eur(5_000))
    placed = await trading.CreateBuyOrder(
        order(rifles.id, 2000, "wear:..0.16", "rarity:Covert", quantity=2), metadata=buyer.auth
    )
    worn = await listed_skin(stack, trading, seller, rifles.id, 1500, wear=0.2, rarity="Covert")
    other_rarity = await listed_skin(stack, trading, seller, rifles.id, 1500, wear=0.1, rarity="Restricted")
    too_dear = await listed_skin(stack, trading, seller, rifles.id, 2001, wear=0.1, rarity="Covert")
    matching = await listed_skin(stack, trading, seller, rifles.id, 1900, wear=0.1, rarity="Covert")
    # The matcher reads listings in the order they were announced: once the last is sold, the others were seen.
    await eventually(lambda: status_of(trading, matching.id), T.LISTING_STATUS_SOLD, 2)
    for listing in (worn, other_rarity, too_dear):
        assert await status_of(trading, listing.id) == T.LISTING_STATUS_ACTIVE
    after = await trading.GetBuyOrder(get_order(placed.id), metadata=buyer.auth)
    assert (after.status, after.quantity_filled) == (T.BUY_ORDER_STATUS_OPEN, 1)
    # One unit bought at 1900 of the 2 x 2000 held: one max price stays held for the other unit.
    assert await balances(stack, buyer, "EUR") == (5_000 - 1_900 - 2_000, 2_000)


async def test_of_twenty_matching_orders_the_best_one_buys_the_listing(stack, trading, rifles):
    seller = await new_account(stack)
    buyers = [await new_account(stack, eur(5_000)) for _ in range(20)]
    prices = [1500 + 10 * (index % 7) for index in range(20)]
    orders = [
        await trading.CreateBuyOrder(order(rifles.id, price, "wear:..0.5"), metadata=buyer.auth)
        for buyer, price in zip(buyers, prices, strict=True)
    ]
    listing = await listed_skin(stack, trading, seller, rifles.id, 1400, wear=0.3)
    await eventually(lambda: status_of(trading, listing.id), T.LISTING_STATUS_SOLD, 2)
    [transaction] = await transactions_of(stack, listing.id)
    # The highest price is 1560, placed by buyers 6 and 13: the older of them wins.
    assert str(transaction["buyer_id"]) == buyers[6].id and str(transaction["buy_order_id"]) == orders[6].id
    for index, buyer in enumerate(buyers):
        expected = (5_000 - 1_400, 0) if index == 6 else (5_000 - prices[index], prices[index])
        assert await balances(stack, buyer, "EUR") == expected


async def test_a_hand_purchase_and_an_order_at_the_same_moment_buy_the_listing_once(stack, trading, rifles):
    seller = await new_account(stack)
    by_order, by_hand = await new_account(stack, eur(10_000)), await new_account(stack, eur(5_000))
    for _ in range(5):
        await trading.CreateBuyOrder(order(rifles.id, 2000, "wear:..0.5"), metadata=by_order.auth)
    for _ in range(5):
        listing_id = (await listed_skin(stack, trading, seller, rifles.id, 1000, wear=0.3)).id
        try:
            await trading.BuyListing(buy(listing_id), metadata=by_hand.auth)
        except grpc.aio.AioRpcError as lost:
            assert lost.code() is grpc.StatusCode.FAILED_PRECONDITION
        await eventually(partial(status_of, trading, listing_id), T.LISTING_STATUS_SOLD, 2)
        assert [t["status"] for t in await transactions_of(stack, listing_id)] == ["completed"]
    # Five listings sold, each once: by hand or by an order, the money of each counted once.
    bought_by_order = 10_000 - (await balances(stack, by_order, "EUR"))[0] - (await balances(stack, by_order, "EUR"))[1]
    spent_by_hand = 5_000 - (await balances(stack, by_hand, "EUR"))[0]
    assert bought_by_order // 1000 + spent_by_hand // 1000 == 5
    assert (await balances(stack, by_hand, "EUR"))[1] == 0


async def test_an_order_placed_buys_the_matching_listings_on_sale_cheapest_first(stack, trading, rifles):
    seller, buyer = await new_account(stack), await new_account(stack, eur(10_000))
    dear = await listed_skin(stack, trading, seller, rifles.id, 1800, wear=0.1)
    cheap = await listed_skin(stack, trading, seller, rifles.id, 1200, wear=0.1)
    middle = await listed_skin(stack, trading, seller, rifles.id, 1500, wear=0.1)
    worn = await listed_skin(stack, trading, seller, rifles.id, 1000, wear=0.5)
    # Listings the matcher has not read yet would also be offered to the new order, in their turn.
    await matcher_caught_up(stack)
    placed = await trading.CreateBuyOrder(order(rifles.id, 2000, "wear:..0.16", quantity=2), metadata=buyer.auth)
    assert placed.status == T.BUY_ORDER_STATUS_FILLED
    assert [(fill.listing_id, fill.price.amount_minor) for fill in placed.fills] == [
        (cheap.id, 1200),
        (middle.id, 1500),
    ]
    assert await status_of(trading, dear.id) == T.LISTING_STATUS_ACTIVE
    assert await status_of(trading, worn.id) == T.LISTING_STATUS_ACTIVE
    assert await balances(stack, buyer, "EUR") == (10_000 - 2_700, 0)


async def test_a_price_drop_under_the_orders_maximum_sells_the_listing_to_it(stack, trading, sneakers):
    seller, buyer = await new_account(stack), await new_account(stack, eur(10_000))
    await trading.CreateBuyOrder(order(sneakers.id, 4000, "size:44"), metadata=buyer.auth)
    listing = await trading.CreateListing(
        free_form(sneakers.id, price=eur(4500), location=BERLIN), metadata=seller.auth
    )
    cheaper = pb.UpdateListingRequest(
        listing_id=listing.id, listing=T.Listing(price=eur(3900)), update_mask={"paths": ["price"]}
    )
    await asyncio.sleep(0.5)
    assert await status_of(trading, listing.id) == T.LISTING_STATUS_ACTIVE
    await trading.UpdateListing(cheaper, metadata=seller.auth)
    # A physical item: paid and reserved, waiting for the buyer to confirm receipt.
    await eventually(lambda: status_of(trading, listing.id), T.LISTING_STATUS_RESERVED, 2)
    assert [t["status"] for t in await transactions_of(stack, listing.id)] == ["paid"]
    assert await balances(stack, buyer, "EUR") == (6_000, 4_000)


async def test_a_physical_order_buys_within_its_circle_and_condition_and_releases_the_rest_on_receipt(
    stack, trading, sneakers
):
    seller, buyer = await new_account(stack), await new_account(stack, eur(10_000))
    placed = await trading.CreateBuyOrder(
        order(
            sneakers.id,
            1500,
            "size:44",
            conditions=[T.CONDITION_GOOD, T.CONDITION_LIKE_NEW],
            near=BERLIN,
            radius_km=30,
            quantity=2,
        ),
        metadata=buyer.auth,
    )
    far = await trading.CreateListing(
        free_form(sneakers.id, price=eur(1000), location=HAMBURG, condition=T.CONDITION_GOOD), metadata=seller.auth
    )
    poor = await trading.CreateListing(
        free_form(sneakers.id, price=eur(1000), location=POTSDAM, condition=T.CONDITION_POOR), metadata=seller.auth
    )
    near = await trading.CreateListing(
        free_form(sneakers.id, price=eur(1200), location=POTSDAM, condition=T.CONDITION_GOOD), metadata=seller.auth
    )
    await eventually(lambda: status_of(trading, near.id), T.LISTING_STATUS_RESERVED, 2)
    assert await status_of(trading, far.id) == await status_of(trading, poor.id) == T.LISTING_STATUS_ACTIVE
    assert await balances(stack, buyer, "EUR") == (7_000, 3_000)
    [fill] = (await trading.GetBuyOrder(get_order(placed.id), metadata=buyer.auth)).fills
    await trading.ConfirmTransaction(
        pb.ConfirmTransactionRequest(transaction_id=fill.transaction_id), metadata=buyer.auth
    )
    # Paid 1200 of the unit's 1500; the other unit's 1500 stays held.
    assert await balances(stack, buyer, "EUR") == (10_000 - 1_200 - 1_500, 1_500)


async def test_a_refunded_fill_gives_its_unit_back_and_the_order_does_not_buy_that_listing_again(
    stack, trading, sneakers
):
    seller, buyer = await new_account(stack), await new_account(stack, eur(10_000))
    placed = await trading.CreateBuyOrder(order(sneakers.id, 1500, "size:44"), metadata=buyer.auth)
    listing = await trading.CreateListing(free_form(sneakers.id, price=eur(1200)), metadata=seller.auth)
    await eventually(partial(status_of, trading, listing.id), T.LISTING_STATUS_RESERVED, 2)
    [fill] = (await trading.GetBuyOrder(get_order(placed.id), metadata=buyer.auth)).fills
    refund = pb.RefundTransactionRequest(transaction_id=fill.transaction_id, reason="wrong size after all")
    await trading.RefundTransaction(refund, metadata=seller.auth)
    await matcher_caught_up(stack)
    reopened = await trading.GetBuyOrder(get_order(placed.id), metadata=buyer.auth)
    assert (reopened.status, reopened.quantity_filled) == (T.BUY_ORDER_STATUS_OPEN, 0)
    assert [f.status for f in reopened.fills] == [T.TRANSACTION_STATUS_REFUNDED]
    assert await status_of(trading, listing.id) == T.LISTING_STATUS_ACTIVE
    # The unit's max price stays held for the order, which buys another matching listing.
    assert await balances(stack, buyer, "EUR") == (8_500, 1_500)
    other = await trading.CreateListing(free_form(sneakers.id, price=eur(1300)), metadata=seller.auth)
    await eventually(partial(status_of, trading, other.id), T.LISTING_STATUS_RESERVED, 2)


async def test_an_order_of_a_game_with_words_buys_a_listing_of_any_of_its_categories_with_those_words(
    stack, trading, rifles, sneakers
):
    seller, buyer = await new_account(stack), await new_account(stack, eur(10_000))
    placed = await trading.CreateBuyOrder(
        pb.CreateBuyOrderRequest(buy_order=T.BuyOrder(game_id=sneakers.game_id, q="air max", max_price=eur(5000))),
        metadata=buyer.auth,
    )
    other_game = await trading.CreateListing(
        free_form(rifles.id, title="Air Max skin", attributes={"wear": 0.1}, price=eur(1000)), metadata=seller.auth
    )
    other_words = await trading.CreateListing(
        free_form(sneakers.id, title="Jordan 1", price=eur(1000)), metadata=seller.auth
    )
    matching = await trading.CreateListing(
        free_form(sneakers.id, title="Nike Air Max 90", price=eur(4000)), metadata=seller.auth
    )
    await eventually(partial(status_of, trading, matching.id), T.LISTING_STATUS_RESERVED, 2)
    for listing in (other_game, other_words):
        assert await status_of(trading, listing.id) == T.LISTING_STATUS_ACTIVE
    filled = await trading.GetBuyOrder(get_order(placed.id), metadata=buyer.auth)
    assert filled.status == T.BUY_ORDER_STATUS_FILLED and filled.game_id == sneakers.game_id
