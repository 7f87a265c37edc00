"""Offers through the gateway over HTTP: make, read, list, accept, reject, counter, cancel; who may,
what is refused, expiry, the flag, and what a change of the listing does to pending offers."""

import asyncio
import uuid

import pytest

from marketplace.trading.v1 import trading_service_pb2_grpc
from servicekit.auth import Role
from testkit.api import detail, funded, ok, reason, signed_up, violations
from testkit.databases import execute
from testkit.settings import reset_settings
from testkit.tokens import bearer as grpc_bearer
from testkit.tokens import mint
from testkit.waiting import eventually

PRICE = {"currency": "EUR", "amount_minor": 10000}


def eur(amount_minor: int) -> dict:
    return {"currency": "EUR", "amount_minor": amount_minor}


def answer(verb: str) -> dict:
    """The body of an answer to an offer: a counter names its amount, the others nothing."""
    return {"amount": eur(5000)} if verb == "counter" else {}


@pytest.fixture
async def seller(api):
    return await signed_up(api)


@pytest.fixture
async def buyer(api):
    return await funded(api, 100_000, "EUR")


@pytest.fixture
async def listing(api, seller, shoes) -> dict:
    body = {
        "title": "Air Max 90",
        "category_id": shoes["id"],
        "attributes": {"size": 44},
        "price": PRICE,
        "location": {"latitude": 52.52, "longitude": 13.405},
    }
    return ok(await api.post("/v1/listings", json=body, headers=seller.headers))


async def offer(api, listing: dict, person, amount: int = 8000, **fields) -> dict:
    body = {"amount": eur(amount), **fields}
    return ok(await api.post(f"/v1/listings/{listing['id']}/offers", json=body, headers=person.headers))


async def test_a_buyer_offers_below_the_price_and_both_parties_read_it(api, seller, buyer, listing):
    made = await offer(api, listing, buyer, message="Would you take 80?")
    assert made["status"] == "OFFER_STATUS_PENDING" and made["amount"] == {"currency": "EUR", "amount_minor": "8000"}
    assert (made["listing_id"], made["buyer_id"], made["seller_id"]) == (listing["id"], buyer.id, seller.id)
    assert made["proposer_id"] == buyer.id and made["message"] == "Would you take 80?"
    assert made["expire_time"] > made["create_time"]
    for person in (buyer, seller):
        assert ok(await api.get(f"/v1/offers/{made['id']}", headers=person.headers))["id"] == made["id"]
    stranger = await signed_up(api)
    hidden = await api.get(f"/v1/offers/{made['id']}", headers=stranger.headers)
    assert hidden.status_code == 404 and reason(hidden) == "OFFER_NOT_FOUND"


async def test_the_seller_lists_every_offer_and_a_buyer_their_own_in_pages(api, seller, buyer, listing):
    other = await signed_up(api)
    mine = [await offer(api, listing, buyer, amount) for amount in (7000, 7500)]
    theirs = await offer(api, listing, other, 9000)
    first = ok(await api.get(f"/v1/listings/{listing['id']}/offers?page_size=2", headers=seller.headers))
    rest = ok(
        await api.get(
            f"/v1/listings/{listing['id']}/offers",
            params={"page_size": 2, "page_token": first["next_page_token"]},
            headers=seller.headers,
        )
    )
    ids = [o["id"] for o in first["offers"] + rest["offers"]]
    assert ids == [theirs["id"], mine[1]["id"], mine[0]["id"]] and rest.get("next_page_token", "") == ""
    own = ok(await api.get(f"/v1/listings/{listing['id']}/offers", headers=buyer.headers))
    assert [o["id"] for o in own["offers"]] == [mine[1]["id"], mine[0]["id"]]
    pending = ok(
        await api.get(
            f"/v1/listings/{listing['id']}/offers", params={"status": "OFFER_STATUS_ACCEPTED"}, headers=seller.headers
        )
    )
    assert pending.get("offers", []) == []


async def test_accepting_reserves_the_listing_and_no_second_offer_is_accepted(api, seller, buyer, listing):
    first = await offer(api, listing, buyer, 9000)
    second = await offer(api, listing, await funded(api, 100_000, "EUR"), 9500)
    accepted = ok(await api.post(f"/v1/offers/{first['id']}:accept", json={}, headers=seller.headers))
    assert accepted["offer"]["status"] == "OFFER_STATUS_ACCEPTED"
    assert ok(await api.get(f"/v1/listings/{listing['id']}"))["status"] == "LISTING_STATUS_RESERVED"
    late = await api.post(f"/v1/offers/{second['id']}:accept", json={}, headers=seller.headers)
    assert late.status_code == 409 and reason(late) == "LISTING_NOT_ACTIVE"
    again = await api.post(f"/v1/offers/{first['id']}:accept", json={}, headers=seller.headers)
    assert again.status_code == 409 and reason(again) == "OFFER_NOT_PENDING"
    assert detail(again, "ErrorInfo")["metadata"] == {"status": "accepted", "move": "accept"}


async def test_a_counter_offer_continues_the_negotiation_and_the_buyer_accepts_it(api, seller, buyer, listing):
    first = await offer(api, listing, buyer, 7000)
    counter_body = {"amount": eur(9000), "message": "Meet me at 90", "request_id": str(uuid.uuid4())}
    counter = ok(await api.post(f"/v1/offers/{first['id']}:counter", json=counter_body, headers=seller.headers))
    assert ok(await api.post(f"/v1/offers/{first['id']}:counter", json=counter_body, headers=seller.headers)) == counter
    assert (counter["proposer_id"], counter["buyer_id"], counter["previous_offer_id"]) == (
        seller.id,
        buyer.id,
        first["id"],
    )
    assert counter["status"] == "OFFER_STATUS_PENDING"
    assert ok(await api.get(f"/v1/offers/{first['id']}", headers=buyer.headers))["status"] == "OFFER_STATUS_COUNTERED"
    own = await api.post(f"/v1/offers/{counter['id']}:accept", json={}, headers=seller.headers)
    assert own.status_code == 403 and reason(own) == "NOT_OFFER_RECIPIENT"
    accepted = ok(await api.post(f"/v1/offers/{counter['id']}:accept", json={}, headers=buyer.headers))
    assert accepted["offer"]["status"] == "OFFER_STATUS_ACCEPTED"
    assert ok(await api.get(f"/v1/listings/{listing['id']}"))["status"] == "LISTING_STATUS_RESERVED"


async def test_of_counters_to_one_offer_at_once_exactly_one_is_made(api, seller, buyer, listing):
    first = await offer(api, listing, buyer, 7000)
    answers = await asyncio.gather(
        *(
            api.post(f"/v1/offers/{first['id']}:counter", json={"amount": eur(9000)}, headers=seller.headers)
            for _ in range(4)
        )
    )
    assert sorted(response.status_code for response in answers) == [200, 409, 409, 409]
    assert {reason(response) for response in answers if response.status_code == 409} == {"OFFER_NOT_PENDING"}
    assert len(ok(await api.get(f"/v1/listings/{listing['id']}/offers", headers=seller.headers))["offers"]) == 2


async def test_reject_and_cancel_end_a_pending_offer_and_nothing_moves_an_ended_one(api, seller, buyer, listing):
    rejected = await offer(api, listing, buyer, 6000)
    cancelled = await offer(api, listing, buyer, 6500)
    body = {"reason": "too low"}
    assert ok(await api.post(f"/v1/offers/{rejected['id']}:reject", json=body, headers=seller.headers))["status"] == (
        "OFFER_STATUS_REJECTED"
    )
    assert ok(await api.post(f"/v1/offers/{cancelled['id']}:cancel", json={}, headers=buyer.headers))["status"] == (
        "OFFER_STATUS_CANCELLED"
    )
    for ended in (rejected, cancelled):
        for verb, who, extra in (
            ("accept", seller, {}),
            ("reject", seller, {}),
            ("counter", seller, {"amount": eur(9000)}),
            ("cancel", buyer, {}),
        ):
            refused = await api.post(f"/v1/offers/{ended['id']}:{verb}", json=extra, headers=who.headers)
            assert refused.status_code == 409 and reason(refused) == "OFFER_NOT_PENDING", (verb, refused.text)


async def test_only_the_parties_act_on_an_offer_each_in_their_role(api, seller, buyer, listing):
    made = await offer(api, listing, buyer)
    stranger = await signed_up(api)
    routes = [
        ("post", f"/v1/listings/{listing['id']}/offers", {"amount": eur(5000)}),
        ("get", f"/v1/listings/{listing['id']}/offers", None),
        ("get", f"/v1/offers/{made['id']}", None),
        *(
            ("post", f"/v1/offers/{made['id']}:{verb}", answer(verb))
            for verb in ("accept", "reject", "cancel", "counter")
        ),
    ]
    for method, path, body in routes:
        anonymous = await api.request(method, path, json=body)
        assert anonymous.status_code == 401, path
    for verb in ("accept", "reject", "cancel", "counter"):
        hidden = await api.post(f"/v1/offers/{made['id']}:{verb}", json=answer(verb), headers=stranger.headers)
        assert hidden.status_code == 404, verb
    for verb in ("accept", "reject", "counter"):
        by_buyer = await api.post(f"/v1/offers/{made['id']}:{verb}", json=answer(verb), headers=buyer.headers)
        assert by_buyer.status_code == 403 and reason(by_buyer) == "NOT_OFFER_RECIPIENT", verb
    by_seller = await api.post(f"/v1/offers/{made['id']}:cancel", json={}, headers=seller.headers)
    assert by_seller.status_code == 403 and reason(by_seller) == "NOT_OFFER_PROPOSER"
    assert ok(await api.get(f"/v1/offers/{made['id']}", headers=buyer.headers))["status"] == "OFFER_STATUS_PENDING"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"amount": {"currency": "USD", "amount_minor": 5000}}, "amount.currency"),
        ({"amount": eur(0)}, "amount.amount_minor"),
        ({"amount": eur(10000)}, "amount.amount_minor"),
        ({"amount": eur(5000), "message": "hi\u0000there"}, "message"),
        ({"amount": eur(5000), "message": "x" * 2001}, "message"),
        ({"amount": eur(5000), "expires_in": 604801}, "expires_in"),
        ({"amount": eur(5000), "expires_in": -1}, "expires_in"),
        ({}, "amount"),
    ],
)
async def test_a_bad_offer_is_a_400_naming_the_field_and_writes_nothing(api, seller, buyer, listing, body, field):
    refused = await api.post(f"/v1/listings/{listing['id']}/offers", json=body, headers=buyer.headers)
    assert refused.status_code == 400 and field in violations(refused), refused.text
    assert ok(await api.get(f"/v1/listings/{listing['id']}/offers", headers=seller.headers)).get("offers", []) == []


async def test_an_offer_on_ones_own_listing_is_a_400_and_on_one_not_active_a_409(api, stack, seller, buyer, listing):
    own = await api.post(f"/v1/listings/{listing['id']}/offers", json={"amount": eur(5000)}, headers=seller.headers)
    assert own.status_code == 400 and violations(own) == {"listing_id"}
    for status in ("reserved", "sold"):
        await execute(
            stack.database_urls["trading"], "UPDATE listings SET status = $2 WHERE id = $1", listing["id"], status
        )
        closed = await api.post(
            f"/v1/listings/{listing['id']}/offers", json={"amount": eur(5000)}, headers=buyer.headers
        )
        assert closed.status_code == 409 and reason(closed) == "LISTING_NOT_ACTIVE", status


async def test_an_offer_past_its_expiry_reads_expired_at_once_and_cannot_be_answered(
    api, stack, seller, buyer, listing
):
    made = await offer(api, listing, buyer, expires_in=600)
    assert (
        made["expire_time"]
        < ok(await api.get(f"/v1/offers/{(await offer(api, listing, buyer))['id']}", headers=buyer.headers))[
            "expire_time"
        ]
    )
    await execute(
        stack.database_urls["trading"],
        "UPDATE offers SET expire_at = now() - interval '1 second' WHERE id = $1",
        made["id"],
    )
    assert ok(await api.get(f"/v1/offers/{made['id']}", headers=buyer.headers))["status"] == "OFFER_STATUS_EXPIRED"
    expired = ok(
        await api.get(
            f"/v1/listings/{listing['id']}/offers", params={"status": "OFFER_STATUS_EXPIRED"}, headers=seller.headers
        )
    )
    assert [o["id"] for o in expired["offers"]] == [made["id"]]
    late = await api.post(f"/v1/offers/{made['id']}:accept", json={}, headers=seller.headers)
    assert late.status_code == 409 and reason(late) == "OFFER_NOT_PENDING"
    assert ok(await api.get(f"/v1/listings/{listing['id']}"))["status"] == "LISTING_STATUS_ACTIVE"


async def test_a_lower_price_expires_the_offers_it_reaches_and_a_cancel_expires_all(api, seller, buyer, listing):
    low, high = await offer(api, listing, buyer, 6000), await offer(api, listing, buyer, 9000)
    ok(await api.patch(f"/v1/listings/{listing['id']}", json={"price": eur(8000)}, headers=seller.headers))
    status = {
        o["id"]: o["status"]
        for o in ok(await api.get(f"/v1/listings/{listing['id']}/offers", headers=buyer.headers))["offers"]
    }
    assert status == {low["id"]: "OFFER_STATUS_PENDING", high["id"]: "OFFER_STATUS_EXPIRED"}
    ok(await api.patch(f"/v1/listings/{listing['id']}", json={"title": "Air Max 90, boxed"}, headers=seller.headers))
    assert ok(await api.get(f"/v1/offers/{low['id']}", headers=buyer.headers))["status"] == "OFFER_STATUS_PENDING"
    ok(await api.post(f"/v1/listings/{listing['id']}:cancel", json={}, headers=seller.headers))
    assert ok(await api.get(f"/v1/offers/{low['id']}", headers=buyer.headers))["status"] == "OFFER_STATUS_EXPIRED"


async def test_a_new_currency_or_condition_expires_every_pending_offer(api, seller, buyer, listing):
    made = await offer(api, listing, buyer, 1000)
    ok(await api.patch(f"/v1/listings/{listing['id']}", json={"condition": "CONDITION_GOOD"}, headers=seller.headers))
    assert ok(await api.get(f"/v1/offers/{made['id']}", headers=buyer.headers))["status"] == "OFFER_STATUS_EXPIRED"
    made = await offer(api, listing, buyer, 1000)
    price = {"currency": "USD", "amount_minor": 20000}
    ok(await api.patch(f"/v1/listings/{listing['id']}", json={"price": price}, headers=seller.headers))
    assert ok(await api.get(f"/v1/offers/{made['id']}", headers=buyer.headers))["status"] == "OFFER_STATUS_EXPIRED"


async def test_a_repeated_request_id_makes_one_offer(api, seller, buyer, listing):
    body = {"amount": eur(5000), "request_id": str(uuid.uuid4())}
    path = f"/v1/listings/{listing['id']}/offers"
    first = ok(await api.post(path, json=body, headers=buyer.headers))
    assert ok(await api.post(path, json=body, headers=buyer.headers)) == first
    assert len(ok(await api.get(path, headers=seller.headers))["offers"]) == 1


async def test_offers_are_refused_to_a_user_the_flag_leaves_out(api, stack, signing_key, seller, buyer, listing):
    token = mint(signing_key, user_id=uuid.uuid4(), role=Role.ADMIN)
    admin = {"authorization": f"Bearer {token}"}
    other = await signed_up(api)
    flag = {"enabled": False, "percentage": 0, "user_ids": [other.id]}
    try:
        ok(await api.patch("/v1/trading/settings", json={"flags": {"offers_enabled": flag}}, headers=admin))
        path = f"/v1/listings/{listing['id']}/offers"

        async def refused_reason() -> str:
            response = await api.post(path, json={"amount": eur(5000)}, headers=buyer.headers)
            return reason(response) if response.status_code == 409 else str(response.status_code)

        await eventually(refused_reason, "OFFERS_DISABLED", seconds=5)
        assert (await api.post(path, json={"amount": eur(5000)}, headers=other.headers)).status_code == 200
    finally:
        stub = trading_service_pb2_grpc.TradingServiceStub(stack.channel("trading"))
        await reset_settings(stub, grpc_bearer(token))
