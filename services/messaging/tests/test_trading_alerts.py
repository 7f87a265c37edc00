"""Trading's saved-search matches and buy-order moves told live to the user they concern, with no message
posted, and told once however often trading's feed sends them again."""

from marketplace.common.v1 import money_pb2
from marketplace.trading.v1 import resources_pb2, trading_service_pb2, trading_service_pb2_grpc
from messaging.consumers import CONSUMER, handle
from messaging.models import ConsumerCursor, ProcessedEvent
from servicekit.consumer import EventConsumer
from servicekit.db import Database
from testkit.accounts import new_account
from testkit.catalog import new_category
from testkit.databases import execute, fetch

from .test_live import next_event, opened


def usd(amount_minor: int) -> money_pb2.Money:
    return money_pb2.Money(currency="USD", amount_minor=amount_minor)


async def told(stack, user_id: str) -> list[str]:
    rows = await fetch(
        stack.database_urls["messaging"], "SELECT type FROM user_events WHERE user_id = $1::uuid ORDER BY seq", user_id
    )
    return [row["type"] for row in rows]


async def test_a_saved_search_match_and_a_buy_orders_moves_are_told_live_once(stack, messaging):
    trading = trading_service_pb2_grpc.TradingServiceStub(stack.channel("trading"))
    # A category of its own: other tests' listings of a shared one may still be announced meanwhile.
    balls = await new_category(stack)
    owner = await new_account(stack, funds=usd(10_000))
    seller = await new_account(stack)
    stream = await opened(messaging, owner.auth)
    search = await trading.CreateSavedSearch(
        trading_service_pb2.CreateSavedSearchRequest(
            saved_search=resources_pb2.SavedSearch(category_id=balls.id, max_price=usd(3000))
        ),
        metadata=owner.auth,
    )
    listing = await trading.CreateListing(
        trading_service_pb2.CreateListingRequest(
            listing=resources_pb2.Listing(title="Signed ball", category_id=balls.id, price=usd(2500))
        ),
        metadata=seller.auth,
    )
    matched = await next_event(stream, seconds=5)
    assert matched.type == "saved_search_matched"
    assert (matched.saved_search_matched.saved_search_id, matched.saved_search_matched.listing_id) == (
        search.id,
        listing.id,
    )
    assert matched.saved_search_matched.price.amount_minor == 2500

    order = await trading.CreateBuyOrder(
        trading_service_pb2.CreateBuyOrderRequest(
            buy_order=resources_pb2.BuyOrder(category_id=balls.id, q="nothing-is-called-this", max_price=usd(100))
        ),
        metadata=owner.auth,
    )
    await trading.CancelBuyOrder(trading_service_pb2.CancelBuyOrderRequest(buy_order_id=order.id), metadata=owner.auth)
    created, cancelled = await next_event(stream, seconds=5), await next_event(stream, seconds=5)
    assert (created.type, created.buy_order_created.buy_order_id) == ("buy_order_created", order.id)
    assert (cancelled.type, cancelled.buy_order_cancelled.status) == (
        "buy_order_cancelled",
        resources_pb2.BUY_ORDER_STATUS_CANCELLED,
    )
    stream.cancel()
    before = await told(stack, owner.id)
    assert before == ["saved_search_matched", "buy_order_created", "buy_order_cancelled"]

    # The feed sends every event again from the start: the consumer's record of what it handled tells nothing twice.
    await execute(
        stack.database_urls["messaging"], "UPDATE consumer_cursors SET cursor = '' WHERE consumer = $1", CONSUMER
    )
    db = Database(stack.database_urls["messaging"])
    try:
        replay = EventConsumer(
            db, stack.channel("trading", as_service="messaging"), CONSUMER, handle, ConsumerCursor, ProcessedEvent
        )
        await replay.catch_up()
    finally:
        await db.dispose()
    assert await told(stack, owner.id) == before
