"""Wallets through the gateway, and the escrow calls trading makes over gRPC, with the ledger checked after each test."""

import asyncio
import uuid

import grpc
import pytest

from marketplace.accounts.v1 import accounts_service_pb2 as pb
from marketplace.accounts.v1 import accounts_service_pb2_grpc
from marketplace.common.v1 import money_pb2
from testkit.accounts import ledger_violations
from testkit.api import deposit, signed_up, violations, wallet
from testkit.grpc import error_reason


@pytest.fixture(autouse=True)
async def ledger_invariants(stack):
    """After every test here (each moves money): per currency the entries sum to zero, every posting
    balances, every balance is the sum of its entries, and only the outside world's account is negative."""
    yield
    assert await ledger_violations(stack) == {}


@pytest.fixture
def escrow(stack):
    """The accounts service as trading calls it (internal methods have no HTTP route)."""
    return accounts_service_pb2_grpc.AccountsServiceStub(stack.channel("accounts", as_service="trading"))


def usd(amount_minor: int) -> money_pb2.Money:
    return money_pb2.Money(currency="USD", amount_minor=amount_minor)


async def test_a_deposit_shows_in_the_wallet_and_a_repeated_request_id_deposits_once(api):
    me = await signed_up(api)
    assert (await api.get("/v1/wallets/me", headers=me.headers)).json().get("wallets", []) == []
    first = await deposit(api, me, 5000, request_id="dep-1")
    assert first["balance"] == {"currency": "USD", "amount_minor": "5000"}
    assert first["held"] == {"currency": "USD", "amount_minor": "0"}
    await deposit(api, me, 5000, request_id="dep-1")
    assert await wallet(api, me) == (5000, 0)


async def test_a_bad_deposit_is_400_and_wallets_need_a_token(api):
    me = await signed_up(api)
    response = await api.post(
        "/v1/wallets/me:deposit", json={"amount": {"currency": "usd", "amount_minor": -1}}, headers=me.headers
    )
    assert response.status_code == 400
    assert violations(response) == {"amount.currency", "amount.amount_minor"}
    assert (
        await api.post("/v1/wallets/me:deposit", json={"amount": {"currency": "USD", "amount_minor": 1}})
    ).status_code == 401
    assert (await api.get("/v1/wallets/me")).status_code == 401
    assert (await api.get("/v1/wallets/me/entries")).status_code == 401


async def test_the_entries_come_newest_first_in_keyset_pages(api, escrow):
    me = await signed_up(api)
    await deposit(api, me, 1000)
    for amount in (100, 200):
        await escrow.HoldFunds(pb.HoldFundsRequest(request_id=uuid.uuid4().hex, user_id=me.id, amount=usd(amount)))
    pages, token = [], ""
    while True:
        query = {"page_size": 2, **({"page_token": token} if token else {})}
        response = await api.get("/v1/wallets/me/entries", params=query, headers=me.headers)
        assert response.status_code == 200, response.text
        pages.append(response.json().get("entries", []))
        token = response.json().get("next_page_token", "")
        if not token:
            break
    entries = [entry for page in pages for entry in page]
    assert [len(page) for page in pages] == [2, 2, 1]
    assert [(e["kind"], e["account"], int(e["amount"]["amount_minor"])) for e in entries][-1] == (
        "POSTING_KIND_DEPOSIT",
        "LEDGER_ACCOUNT_AVAILABLE",
        1000,
    )
    assert sum(int(e["amount"]["amount_minor"]) for e in entries if e["account"] == "LEDGER_ACCOUNT_HELD") == 300
    assert (await api.get("/v1/wallets/me/entries?page_token=garbage", headers=me.headers)).status_code == 400


async def test_200_concurrent_holds_of_1_00_on_50_00_let_exactly_50_through(api, escrow):
    buyer = await signed_up(api)
    await deposit(api, buyer, 5000)
    results = await asyncio.gather(
        *(
            escrow.HoldFunds(pb.HoldFundsRequest(request_id=uuid.uuid4().hex, user_id=buyer.id, amount=usd(100)))
            for _ in range(200)
        ),
        return_exceptions=True,
    )
    held = [result for result in results if isinstance(result, pb.HoldFundsResponse)]
    refused = [result for result in results if isinstance(result, grpc.aio.AioRpcError)]
    assert (len(held), len(refused)) == (50, 150)
    assert {error_reason(error) for error in refused} == {"INSUFFICIENT_FUNDS"}
    assert await wallet(api, buyer) == (0, 5000)


async def test_the_same_hold_retried_ten_times_with_its_key_has_one_effect(api, escrow):
    buyer = await signed_up(api)
    await deposit(api, buyer, 5000)
    request = pb.HoldFundsRequest(request_id=f"{uuid.uuid4()}:hold", user_id=buyer.id, amount=usd(100))
    replies = await asyncio.gather(*(escrow.HoldFunds(request) for _ in range(10)))
    assert len({(reply.hold.id, reply.posting.id) for reply in replies}) == 1
    assert await wallet(api, buyer) == (4900, 100)
    entries = (await api.get("/v1/wallets/me/entries", headers=buyer.headers)).json()["entries"]
    assert sum(1 for e in entries if e["kind"] == "POSTING_KIND_HOLD") == 2  # one posting: two entries


async def test_a_purchase_holds_captures_with_a_fee_and_a_refund_releases(api, escrow):
    buyer, seller = await signed_up(api), await signed_up(api)
    await deposit(api, buyer, 10000)
    bought, refunded = str(uuid.uuid4()), str(uuid.uuid4())
    purchase = await escrow.HoldFunds(
        pb.HoldFundsRequest(request_id=f"{bought}:hold", user_id=buyer.id, amount=usd(8900), transaction_id=bought)
    )
    refund = await escrow.HoldFunds(
        pb.HoldFundsRequest(request_id=f"{refunded}:hold", user_id=buyer.id, amount=usd(1000), transaction_id=refunded)
    )
    assert await wallet(api, buyer) == (100, 9900)
    await escrow.CaptureFunds(
        pb.CaptureFundsRequest(
            request_id=f"{bought}:capture", hold_id=purchase.hold.id, seller_id=seller.id, fee=usd(445)
        )
    )
    await escrow.ReleaseFunds(pb.ReleaseFundsRequest(request_id=f"{refunded}:release", hold_id=refund.hold.id))
    assert await wallet(api, buyer) == (1100, 0)
    assert await wallet(api, seller) == (8455, 0)
    [entry] = (await api.get("/v1/wallets/me/entries", headers=seller.headers)).json()["entries"]
    assert (entry["kind"], entry["transaction_id"], entry["amount"]["amount_minor"]) == (
        "POSTING_KIND_CAPTURE",
        bought,
        "8455",
    )


async def test_one_purchases_capture_cannot_take_another_purchases_escrow(api, escrow):
    buyer, seller = await signed_up(api), await signed_up(api)
    await deposit(api, buyer, 5000)
    first, second = [
        await escrow.HoldFunds(pb.HoldFundsRequest(request_id=uuid.uuid4().hex, user_id=buyer.id, amount=usd(amount)))
        for amount in (1000, 4000)
    ]
    with pytest.raises(grpc.aio.AioRpcError) as err:
        await escrow.CaptureFunds(
            pb.CaptureFundsRequest(
                request_id=uuid.uuid4().hex, hold_id=first.hold.id, seller_id=seller.id, amount=usd(5000)
            )
        )
    assert error_reason(err.value) == "AMOUNT_EXCEEDS_HOLD"
    assert await wallet(api, buyer) == (0, 5000)
    assert second.hold.remaining == usd(4000)
