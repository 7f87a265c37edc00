"""Buy orders placed, read, listed, cancelled and expired, with their holds on the buyer's wallet."""

import uuid
from functools import partial

import grpc
import pytest

from marketplace.common.v1 import location_pb2
from marketplace.trading.v1 import events_pb2
from marketplace.trading.v1 import resources_pb2 as T
from marketplace.trading.v1 import trading_service_pb2 as pb
from servicekit.auth import Role
from testkit.accounts import balances, ledger_violations, new_account
from testkit.catalog import new_category
from testkit.databases import execute
from testkit.feeds import events_until
from testkit.grpc import error_reason, field_violations, rpc_error
from testkit.settings import reset_settings, settings_change
from testkit.stack import replica
from testkit.tokens import bearer, mint
from testkit.waiting import eventually

from .buy_order_support import RIFLE_ATTRIBUTES, cancel_order, get_order, in_hours, order
from .trading_support import eur

BERLIN = location_pb2.Location(latitude=52.52, longitude=13.405)


@pytest.fixture(autouse=True)
async def ledger_balances(stack):
    yield
    assert await ledger_violations(stack) == {}


async def test_an_order_holds_its_max_price_times_quantity_until_cancelled(stack, trading, rifles):
    buyer = await new_account(stack, eur(10_000))
    placed = await trading.CreateBuyOrder(
        order(rifles.id, 2000, "wear:..0.16", "rarity:Covert|Classified", quantity=3), metadata=buyer.auth
    )
    assert placed.status == T.BUY_ORDER_STATUS_OPEN and placed.buyer_id == buyer.id and placed.hold_id
    assert (placed.quantity, placed.quantity_filled, placed.max_price.amount_minor) == (3, 0, 2000)
    assert list(placed.attributes) == ["wear:..0.16", "rarity:Covert|Classified"]
    assert await balances(stack, buyer, "EUR") == (4_000, 6_000)

    cancelled = await trading.CancelBuyOrder(cancel_order(placed.id), metadata=buyer.auth)
    assert cancelled.status == T.BUY_ORDER_STATUS_CANCELLED
    assert await balances(stack, buyer, "EUR") == (10_000, 0)
    again = await rpc_error(trading.CancelBuyOrder(cancel_order(placed.id), metadata=buyer.auth))
    assert again.code() is grpc.StatusCode.FAILED_PRECONDITION and error_reason(again) == "BUY_ORDER_NOT_OPEN"


async def test_quantity_defaults_to_one_and_expiry_to_the_runtime_setting(stack, trading, rifles):
    buyer = await new_account(stack, eur(5_000))
    placed = await trading.CreateBuyOrder(order(rifles.id, 1500), metadata=buyer.auth)
    assert placed.quantity == 1
    days = (placed.expire_time.ToDatetime() - placed.create_time.ToDatetime()).days
    assert 29 <= days <= 30
    assert await balances(stack, buyer, "EUR") == (3_500, 1_500)


async def test_short_funds_or_a_currency_the_wallet_lacks_fail_the_order_with_nothing_held(stack, trading, rifles):
    buyer = await new_account(stack, eur(1_000))
    short = await rpc_error(trading.CreateBuyOrder(order(rifles.id, 600, quantity=2), metadata=buyer.auth))
    assert short.code() is grpc.StatusCode.FAILED_PRECONDITION and error_reason(short) == "INSUFFICIENT_FUNDS"
    dollars = await rpc_error(trading.CreateBuyOrder(order(rifles.id, price=eur(500, "USD")), metadata=buyer.auth))
    assert dollars.code() is grpc.StatusCode.FAILED_PRECONDITION and error_reason(dollars) == "INSUFFICIENT_FUNDS"
    assert await balances(stack, buyer, "EUR") == (1_000, 0)
    listed = await trading.ListBuyOrders(pb.ListBuyOrdersRequest(), metadata=buyer.auth)
    assert [o.status for o in listed.buy_orders] == [T.BUY_ORDER_STATUS_FAILED] * 2
    assert {o.failure_reason for o in listed.buy_orders} == {"INSUFFICIENT_FUNDS"}


async def test_bad_orders_are_refused_naming_the_field_and_hold_nothing(stack, trading, rifles):
    buyer = await new_account(stack, eur(100_000))
    cases = {
        "buy_order.attributes[0]": order(rifles.id, 2000, "stickers_count:0"),
        "buy_order.attributes[1]": order(rifles.id, 2000, "wear:0.1..0.2", "wear:0.3..0.2"),
        "buy_order.quantity": order(rifles.id, 2000, quantity=10_000),
        "buy_order.max_price.amount_minor": order(rifles.id, 0),
        "buy_order.category_id": order(str(uuid.uuid4()), 2000),
        "buy_order.radius_km": order(rifles.id, 2000, near={"latitude": 52.5, "longitude": 13.4}),
        "buy_order.expire_time": order(rifles.id, 2000, expire_time=in_hours(-1)),
    }
    for field, request in cases.items():
        refused = await rpc_error(trading.CreateBuyOrder(request, metadata=buyer.auth))
        assert refused.code() is grpc.StatusCode.INVALID_ARGUMENT, field
        assert field in field_violations(refused), (field, field_violations(refused))
    # A range wholly outside the attribute's bounds, and two ranges that leave nothing between them.
    never = await rpc_error(trading.CreateBuyOrder(order(rifles.id, 2000, "wear:2..3"), metadata=buyer.auth))
    assert "buy_order.attributes[0]" in field_violations(never)
    disjoint = await rpc_error(
        trading.CreateBuyOrder(order(rifles.id, 2000, "wear:0.5..", "wear:..0.16"), metadata=buyer.auth)
    )
    assert "buy_order.attributes[1]" in field_violations(disjoint)
    nothing = await rpc_error(
        trading.CreateBuyOrder(pb.CreateBuyOrderRequest(buy_order=T.BuyOrder(max_price=eur(100))), metadata=buyer.auth)
    )
    assert "buy_order.category_id" in field_violations(nothing)
    assert await balances(stack, buyer, "EUR") == (100_000, 0)


async def test_a_repeated_request_id_places_one_order_and_one_hold(stack, trading, rifles):
    buyer = await new_account(stack, eur(5_000))
    first = await trading.CreateBuyOrder(order(rifles.id, 2000, request_id="order-1"), metadata=buyer.auth)
    second = await trading.CreateBuyOrder(order(rifles.id, 2000, request_id="order-1"), metadata=buyer.auth)
    assert second.id == first.id and second.status == T.BUY_ORDER_STATUS_OPEN
    assert await balances(stack, buyer, "EUR") == (3_000, 2_000)


async def test_an_order_is_its_buyers_alone_and_needs_a_token(stack, trading, rifles):
    buyer, other = await new_account(stack, eur(5_000)), await new_account(stack, eur(5_000))
    placed = await trading.CreateBuyOrder(order(rifles.id, 2000), metadata=buyer.auth)
    for call in (
        trading.GetBuyOrder(get_order(placed.id), metadata=other.auth),
        trading.CancelBuyOrder(cancel_order(placed.id), metadata=other.auth),
    ):
        refused = await rpc_error(call)
        assert refused.code() is grpc.StatusCode.NOT_FOUND and error_reason(refused) == "BUY_ORDER_NOT_FOUND"
    assert not (await trading.ListBuyOrders(pb.ListBuyOrdersRequest(), metadata=other.auth)).buy_orders
    anonymous = (
        trading.CreateBuyOrder(order(rifles.id, 2000)),
        trading.ListBuyOrders(pb.ListBuyOrdersRequest()),
        trading.GetBuyOrder(get_order(placed.id)),
        trading.CancelBuyOrder(cancel_order(placed.id)),
    )
    for call in anonymous:
        assert (await rpc_error(call)).code() is grpc.StatusCode.UNAUTHENTICATED
    assert (await trading.GetBuyOrder(get_order(placed.id), metadata=buyer.auth)).status == T.BUY_ORDER_STATUS_OPEN


async def test_the_buyers_orders_are_listed_newest_first_by_status_in_pages(stack, trading, rifles):
    buyer = await new_account(stack, eur(10_000))
    ids = [(await trading.CreateBuyOrder(order(rifles.id, 1000), metadata=buyer.auth)).id for _ in range(3)]
    await trading.CancelBuyOrder(cancel_order(ids[0]), metadata=buyer.auth)
    first = await trading.ListBuyOrders(pb.ListBuyOrdersRequest(page_size=2), metadata=buyer.auth)
    rest = await trading.ListBuyOrders(
        pb.ListBuyOrdersRequest(page_size=2, page_token=first.next_page_token), metadata=buyer.auth
    )
    assert [o.id for o in first.buy_orders] + [o.id for o in rest.buy_orders] == ids[::-1]
    assert not rest.next_page_token
    open_ones = await trading.ListBuyOrders(
        pb.ListBuyOrdersRequest(status=T.BUY_ORDER_STATUS_OPEN), metadata=buyer.auth
    )
    assert [o.id for o in open_ones.buy_orders] == ids[:0:-1]


async def test_an_order_past_its_expiry_is_expired_by_the_sweeper_and_its_hold_released(stack, trading, rifles):
    buyer = await new_account(stack, eur(5_000))
    placed = await trading.CreateBuyOrder(order(rifles.id, 2000, expire_time=in_hours(1)), metadata=buyer.auth)
    await execute(
        stack.database_urls["trading"],
        "UPDATE buy_orders SET expire_at = now() - interval '1 second' WHERE id = $1",
        uuid.UUID(placed.id),
    )

    async def status() -> int:
        return (await trading.GetBuyOrder(get_order(placed.id), metadata=buyer.auth)).status

    async with replica(stack, "trading", buy_order_sweep_seconds=0.1):
        await eventually(status, T.BUY_ORDER_STATUS_EXPIRED, 10)
        # The hold is released once the expiry is committed.
        await eventually(partial(balances, stack, buyer, "EUR"), (5_000, 0), 10)


async def test_the_order_book_shows_a_categorys_open_orders_highest_price_first_without_buyers(stack, trading, rifles):
    buyers = [await new_account(stack, eur(10_000)) for _ in range(3)]
    low = await trading.CreateBuyOrder(order(rifles.id, 900, "wear:..0.07"), metadata=buyers[0].auth)
    high = await trading.CreateBuyOrder(
        order(rifles.id, 1800, "rarity:Covert", quantity=4, near=BERLIN, radius_km=10), metadata=buyers[1].auth
    )
    middle = await trading.CreateBuyOrder(order(rifles.id, 1200), metadata=buyers[2].auth)
    gone = await trading.CreateBuyOrder(order(rifles.id, 5000), metadata=buyers[2].auth)
    await trading.CancelBuyOrder(cancel_order(gone.id), metadata=buyers[2].auth)

    # Public: no token needed; two pages of two.
    first = await trading.ListCategoryBuyOrders(pb.ListCategoryBuyOrdersRequest(category_id=rifles.id, page_size=2))
    rest = await trading.ListCategoryBuyOrders(
        pb.ListCategoryBuyOrdersRequest(category_id=rifles.id, page_size=2, page_token=first.next_page_token)
    )
    book = list(first.buy_orders) + list(rest.buy_orders)
    assert [entry.id for entry in book] == [high.id, middle.id, low.id] and not rest.next_page_token
    assert [(e.max_price.amount_minor, e.quantity - e.quantity_filled) for e in book] == [
        (1800, 4),
        (1200, 1),
        (900, 1),
    ]
    assert list(book[0].attributes) == ["rarity:Covert"] and list(book[2].attributes) == ["wear:..0.07"]
    assert all(not entry.buyer_id and not entry.hold_id and not entry.HasField("near") for entry in book)
    other = await new_category(stack, *RIFLE_ATTRIBUTES)
    assert not (await trading.ListCategoryBuyOrders(pb.ListCategoryBuyOrdersRequest(category_id=other.id))).buy_orders


async def test_an_order_is_announced_when_it_opens_and_when_it_is_cancelled(stack, trading, rifles):
    buyer = await new_account(stack, eur(5_000))
    placed = await trading.CreateBuyOrder(order(rifles.id, 2000, "wear:..0.16"), metadata=buyer.auth)
    await trading.CancelBuyOrder(cancel_order(placed.id), metadata=buyer.auth)
    channel = stack.channel("trading", as_service="messaging")

    def of_order(found) -> list[tuple[str, events_pb2.BuyOrderChanged]]:
        announced = []
        for event in found:
            if event.subject_id == placed.id:
                payload = events_pb2.BuyOrderChanged()
                event.payload.Unpack(payload)
                announced.append((event.type, payload))
        return announced

    found = of_order(await events_until(channel, lambda events: len(of_order(events)) >= 2))
    assert [event_type for event_type, _ in found] == ["trading.buy_order.created", "trading.buy_order.cancelled"]
    created, cancelled = (payload for _, payload in found)
    assert (created.buyer_id, created.status, list(created.buy_order.attributes)) == (
        buyer.id,
        T.BUY_ORDER_STATUS_OPEN,
        ["wear:..0.16"],
    )
    assert cancelled.status == T.BUY_ORDER_STATUS_CANCELLED


async def test_buy_orders_are_refused_while_the_flag_is_off_for_the_caller(stack, trading, rifles, signing_key):
    admin = bearer(mint(signing_key, role=Role.ADMIN))
    buyer = await new_account(stack, eur(5_000))
    await trading.UpdateSettings(settings_change(None, {"buy_orders_enabled": {"enabled": False}}), metadata=admin)
    try:

        async def refused() -> str | None:
            try:
                await trading.CreateBuyOrder(order(rifles.id, 2000), metadata=buyer.auth)
            except grpc.aio.AioRpcError as error:
                return error_reason(error)
            return None

        await eventually(refused, "BUY_ORDERS_DISABLED", 3)
    finally:
        await reset_settings(trading, admin)
    # At most the order placed before the flag reached the server holds money.
    available, held = await balances(stack, buyer, "EUR")
    assert available + held == 5_000
