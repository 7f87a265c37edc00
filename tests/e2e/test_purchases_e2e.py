"""Purchases and transactions through the gateway over HTTP: buy now and accepted offers, reading and
listing transactions, the buyer's confirmation, the seller's or an admin's refund and the completion that
comes by itself, with the wallets and the ledger checked after each."""

import asyncio
import uuid
from datetime import datetime, timedelta

import pytest

from servicekit.pagination import encode_token
from testkit.accounts import ledger_violations, platform_fees_of
from testkit.api import detail, funded, ok, reason, signed_up, violations, wallet
from testkit.databases import execute
from testkit.stack import replica
from testkit.waiting import eventually

PAID = "TRANSACTION_STATUS_PAID"
COMPLETED = "TRANSACTION_STATUS_COMPLETED"
REFUNDED = "TRANSACTION_STATUS_REFUNDED"
FAILED = "TRANSACTION_STATUS_FAILED"


def usd(amount_minor: int) -> dict:
    return {"currency": "USD", "amount_minor": amount_minor}


def money(amount_minor: int) -> dict:
    """Money as the gateway answers it: int64 amounts are strings in proto JSON."""
    return {"currency": "USD", "amount_minor": str(amount_minor)}


def time_of(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


async def physical_listing(api, seller, shoes, price: int = 4500, draft: bool = False) -> dict:
    """A free-form listing of sneakers: bought, its funds wait in escrow for the buyer's confirmation."""
    body = {"title": "Air Max 90", "category_id": shoes["id"], "attributes": {"size": 44}, "price": usd(price)}
    params = {"draft": "true"} if draft else {}
    return ok(await api.post("/v1/listings", params=params, json=body, headers=seller.headers))


async def item_listing(api, seller, things, price: int = 1999) -> tuple[dict, dict]:
    """A game item of the seller's and its listing: bought, it changes hands at once."""
    body = {"category_id": things["id"], "name": "Courier of the Dunes"}
    item = ok(await api.post("/v1/items", json=body, headers=seller.headers))
    listing = ok(
        await api.post("/v1/listings", json={"item_id": item["id"], "price": usd(price)}, headers=seller.headers)
    )
    return item, listing


async def buy(api, person, listing: dict, body: dict | None = None, headers: dict | None = None):
    path = f"/v1/listings/{listing['id']}:buy"
    return await api.post(path, json=body or {}, headers=person.headers | (headers or {}))


async def bought(api, person, listing: dict) -> dict:
    return ok(await buy(api, person, listing))


async def listing_status(api, listing: dict) -> str:
    return ok(await api.get(f"/v1/listings/{listing['id']}"))["status"]


async def transaction(api, person, transaction_id: str) -> dict:
    return ok(await api.get(f"/v1/transactions/{transaction_id}", headers=person.headers))


async def answer(api, headers: dict, transaction: dict, verb: str, body: dict | None = None):
    """`:confirm` or `:refund` of the transaction, as whoever the headers say."""
    return await api.post(f"/v1/transactions/{transaction['id']}:{verb}", json=body or {}, headers=headers)


async def my_transactions(api, person, **params) -> dict:
    return ok(await api.get("/v1/users/me/transactions", params=params, headers=person.headers))


def ids(page: dict) -> list[str]:
    return [t["id"] for t in page.get("transactions", [])]


async def offer(api, listing: dict, person, amount: int) -> dict:
    path = f"/v1/listings/{listing['id']}/offers"
    return ok(await api.post(path, json={"amount": usd(amount)}, headers=person.headers))


@pytest.fixture(autouse=True)
async def ledger_balances(stack):
    """Every test here moves money: afterwards the ledger still balances."""
    yield
    assert await ledger_violations(stack) == {}


@pytest.fixture
async def seller(api):
    return await signed_up(api)


@pytest.fixture
async def buyer(api):
    return await funded(api, 10_000)


@pytest.fixture
async def paid(api, seller, buyer, shoes) -> dict:
    """A physical purchase at 45.00 whose funds are held: the buyer has 55.00 left and 45.00 held."""
    return await bought(api, buyer, await physical_listing(api, seller, shoes))


@pytest.fixture
async def trader(api, shoes, things) -> tuple:
    """Someone who bought a pair of shoes (paid), then a game item (completed), then sold shoes (paid):
    the person and the three transactions, oldest first."""
    me = await funded(api, 100_000)
    others = [await funded(api, 100_000) for _ in range(2)]
    shoes_bought = await bought(api, me, await physical_listing(api, others[0], shoes))
    item_bought = await bought(api, me, (await item_listing(api, others[1], things))[1])
    shoes_sold = await bought(api, others[0], await physical_listing(api, me, shoes))
    return me, shoes_bought, item_bought, shoes_sold


async def test_buying_a_game_item_gives_it_to_the_buyer_and_pays_the_seller_less_the_fee_at_once(
    api, stack, seller, buyer, things
):
    item, listing = await item_listing(api, seller, things, price=1999)
    done = await bought(api, buyer, listing)
    assert done["status"] == COMPLETED and done["status_reason"] == ""
    assert (done["listing_id"], done["item_id"], done["buyer_id"], done["seller_id"]) == (
        listing["id"],
        item["id"],
        buyer.id,
        seller.id,
    )
    # 5% of 19.99 is 0.9995: rounded half up to a whole cent.
    assert (done["amount"], done["platform_fee"], done["seller_payout"]) == (money(1999), money(100), money(1899))
    assert done["platform_fee_bps"] == 500 and done["offer_id"] == ""
    for step in ("create_time", "paid_time", "item_transfer_time", "close_time", "settle_time"):
        assert step in done, step
    assert done["hold_id"] and done["hold_posting_id"] and done["settle_posting_id"]
    assert ok(await api.get(f"/v1/items/{item['id']}"))["owner_id"] == buyer.id
    assert await listing_status(api, listing) == "LISTING_STATUS_SOLD"
    assert await wallet(api, buyer) == (10_000 - 1999, 0)
    assert await wallet(api, seller) == (1899, 0)
    assert await platform_fees_of(stack, done["settle_posting_id"]) == 100


async def test_buying_a_physical_item_holds_the_price_in_escrow_and_reserves_the_listing(api, seller, buyer, shoes):
    listing = await physical_listing(api, seller, shoes, price=4500)
    held = await bought(api, buyer, listing)
    assert held["status"] == PAID and held["hold_id"] and held["hold_posting_id"]
    assert (held["amount"], held["platform_fee"], held["seller_payout"]) == (money(4500), money(225), money(4275))
    assert time_of(held["auto_complete_time"]) - time_of(held["paid_time"]) == timedelta(days=14)
    assert held["item_id"] == held["settle_posting_id"] == ""
    for unset in ("close_time", "settle_time", "item_transfer_time"):
        assert unset not in held, unset
    assert await listing_status(api, listing) == "LISTING_STATUS_RESERVED"
    assert await wallet(api, buyer) == (5500, 4500)
    assert await wallet(api, seller) == (0, 0)


async def test_an_idempotency_key_repeated_answers_the_same_purchase_and_holds_once(api, seller, buyer, shoes):
    listing = await physical_listing(api, seller, shoes)
    key = {"Idempotency-Key": uuid.uuid4().hex}
    answers = await asyncio.gather(*(buy(api, buyer, listing, headers=key) for _ in range(4)))
    assert {response.status_code for response in answers} == {200}, [response.text for response in answers]
    assert len({response.json()["id"] for response in answers}) == 1
    assert {response.json()["status"] for response in answers} == {PAID}
    assert await wallet(api, buyer) == (5500, 4500)
    assert ids(await my_transactions(api, buyer)) == [answers[0].json()["id"]]


async def test_a_request_id_repeated_answers_the_same_purchase_and_another_listing_may_not_reuse_it(
    api, seller, buyer, shoes
):
    listing, other = await physical_listing(api, seller, shoes), await physical_listing(api, seller, shoes, 100)
    body = {"request_id": str(uuid.uuid4())}
    first = ok(await buy(api, buyer, listing, body))
    assert ok(await buy(api, buyer, listing, body)) == first
    reused = await buy(api, buyer, other, body)
    assert reused.status_code == 409 and reason(reused) == "IDEMPOTENCY_KEY_REUSED"
    assert await listing_status(api, other) == "LISTING_STATUS_ACTIVE"
    assert await wallet(api, buyer) == (5500, 4500)


async def test_a_buyer_short_of_funds_gets_409_and_the_listing_stays_on_sale(api, seller, shoes):
    poor = await funded(api, 100)
    listing = await physical_listing(api, seller, shoes, price=4500)
    key = {"Idempotency-Key": uuid.uuid4().hex}
    for _ in range(2):
        short = await buy(api, poor, listing, headers=key)
        assert short.status_code == 409 and reason(short) == "INSUFFICIENT_FUNDS", short.text
    assert await listing_status(api, listing) == "LISTING_STATUS_ACTIVE"
    assert await wallet(api, poor) == (100, 0)
    [failed] = (await my_transactions(api, poor))["transactions"]
    assert (failed["status"], failed["failure_reason"]) == (FAILED, "INSUFFICIENT_FUNDS")
    assert "settle_time" in failed and failed["hold_id"] == ""


async def test_buying_ones_own_listing_is_a_400_naming_listing_id(api, shoes):
    seller = await funded(api, 10_000)
    listing = await physical_listing(api, seller, shoes)
    own = await buy(api, seller, listing)
    assert own.status_code == 400 and violations(own) == {"listing_id"}
    assert await listing_status(api, listing) == "LISTING_STATUS_ACTIVE"
    assert await wallet(api, seller) == (10_000, 0)


async def test_a_listing_others_cannot_see_is_404_to_a_buyer(api, seller, buyer, shoes):
    draft = await physical_listing(api, seller, shoes, draft=True)
    cancelled = await physical_listing(api, seller, shoes)
    ok(await api.post(f"/v1/listings/{cancelled['id']}:cancel", headers=seller.headers))
    for hidden in (draft, cancelled, {"id": str(uuid.uuid4())}):
        response = await buy(api, buyer, hidden)
        assert response.status_code == 404, response.text
    assert await wallet(api, buyer) == (10_000, 0)


async def test_a_reserved_or_sold_listing_is_409_listing_not_active(api, seller, buyer, shoes, things):
    reserved = await physical_listing(api, seller, shoes)
    await bought(api, buyer, reserved)
    _, sold = await item_listing(api, seller, things)
    await bought(api, buyer, sold)
    late = await funded(api, 10_000)
    for listing, status in ((reserved, "reserved"), (sold, "sold")):
        response = await buy(api, late, listing)
        assert response.status_code == 409 and reason(response) == "LISTING_NOT_ACTIVE", response.text
        assert detail(response, "ErrorInfo")["metadata"]["status"] == status
    assert await wallet(api, late) == (10_000, 0)


async def test_buying_needs_a_token_and_a_well_formed_listing_id(api, seller, buyer, shoes):
    listing = await physical_listing(api, seller, shoes)
    anonymous = await api.post(f"/v1/listings/{listing['id']}:buy", json={})
    assert anonymous.status_code == 401
    malformed = await buy(api, buyer, {"id": "not-a-listing"})
    assert malformed.status_code == 400 and violations(malformed) == {"listing_id"}
    assert await listing_status(api, listing) == "LISTING_STATUS_ACTIVE"


async def test_of_fifty_buyers_at_once_exactly_one_buys_and_no_loser_has_a_cent_held(api, stack, seller, shoes):
    buyers = []
    for _ in range(5):
        # Ten sign-ups at a time: fifty password hashes at once outlast the client's timeout on a busy machine.
        buyers += await asyncio.gather(*(funded(api, 5000) for _ in range(10)))
    listing = await physical_listing(api, seller, shoes, price=4500)
    answers = await asyncio.gather(*(buy(api, person, listing) for person in buyers))
    codes = sorted(response.status_code for response in answers)
    assert codes == [200] + [409] * 49
    assert {reason(response) for response in answers if response.status_code == 409} == {"LISTING_NOT_ACTIVE"}
    [winner] = [person for person, response in zip(buyers, answers, strict=True) if response.status_code == 200]
    wallets = {person.id: await wallet(api, person) for person in buyers}
    assert wallets.pop(winner.id) == (500, 4500)
    assert set(wallets.values()) == {(5000, 0)}
    assert await ledger_violations(stack) == {}


async def test_accepting_an_offer_buys_the_listing_at_the_offers_amount(api, seller, buyer, shoes):
    listing = await physical_listing(api, seller, shoes, price=9000)
    made = await offer(api, listing, buyer, 8000)
    accepted = ok(await api.post(f"/v1/offers/{made['id']}:accept", json={}, headers=seller.headers))
    assert accepted["offer"]["status"] == "OFFER_STATUS_ACCEPTED"
    purchase = accepted["transaction"]
    assert purchase["status"] == PAID and purchase["offer_id"] == made["id"] and purchase["buyer_id"] == buyer.id
    assert (purchase["amount"], purchase["platform_fee"], purchase["seller_payout"]) == (
        money(8000),
        money(400),
        money(7600),
    )
    assert await transaction(api, buyer, purchase["id"]) == purchase
    assert await listing_status(api, listing) == "LISTING_STATUS_RESERVED"
    assert await wallet(api, buyer) == (2000, 8000)


async def test_accepting_the_offer_of_a_buyer_short_of_funds_is_409_and_voids_it(api, seller, buyer, shoes):
    listing = await physical_listing(api, seller, shoes, price=9000)
    poor = await funded(api, 100)
    unpaid, payable = await offer(api, listing, poor, 8000), await offer(api, listing, buyer, 7000)
    short = await api.post(f"/v1/offers/{unpaid['id']}:accept", json={}, headers=seller.headers)
    assert short.status_code == 409 and reason(short) == "INSUFFICIENT_FUNDS", short.text
    assert ok(await api.get(f"/v1/offers/{unpaid['id']}", headers=poor.headers))["status"] == "OFFER_STATUS_VOIDED"
    assert await listing_status(api, listing) == "LISTING_STATUS_ACTIVE"
    assert await wallet(api, poor) == (100, 0)
    accepted = ok(await api.post(f"/v1/offers/{payable['id']}:accept", json={}, headers=seller.headers))
    assert accepted["transaction"]["status"] == PAID


async def test_of_two_offers_accepted_at_once_on_one_listing_exactly_one_is(api, seller, shoes):
    listing = await physical_listing(api, seller, shoes, price=9000)
    buyers = [await funded(api, 10_000) for _ in range(2)]
    offers = [await offer(api, listing, person, 8000) for person in buyers]
    answers = await asyncio.gather(
        *(api.post(f"/v1/offers/{made['id']}:accept", json={}, headers=seller.headers) for made in offers)
    )
    assert sorted(response.status_code for response in answers) == [200, 409]
    [lost] = [response for response in answers if response.status_code == 409]
    assert reason(lost) == "LISTING_NOT_ACTIVE"
    held = sorted([await wallet(api, person) for person in buyers])
    assert held == [(2000, 8000), (10_000, 0)]
    statuses = sorted([ok(await api.get(f"/v1/offers/{o['id']}", headers=seller.headers))["status"] for o in offers])
    assert statuses == ["OFFER_STATUS_ACCEPTED", "OFFER_STATUS_PENDING"]


async def test_a_transaction_is_read_by_its_buyer_its_seller_and_an_admin_alone(
    api, seller, buyer, admin_headers, paid
):
    for headers in (buyer.headers, seller.headers, admin_headers):
        read = ok(await api.get(f"/v1/transactions/{paid['id']}", headers=headers))
        assert read["id"] == paid["id"] and read["status"] == PAID
    stranger = await signed_up(api)
    hidden = await api.get(f"/v1/transactions/{paid['id']}", headers=stranger.headers)
    assert hidden.status_code == 404 and reason(hidden) == "TRANSACTION_NOT_FOUND"
    unknown = await api.get(f"/v1/transactions/{uuid.uuid4()}", headers=buyer.headers)
    assert unknown.status_code == 404 and reason(unknown) == "TRANSACTION_NOT_FOUND"
    assert (await api.get(f"/v1/transactions/{paid['id']}")).status_code == 401
    malformed = await api.get("/v1/transactions/not-a-transaction", headers=buyer.headers)
    assert malformed.status_code == 400 and violations(malformed) == {"transaction_id"}


async def test_my_transactions_are_listed_newest_first_by_role_and_status(api, trader):
    me, shoes_bought, item_bought, shoes_sold = trader
    everything = [shoes_sold["id"], item_bought["id"], shoes_bought["id"]]
    assert ids(await my_transactions(api, me)) == everything
    assert ids(await my_transactions(api, me, role="TRANSACTION_ROLE_BUYER")) == everything[1:]
    assert ids(await my_transactions(api, me, role="TRANSACTION_ROLE_SELLER")) == [shoes_sold["id"]]
    assert ids(await my_transactions(api, me, status=PAID)) == [shoes_sold["id"], shoes_bought["id"]]
    assert ids(await my_transactions(api, me, status=COMPLETED)) == [item_bought["id"]]
    assert ids(await my_transactions(api, me, role="TRANSACTION_ROLE_SELLER", status=COMPLETED)) == []
    assert ids(await my_transactions(api, await signed_up(api))) == []


async def test_my_transactions_come_in_keyset_pages_without_repeats_or_gaps(api, trader):
    me, shoes_bought, item_bought, shoes_sold = trader
    seen, token, pages = [], "", 0
    while True:
        page = await my_transactions(api, me, page_size=1, **({"page_token": token} if token else {}))
        seen += ids(page)
        pages += 1
        token = page.get("next_page_token", "")
        if not token:
            break
    assert seen == [shoes_sold["id"], item_bought["id"], shoes_bought["id"]] and pages == 3
    buyer_pages = await my_transactions(api, me, page_size=1, role="TRANSACTION_ROLE_BUYER")
    rest = await my_transactions(
        api, me, page_size=1, role="TRANSACTION_ROLE_BUYER", page_token=buyer_pages["next_page_token"]
    )
    assert ids(buyer_pages) + ids(rest) == [item_bought["id"], shoes_bought["id"]]
    assert rest.get("next_page_token", "") == ""


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"page_token": "not-a-token"}, "page_token"),
        ({"page_token": encode_token(("Dota 2", "not-a-time"))}, "page_token"),
        ({"role": "TRANSACTION_ROLE_BROKER"}, "role"),
        ({"role": "7"}, "role"),
        ({"status": "TRANSACTION_STATUS_LOST"}, "status"),
        ({"status": "42"}, "status"),
        ({"page_size": "-1"}, "page_size"),
    ],
)
async def test_a_bad_list_request_is_a_400_naming_the_field(api, buyer, params, field):
    response = await api.get("/v1/users/me/transactions", params=params, headers=buyer.headers)
    assert response.status_code == 400 and field in violations(response), response.text


async def test_listing_my_transactions_needs_a_token(api):
    assert (await api.get("/v1/users/me/transactions")).status_code == 401


async def test_the_buyer_confirms_and_the_seller_is_paid_less_the_fee(api, stack, seller, buyer, paid):
    done = ok(await answer(api, buyer.headers, paid, "confirm"))
    assert done["status"] == COMPLETED and "close_time" in done and "settle_time" in done
    assert await transaction(api, seller, paid["id"]) == done
    assert await listing_status(api, {"id": paid["listing_id"]}) == "LISTING_STATUS_SOLD"
    assert await wallet(api, buyer) == (5500, 0)
    assert await wallet(api, seller) == (4275, 0)
    assert await platform_fees_of(stack, done["settle_posting_id"]) == 225


async def test_only_the_buyer_confirms(api, seller, buyer, admin_headers, paid):
    by_seller = await answer(api, seller.headers, paid, "confirm")
    assert by_seller.status_code == 403 and reason(by_seller) == "NOT_TRANSACTION_PARTY"
    by_admin = await answer(api, admin_headers, paid, "confirm")
    assert by_admin.status_code == 403 and reason(by_admin) == "NOT_TRANSACTION_PARTY"
    stranger = await signed_up(api)
    hidden = await answer(api, stranger.headers, paid, "confirm")
    assert hidden.status_code == 404 and reason(hidden) == "TRANSACTION_NOT_FOUND"
    assert (await api.post(f"/v1/transactions/{paid['id']}:confirm", json={})).status_code == 401
    assert (await transaction(api, buyer, paid["id"]))["status"] == PAID
    assert await wallet(api, buyer) == (5500, 4500)
    assert await wallet(api, seller) == (0, 0)


async def test_a_confirmation_repeated_with_its_key_answers_again_and_without_it_is_409(api, seller, buyer, paid):
    key = {"Idempotency-Key": uuid.uuid4().hex}
    first = ok(await answer(api, buyer.headers | key, paid, "confirm"))
    assert ok(await answer(api, buyer.headers | key, paid, "confirm")) == first
    again = await answer(api, buyer.headers, paid, "confirm")
    assert again.status_code == 409 and reason(again) == "ILLEGAL_STATUS_TRANSITION"
    assert detail(again, "ErrorInfo")["metadata"] == {"status": "completed", "move": "complete"}
    assert await wallet(api, buyer) == (5500, 0)
    assert await wallet(api, seller) == (4275, 0)


async def test_of_confirmations_and_refunds_at_once_exactly_one_goes_through(api, seller, buyer, paid):
    answers = await asyncio.gather(
        *(answer(api, buyer.headers, paid, "confirm") for _ in range(4)),
        *(answer(api, seller.headers, paid, "refund") for _ in range(4)),
    )
    [won] = [response.json() for response in answers if response.status_code == 200]
    lost = [response for response in answers if response.status_code != 200]
    assert {(response.status_code, reason(response)) for response in lost} == {(409, "ILLEGAL_STATUS_TRANSITION")}
    if won["status"] == COMPLETED:
        assert (await wallet(api, buyer), await wallet(api, seller)) == ((5500, 0), (4275, 0))
    else:
        assert won["status"] == REFUNDED
        assert (await wallet(api, buyer), await wallet(api, seller)) == ((10_000, 0), (0, 0))


async def test_a_game_items_purchase_is_neither_confirmed_nor_refunded(api, seller, buyer, things):
    _, listing = await item_listing(api, seller, things)
    done = await bought(api, buyer, listing)
    for headers, verb in ((buyer.headers, "confirm"), (seller.headers, "refund")):
        refused = await answer(api, headers, done, verb)
        assert refused.status_code == 409 and reason(refused) == "GAME_ITEM_COMPLETES_ITSELF", verb
    assert await wallet(api, buyer) == (10_000 - 1999, 0)
    assert await wallet(api, seller) == (1899, 0)


async def test_the_seller_refunds_with_a_reason_and_the_listing_is_on_sale_again(api, seller, buyer, paid):
    refunded = ok(await answer(api, seller.headers, paid, "refund", {"reason": "Sold out, sorry"}))
    assert refunded["status"] == REFUNDED and refunded["status_reason"] == "Sold out, sorry"
    assert "close_time" in refunded and "settle_time" in refunded and refunded["settle_posting_id"]
    assert await transaction(api, buyer, paid["id"]) == refunded
    assert await wallet(api, buyer) == (10_000, 0)
    assert await wallet(api, seller) == (0, 0)
    listing = {"id": paid["listing_id"]}
    assert await listing_status(api, listing) == "LISTING_STATUS_ACTIVE"
    assert (await bought(api, await funded(api, 5000), listing))["status"] == PAID


async def test_an_admin_refunds_and_the_buyer_may_not(api, seller, buyer, admin_headers, paid):
    by_buyer = await answer(api, buyer.headers, paid, "refund", {"reason": "changed my mind"})
    assert by_buyer.status_code == 403 and reason(by_buyer) == "NOT_TRANSACTION_PARTY"
    stranger = await signed_up(api)
    hidden = await answer(api, stranger.headers, paid, "refund")
    assert hidden.status_code == 404 and reason(hidden) == "TRANSACTION_NOT_FOUND"
    assert (await api.post(f"/v1/transactions/{paid['id']}:refund", json={})).status_code == 401
    assert await wallet(api, buyer) == (5500, 4500)
    refunded = ok(await answer(api, admin_headers, paid, "refund", {"reason": "counterfeit"}))
    assert (refunded["status"], refunded["status_reason"]) == (REFUNDED, "counterfeit")
    assert await wallet(api, buyer) == (10_000, 0)
    assert await wallet(api, seller) == (0, 0)


async def test_a_refund_reason_longer_than_1000_characters_is_a_400(api, seller, buyer, paid):
    too_long = await answer(api, seller.headers, paid, "refund", {"reason": "x" * 1001})
    assert too_long.status_code == 400 and violations(too_long) == {"reason"}
    assert (await transaction(api, buyer, paid["id"]))["status"] == PAID
    assert await wallet(api, buyer) == (5500, 4500)
    longest = ok(await answer(api, seller.headers, paid, "refund", {"reason": "x" * 1000}))
    assert longest["status"] == REFUNDED and len(longest["status_reason"]) == 1000


async def test_a_completed_purchase_is_not_refunded(api, seller, buyer, admin_headers, paid):
    ok(await answer(api, buyer.headers, paid, "confirm"))
    for headers in (seller.headers, admin_headers):
        refused = await answer(api, headers, paid, "refund", {"reason": "too late"})
        assert refused.status_code == 409 and reason(refused) == "ILLEGAL_STATUS_TRANSITION"
        assert detail(refused, "ErrorInfo")["metadata"] == {"status": "completed", "move": "refund"}
    assert await wallet(api, buyer) == (5500, 0)
    assert await wallet(api, seller) == (4275, 0)


async def test_a_refunded_purchase_is_neither_confirmed_nor_refunded_again(api, seller, buyer, paid):
    ok(await answer(api, seller.headers, paid, "refund"))
    for headers, verb in ((buyer.headers, "confirm"), (seller.headers, "refund")):
        refused = await answer(api, headers, paid, verb)
        assert refused.status_code == 409 and reason(refused) == "ILLEGAL_STATUS_TRANSITION", verb
        assert detail(refused, "ErrorInfo")["metadata"]["status"] == "refunded"
    assert await wallet(api, buyer) == (10_000, 0)
    assert await wallet(api, seller) == (0, 0)


async def test_confirm_and_refund_need_a_well_formed_known_transaction(api, buyer):
    for verb in ("confirm", "refund"):
        malformed = await answer(api, buyer.headers, {"id": "not-a-transaction"}, verb)
        assert malformed.status_code == 400 and violations(malformed) == {"transaction_id"}, verb
        unknown = await answer(api, buyer.headers, {"id": str(uuid.uuid4())}, verb)
        assert unknown.status_code == 404 and reason(unknown) == "TRANSACTION_NOT_FOUND", verb


async def test_a_paid_purchase_past_its_auto_complete_time_completes_by_itself(api, stack, seller, buyer, shoes):
    overdue = await bought(api, buyer, await physical_listing(api, seller, shoes))
    waiting = await bought(api, buyer, await physical_listing(api, seller, shoes, price=1000))
    await execute(
        stack.database_urls["trading"],
        "UPDATE transactions SET auto_complete_at = now() - interval '1 second' WHERE id = $1",
        overdue["id"],
    )
    async with replica(stack, "trading", reconcile_seconds=0.2, saga_grace_seconds=0.5):

        async def settled() -> tuple[str, bool]:
            read = await transaction(api, buyer, overdue["id"])
            return read["status"], "settle_time" in read

        await eventually(settled, (COMPLETED, True), seconds=10)
    completed = await transaction(api, seller, overdue["id"])
    assert completed["status_reason"] == "not confirmed by the buyer in time" and "close_time" in completed
    assert await listing_status(api, {"id": overdue["listing_id"]}) == "LISTING_STATUS_SOLD"
    assert await wallet(api, seller) == (4275, 0)
    assert await wallet(api, buyer) == (10_000 - 4500 - 1000, 1000)
    assert (await transaction(api, buyer, waiting["id"]))["status"] == PAID
