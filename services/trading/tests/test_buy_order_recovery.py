"""Buy orders a crash leaves half-way: trading killed with SIGKILL after each step of placing an order and
of its fill, then another replica's reconcilers. A fill ends completed at the listing's price with the
rest of the order's hold released; an order whose hold was not known to be placed ends cancelled with
nothing held; never money taken without the item, nor held for nothing."""

import uuid

import grpc
import pytest

from marketplace.trading.v1 import resources_pb2 as T
from testkit.accounts import balances, ledger_violations, new_account
from testkit.catalog import new_item
from testkit.databases import fetch
from testkit.stack import replica
from testkit.waiting import eventually

from .buy_order_support import matcher_caught_up, order
from .test_purchase_recovery import crashing_trading
from .test_purchases import owner_of
from .trading_support import eur, get, of_item

FUNDS, MAX_PRICE, PRICE, FEE = 5000, 2000, 1500, 75


@pytest.fixture(autouse=True)
async def ledger_balances(stack):
    yield
    assert await ledger_violations(stack) == {}


async def finished(stack, buyer_id: str) -> dict:
    """The buyer's order once a replica with a short grace has reconciled it and its fill."""
    url = stack.database_urls["trading"]
    query = (
        "SELECT o.id, o.status::text AS status, o.settled_at IS NOT NULL AS settled,"
        " (SELECT array_agg(t.status::text) FROM transactions t WHERE t.buy_order_id = o.id"
        "  AND t.settled_at IS NOT NULL) AS settled_fills,"
        " (SELECT count(*) FROM transactions t WHERE t.buy_order_id = o.id) AS fills"
        " FROM buy_orders o WHERE o.buyer_id = $1"
    )

    async def done() -> bool:
        rows = await fetch(url, query, uuid.UUID(buyer_id))
        if not rows:
            return False
        row = rows[0]
        fills_done = len(row["settled_fills"] or []) == row["fills"]
        return fills_done and (row["status"] in ("filled", "open") or row["settled"])

    async with replica(stack, "trading", saga_grace_seconds=0.2, reconcile_seconds=0.1):
        await eventually(done, True, 20)
    [row] = await fetch(url, query, uuid.UUID(buyer_id))
    return dict(row)


@pytest.mark.parametrize("step", ["reserve", "pay", "transfer", "capture"])
async def test_a_fill_killed_after_any_step_is_finished_at_the_listings_price(stack, trading, rifles, step):
    seller, buyer = await new_account(stack), await new_account(stack, eur(FUNDS))
    item = await new_item(stack, seller.auth, rifles.id, "AK-47 | Redline", wear=0.1)
    listing = await trading.CreateListing(of_item(item.id, price=eur(PRICE)), metadata=seller.auth)
    await matcher_caught_up(stack)
    async with crashing_trading(stack, step) as crashing:
        with pytest.raises(grpc.aio.AioRpcError) as killed:
            await crashing.CreateBuyOrder(order(rifles.id, MAX_PRICE, "wear:..0.16"), metadata=buyer.auth, timeout=30)
    assert killed.value.code() is grpc.StatusCode.UNAVAILABLE
    row = await finished(stack, buyer.id)
    assert row["status"] == "filled" and row["settled_fills"] == ["completed"]
    assert (await trading.GetListing(get(listing.id))).status == T.LISTING_STATUS_SOLD
    assert await owner_of(stack, item.id) == buyer.id
    assert await balances(stack, buyer, "EUR") == (FUNDS - PRICE, 0)
    assert await balances(stack, seller, "EUR") == (PRICE - FEE, 0)


async def test_an_order_killed_after_its_hold_before_it_opened_is_cancelled_with_nothing_held(stack, rifles):
    buyer = await new_account(stack, eur(FUNDS))
    async with crashing_trading(stack, "hold") as crashing:
        with pytest.raises(grpc.aio.AioRpcError) as killed:
            await crashing.CreateBuyOrder(order(rifles.id, MAX_PRICE, quantity=2), metadata=buyer.auth, timeout=30)
    assert killed.value.code() is grpc.StatusCode.UNAVAILABLE
    assert await balances(stack, buyer, "EUR") == (FUNDS - 2 * MAX_PRICE, 2 * MAX_PRICE)
    row = await finished(stack, buyer.id)
    assert row["status"] == "cancelled" and row["settled"] and row["fills"] == 0
    assert await balances(stack, buyer, "EUR") == (FUNDS, 0)
