"""Purchases against the running stack: a game item completes at once, a physical one waits for its buyer;
short funds, the race of many buyers, repeated requests, and an offer's purchase."""

import asyncio

import grpc
import pytest

from marketplace.catalog.v1 import catalog_service_pb2, catalog_service_pb2_grpc
from marketplace.trading.v1 import resources_pb2
from marketplace.trading.v1 import trading_service_pb2 as pb
from testkit.accounts import balances, ledger_violations, new_account
from testkit.catalog import new_item
from testkit.grpc import error_reason

from .trading_support import eur, free_form, get, of_item

T = resources_pb2


@pytest.fixture(autouse=True)
async def ledger_balances(stack):
    yield
    assert await ledger_violations(stack) == {}


def buy(listing_id: str, request_id: str = "") -> pb.BuyListingRequest:
    return pb.BuyListingRequest(listing_id=listing_id, request_id=request_id)


async def owner_of(stack, item_id: str) -> str:
    catalog = catalog_service_pb2_grpc.CatalogServiceStub(stack.channel("catalog"))
    return (await catalog.GetItem(catalog_service_pb2.GetItemRequest(item_id=item_id))).owner_id


async def test_a_game_item_is_transferred_and_paid_for_at_once(stack, trading, skins):
    seller, buyer = await new_account(stack), await new_account(stack, eur(5000))
    item = await new_item(stack, seller.auth, skins.id, "AK-47 | Redline", wear=0.15)
    listing = await trading.CreateListing(of_item(item.id, price=eur(1999)), metadata=seller.auth)
    bought = await trading.BuyListing(buy(listing.id), metadata=buyer.auth)
    assert bought.status == T.TRANSACTION_STATUS_COMPLETED and bought.item_id == item.id
    # 5% of 1999 is 99.95: rounded half up to 100.
    assert (bought.amount.amount_minor, bought.platform_fee.amount_minor, bought.seller_payout.amount_minor) == (
        1999,
        100,
        1899,
    )
    assert bought.hold_id and bought.hold_posting_id and bought.settle_posting_id and bought.platform_fee_bps == 500
    assert bought.HasField("item_transfer_time") and bought.HasField("settle_time") and bought.HasField("close_time")
    assert await owner_of(stack, item.id) == buyer.id
    assert (await trading.GetListing(get(listing.id))).status == T.LISTING_STATUS_SOLD
    assert await balances(stack, buyer, "EUR") == (5000 - 1999, 0)
    assert await balances(stack, seller, "EUR") == (1899, 0)


async def test_a_physical_item_is_held_until_its_buyer_confirms(stack, trading, shoes):
    seller, buyer = await new_account(stack), await new_account(stack, eur(5000))
    listing = await trading.CreateListing(free_form(shoes.id, price=eur(4500)), metadata=seller.auth)
    paid = await trading.BuyListing(buy(listing.id), metadata=buyer.auth)
    assert paid.status == T.TRANSACTION_STATUS_PAID and paid.HasField("auto_complete_time")
    assert not paid.HasField("settle_time") and not paid.item_id
    assert (await trading.GetListing(get(listing.id))).status == T.LISTING_STATUS_RESERVED
    assert await balances(stack, buyer, "EUR") == (500, 4500)
    confirm = pb.ConfirmTransactionRequest(transaction_id=paid.id)
    with pytest.raises(grpc.aio.AioRpcError) as refused:
        await trading.ConfirmTransaction(confirm, metadata=seller.auth)
    assert error_reason(refused.value) == "NOT_TRANSACTION_PARTY"
    completed = await trading.ConfirmTransaction(confirm, metadata=buyer.auth)
    assert completed.status == T.TRANSACTION_STATUS_COMPLETED and completed.HasField("settle_time")
    assert (await trading.GetListing(get(listing.id))).status == T.LISTING_STATUS_SOLD
    assert await balances(stack, buyer, "EUR") == (500, 0)
    assert await balances(stack, seller, "EUR") == (4500 - 225, 0)
    with pytest.raises(grpc.aio.AioRpcError) as again:
        await trading.ConfirmTransaction(confirm, metadata=buyer.auth)
    assert again.value.code() is grpc.StatusCode.FAILED_PRECONDITION
    assert error_reason(again.value) == "ILLEGAL_STATUS_TRANSITION"


async def test_a_refund_gives_the_money_back_and_puts_the_listing_on_sale(stack, trading, shoes):
    seller, buyer = await new_account(stack), await new_account(stack, eur(5000))
    listing = await trading.CreateListing(free_form(shoes.id, price=eur(4500)), metadata=seller.auth)
    paid = await trading.BuyListing(buy(listing.id), metadata=buyer.auth)
    refund = pb.RefundTransactionRequest(transaction_id=paid.id, reason="out of stock")
    with pytest.raises(grpc.aio.AioRpcError) as refused:
        await trading.RefundTransaction(refund, metadata=buyer.auth)
    assert error_reason(refused.value) == "NOT_TRANSACTION_PARTY"
    refunded = await trading.RefundTransaction(refund, metadata=seller.auth)
    assert refunded.status == T.TRANSACTION_STATUS_REFUNDED and refunded.status_reason == "out of stock"
    assert refunded.HasField("settle_time") and refunded.settle_posting_id
    assert (await trading.GetListing(get(listing.id))).status == T.LISTING_STATUS_ACTIVE
    assert await balances(stack, buyer, "EUR") == (5000, 0)
    assert await balances(stack, seller, "EUR") == (0, 0)


async def test_short_funds_fail_the_purchase_and_the_listing_stays_on_sale(stack, trading, shoes):
    seller, buyer = await new_account(stack), await new_account(stack, eur(100))
    listing = await trading.CreateListing(free_form(shoes.id, price=eur(4500)), metadata=seller.auth)
    for _ in range(2):
        with pytest.raises(grpc.aio.AioRpcError) as refused:
            await trading.BuyListing(buy(listing.id, "short-1"), metadata=buyer.auth)
        assert refused.value.code() is grpc.StatusCode.FAILED_PRECONDITION
        assert error_reason(refused.value) == "INSUFFICIENT_FUNDS"
    assert (await trading.GetListing(get(listing.id))).status == T.LISTING_STATUS_ACTIVE
    mine = await trading.ListMyTransactions(pb.ListMyTransactionsRequest(), metadata=buyer.auth)
    [failed] = mine.transactions
    assert failed.status == T.TRANSACTION_STATUS_FAILED and failed.failure_reason == "INSUFFICIENT_FUNDS"
    assert failed.HasField("settle_time") and not failed.hold_id
    assert await balances(stack, buyer, "EUR") == (100, 0)


async def test_a_repeated_request_id_returns_the_same_transaction_with_one_effect(stack, trading, shoes):
    seller, buyer = await new_account(stack), await new_account(stack, eur(10000))
    listing = await trading.CreateListing(free_form(shoes.id, price=eur(4500)), metadata=seller.auth)
    first, second = await asyncio.gather(
        *(trading.BuyListing(buy(listing.id, "buy-once"), metadata=buyer.auth) for _ in range(2))
    )
    assert first.id == second.id and first.status == second.status == T.TRANSACTION_STATUS_PAID
    assert await balances(stack, buyer, "EUR") == (5500, 4500)
    other = await trading.CreateListing(free_form(shoes.id, price=eur(100)), metadata=seller.auth)
    with pytest.raises(grpc.aio.AioRpcError) as reused:
        await trading.BuyListing(buy(other.id, "buy-once"), metadata=buyer.auth)
    assert error_reason(reused.value) == "IDEMPOTENCY_KEY_REUSED"


async def test_of_fifty_buyers_at_once_exactly_one_buys_and_no_loser_has_money_held(stack, trading, shoes):
    seller = await new_account(stack)
    buyers = [await new_account(stack, eur(5000)) for _ in range(50)]
    listing = await trading.CreateListing(free_form(shoes.id, price=eur(4500)), metadata=seller.auth)
    results = await asyncio.gather(
        *(trading.BuyListing(buy(listing.id), metadata=buyer.auth) for buyer in buyers), return_exceptions=True
    )
    won = [r for r in results if isinstance(r, resources_pb2.Transaction)]
    lost = [r for r in results if isinstance(r, grpc.aio.AioRpcError)]
    assert len(won) == 1 and len(lost) == 49
    assert {(e.code(), error_reason(e)) for e in lost} == {(grpc.StatusCode.FAILED_PRECONDITION, "LISTING_NOT_ACTIVE")}
    held = [await balances(stack, buyer, "EUR") for buyer in buyers]
    assert sorted(held) == [(500, 4500)] + [(5000, 0)] * 49


async def test_buy_refuses_ones_own_listing_and_a_listing_not_on_sale(stack, trading, shoes):
    seller = await new_account(stack, eur(10000))
    listing = await trading.CreateListing(free_form(shoes.id), metadata=seller.auth)
    with pytest.raises(grpc.aio.AioRpcError) as own:
        await trading.BuyListing(buy(listing.id), metadata=seller.auth)
    assert own.value.code() is grpc.StatusCode.INVALID_ARGUMENT
    await trading.CancelListing(pb.CancelListingRequest(listing_id=listing.id), metadata=seller.auth)
    buyer = await new_account(stack, eur(10000))
    with pytest.raises(grpc.aio.AioRpcError) as gone:
        await trading.BuyListing(buy(listing.id), metadata=buyer.auth)
    assert gone.value.code() is grpc.StatusCode.NOT_FOUND
    with pytest.raises(grpc.aio.AioRpcError) as anonymous:
        await trading.BuyListing(buy(listing.id))
    assert anonymous.value.code() is grpc.StatusCode.UNAUTHENTICATED


async def test_an_accepted_offer_is_bought_at_its_amount_and_voided_when_the_buyer_cannot_pay(stack, trading, shoes):
    seller = await new_account(stack)
    poor, rich = await new_account(stack, eur(100)), await new_account(stack, eur(10000))
    listing = await trading.CreateListing(free_form(shoes.id, price=eur(9000)), metadata=seller.auth)
    offers = [
        await trading.CreateOffer(pb.CreateOfferRequest(listing_id=listing.id, amount=eur(8000)), metadata=who.auth)
        for who in (poor, rich)
    ]
    with pytest.raises(grpc.aio.AioRpcError) as short:
        await trading.AcceptOffer(pb.AcceptOfferRequest(offer_id=offers[0].id), metadata=seller.auth)
    assert error_reason(short.value) == "INSUFFICIENT_FUNDS"
    voided = await trading.GetOffer(pb.GetOfferRequest(offer_id=offers[0].id), metadata=seller.auth)
    assert voided.status == T.OFFER_STATUS_VOIDED
    accepted = await trading.AcceptOffer(pb.AcceptOfferRequest(offer_id=offers[1].id), metadata=seller.auth)
    assert accepted.offer.status == T.OFFER_STATUS_ACCEPTED
    assert accepted.transaction.status == T.TRANSACTION_STATUS_PAID
    assert accepted.transaction.offer_id == offers[1].id and accepted.transaction.amount.amount_minor == 8000
    assert await balances(stack, rich, "EUR") == (2000, 8000)


async def test_a_game_item_no_longer_the_sellers_fails_the_purchase_and_withdraws_the_listing(stack, trading, skins):
    seller, buyer = await new_account(stack), await new_account(stack, eur(5000))
    item = await new_item(stack, seller.auth, skins.id, "M4A4 | Howl", wear=0.05)
    listing = await trading.CreateListing(of_item(item.id, price=eur(2000)), metadata=seller.auth)
    # The item changes hands outside this listing (as trading alone may move it).
    catalog = catalog_service_pb2_grpc.CatalogServiceStub(stack.channel("catalog", as_service="trading"))
    elsewhere = await new_account(stack)
    await catalog.TransferItem(
        catalog_service_pb2.TransferItemRequest(
            request_id=f"elsewhere-{item.id}", item_id=item.id, from_owner_id=seller.id, to_owner_id=elsewhere.id
        )
    )
    with pytest.raises(grpc.aio.AioRpcError) as refused:
        await trading.BuyListing(buy(listing.id), metadata=buyer.auth)
    assert error_reason(refused.value) == "ITEM_NOT_TRANSFERABLE"
    assert (await trading.GetListing(get(listing.id), metadata=seller.auth)).status == T.LISTING_STATUS_CANCELLED
    [failed] = (await trading.ListMyTransactions(pb.ListMyTransactionsRequest(), metadata=buyer.auth)).transactions
    assert failed.status == T.TRANSACTION_STATUS_FAILED and failed.HasField("settle_time") and failed.settle_posting_id
    assert await balances(stack, buyer, "EUR") == (5000, 0)
    assert await owner_of(stack, item.id) == elsewhere.id
