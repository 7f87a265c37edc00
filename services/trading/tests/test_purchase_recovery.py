"""Purchases a crash or an unreachable accounts leaves half-way: trading killed with SIGKILL after each step
of the saga, then another replica's reconciler; accounts stopped during a purchase. Every purchase ends
completed, or undone with nothing held; never an item without payment, nor a payment without the item."""

import contextlib
from uuid import UUID

import grpc
import pytest

from devstack.ports import free_port
from marketplace.trading.v1 import resources_pb2 as T
from marketplace.trading.v1 import trading_service_pb2 as pb
from marketplace.trading.v1 import trading_service_pb2_grpc
from testkit.accounts import Account, balances, ledger_violations, new_account
from testkit.catalog import new_item
from testkit.databases import fetch
from testkit.stack import replica, replica_process
from testkit.waiting import eventually

from .test_purchases import buy, owner_of
from .trading_support import eur, free_form, get, of_item

FUNDS, PRICE, FEE = 5000, 2000, 100
# A process told to crash must not also take over other purchases: its reconciler waits an hour.
CRASHING = {"SAGA_GRACE_SECONDS": "3600"}


@pytest.fixture(autouse=True)
async def ledger_balances(stack):
    yield
    assert await ledger_violations(stack) == {}


@contextlib.asynccontextmanager
async def crashing_trading(stack, step: str):
    """A trading process that kills itself after the step; its stub."""
    async with (
        replica_process(stack, "trading", env={**CRASHING, "SAGA_FAULT": step}) as crashing,
        grpc.aio.insecure_channel(crashing.address) as channel,
    ):
        yield trading_service_pb2_grpc.TradingServiceStub(channel)


async def recovered(stack, transaction_id: str) -> dict:
    """The transaction once a replica with a short grace has reconciled it: final, its escrow settled."""
    url = stack.database_urls["trading"]

    async def settled() -> bool:
        [row] = await fetch(
            url, "SELECT settled_at IS NOT NULL AS settled FROM transactions WHERE id = $1", UUID(transaction_id)
        )
        return row["settled"]

    async with replica(stack, "trading", saga_grace_seconds=0.2, reconcile_seconds=0.1):
        await eventually(settled, True, 20)
    [row] = await fetch(url, "SELECT * FROM transactions WHERE id = $1", UUID(transaction_id))
    return dict(row)


async def the_transaction(stack, listing_id: str) -> str:
    [row] = await fetch(
        stack.database_urls["trading"], "SELECT id FROM transactions WHERE listing_id = $1", UUID(listing_id)
    )
    return str(row["id"])


async def assert_undone(stack, trading, transaction: dict, listing_id: str, buyer: Account) -> None:
    assert transaction["status"] == "cancelled" and transaction["closed_at"] is not None
    assert (await trading.GetListing(get(listing_id))).status == T.LISTING_STATUS_ACTIVE
    assert await balances(stack, buyer, "EUR") == (FUNDS, 0)


async def assert_completed(stack, trading, transaction: dict, listing_id: str, buyer: Account, seller: Account) -> None:
    assert transaction["status"] == "completed"
    assert (await trading.GetListing(get(listing_id))).status == T.LISTING_STATUS_SOLD
    assert await balances(stack, buyer, "EUR") == (FUNDS - PRICE, 0)
    assert await balances(stack, seller, "EUR") == (PRICE - FEE, 0)


# Killed before the funds were recorded as held, a purchase is undone; after, it is finished.
GAME_ITEM_OUTCOMES = {
    "reserve": "cancelled",
    "hold": "cancelled",
    "pay": "completed",
    "transfer": "completed",
    "capture": "completed",
}


@pytest.mark.parametrize("step", list(GAME_ITEM_OUTCOMES))
async def test_a_game_item_purchase_killed_after_any_step_ends_completed_or_undone(stack, trading, skins, step):
    seller, buyer = await new_account(stack), await new_account(stack, eur(FUNDS))
    item = await new_item(stack, seller.auth, skins.id, "AWP | Asiimov", wear=0.3)
    listing = await trading.CreateListing(of_item(item.id, price=eur(PRICE)), metadata=seller.auth)
    async with crashing_trading(stack, step) as crashing:
        with pytest.raises(grpc.aio.AioRpcError) as killed:
            await crashing.BuyListing(buy(listing.id), metadata=buyer.auth, timeout=30)
    assert killed.value.code() is grpc.StatusCode.UNAVAILABLE
    transaction = await recovered(stack, await the_transaction(stack, listing.id))
    if GAME_ITEM_OUTCOMES[step] == "completed":
        await assert_completed(stack, trading, transaction, listing.id, buyer, seller)
        assert await owner_of(stack, item.id) == buyer.id and transaction["item_transferred_at"] is not None
    else:
        await assert_undone(stack, trading, transaction, listing.id, buyer)
        assert await owner_of(stack, item.id) == seller.id


@pytest.mark.parametrize(
    ("how", "step"), [("confirm", "close"), ("confirm", "settle"), ("refund", "close"), ("refund", "settle")]
)
async def test_a_confirm_or_refund_killed_before_its_money_moved_is_settled_after(stack, trading, shoes, how, step):
    seller, buyer = await new_account(stack), await new_account(stack, eur(FUNDS))
    listing = await trading.CreateListing(free_form(shoes.id, price=eur(PRICE)), metadata=seller.auth)
    paid = await trading.BuyListing(buy(listing.id), metadata=buyer.auth)
    async with crashing_trading(stack, step) as crashing:
        with pytest.raises(grpc.aio.AioRpcError) as killed:
            if how == "confirm":
                await crashing.ConfirmTransaction(
                    pb.ConfirmTransactionRequest(transaction_id=paid.id), metadata=buyer.auth
                )
            else:
                await crashing.RefundTransaction(
                    pb.RefundTransactionRequest(transaction_id=paid.id), metadata=seller.auth
                )
    assert killed.value.code() is grpc.StatusCode.UNAVAILABLE
    transaction = await recovered(stack, paid.id)
    if how == "confirm":
        await assert_completed(stack, trading, transaction, listing.id, buyer, seller)
    else:
        assert transaction["status"] == "refunded"
        assert (await trading.GetListing(get(listing.id))).status == T.LISTING_STATUS_ACTIVE
        assert await balances(stack, buyer, "EUR") == (FUNDS, 0)


async def test_a_physical_purchase_killed_after_payment_waits_paid_for_its_buyer(stack, trading, shoes):
    seller, buyer = await new_account(stack), await new_account(stack, eur(FUNDS))
    listing = await trading.CreateListing(free_form(shoes.id, price=eur(PRICE)), metadata=seller.auth)
    async with crashing_trading(stack, "pay") as crashing:
        with pytest.raises(grpc.aio.AioRpcError):
            await crashing.BuyListing(buy(listing.id), metadata=buyer.auth, timeout=30)
    transaction_id = await the_transaction(stack, listing.id)
    mine = await trading.GetTransaction(pb.GetTransactionRequest(transaction_id=transaction_id), metadata=buyer.auth)
    assert mine.status == T.TRANSACTION_STATUS_PAID and await balances(stack, buyer, "EUR") == (FUNDS - PRICE, PRICE)
    await trading.ConfirmTransaction(pb.ConfirmTransactionRequest(transaction_id=transaction_id), metadata=buyer.auth)
    transaction = await recovered(stack, transaction_id)
    await assert_completed(stack, trading, transaction, listing.id, buyer, seller)


async def test_with_accounts_stopped_a_purchase_is_unavailable_and_the_reconciler_leaves_nothing_held(
    stack, trading, shoes
):
    seller, buyer = await new_account(stack), await new_account(stack, eur(FUNDS))
    listing = await trading.CreateListing(free_form(shoes.id, price=eur(PRICE)), metadata=seller.auth)
    port = free_port()
    first_accounts = replica(stack, "accounts", grpc_port=port)
    addresses = {**stack.settings["trading"].addresses, "accounts": await first_accounts.__aenter__()}
    settings = {"call_timeout_seconds": 1.0, "saga_grace_seconds": 0.5, "reconcile_seconds": 0.2}
    async with (
        replica(stack, "trading", addresses=addresses, **settings) as address,
        grpc.aio.insecure_channel(address) as channel,
    ):
        await first_accounts.__aexit__(None, None, None)
        with pytest.raises(grpc.aio.AioRpcError) as unavailable:
            await trading_service_pb2_grpc.TradingServiceStub(channel).BuyListing(
                buy(listing.id), metadata=buyer.auth, timeout=10
            )
        assert unavailable.value.code() is grpc.StatusCode.UNAVAILABLE
        # Cancelled at once: the listing is on sale again while accounts is away.
        assert (await trading.GetListing(get(listing.id))).status == T.LISTING_STATUS_ACTIVE
        transaction = pb.GetTransactionRequest(transaction_id=await the_transaction(stack, listing.id))

        async def settled() -> tuple:
            found = await trading.GetTransaction(transaction, metadata=buyer.auth)
            return found.status, found.HasField("settle_time")

        assert await settled() == (T.TRANSACTION_STATUS_CANCELLED, False)
        async with replica(stack, "accounts", grpc_port=port):
            await eventually(settled, (T.TRANSACTION_STATUS_CANCELLED, True), 20)
    assert (await trading.GetListing(get(listing.id))).status == T.LISTING_STATUS_ACTIVE
    assert await balances(stack, buyer, "EUR") == (FUNDS, 0)
