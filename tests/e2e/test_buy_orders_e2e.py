"""Buy orders through the gateway over HTTP: a funded buyer places one, a seller lists a matching game
item cheaper and it is sold to the order within two seconds at the listing's price, with the wallet's
held and available amounts exact; a listing missing one predicate is not bought; bad orders are 400s
naming the field, short funds 409; every route needs its caller, and an order is its buyer's alone;
the order book is public."""

import time

import pytest

from testkit.api import funded, new_category, ok, reason, signed_up, violations, wallet
from testkit.waiting import eventually

WEAR = {
    "name": "Wear",
    "key": "wear",
    "type": "ATTRIBUTE_TYPE_NUMBER",
    "required": True,
    "min": 0,
    "max": 1,
    "filterable": True,
}


@pytest.fixture
async def skins(api, admin_headers) -> dict:
    """A category of game items with a filterable wear, new for each test (an order buys what is on sale)."""
    return await new_category(api, admin_headers, WEAR)


def usd(amount_minor: int) -> dict:
    return {"currency": "USD", "amount_minor": amount_minor}


async def list_skin(api, seller, skins: dict, price: int, wear: float) -> dict:
    body = {"category_id": skins["id"], "name": "AK-47 | Redline", "attributes": {"wear": wear}}
    item = ok(await api.post("/v1/items", json=body, headers=seller.headers))
    return ok(await api.post("/v1/listings", json={"item_id": item["id"], "price": usd(price)}, headers=seller.headers))


async def listing_status(api, listing: dict) -> str:
    return ok(await api.get(f"/v1/listings/{listing['id']}"))["status"]


async def test_a_matching_listing_is_sold_to_the_order_within_two_seconds_at_its_price(api, skins):
    buyer, seller = await funded(api, 5_000), await signed_up(api)
    body = {"category_id": skins["id"], "attributes": ["wear:..0.16"], "max_price": usd(2_000), "quantity": 2}
    placed = ok(await api.post("/v1/buy-orders", json=body, headers=buyer.headers))
    assert placed["status"] == "BUY_ORDER_STATUS_OPEN" and placed["quantity"] == 2
    assert await wallet(api, buyer) == (1_000, 4_000)

    missing = await list_skin(api, seller, skins, 1_500, 0.2)
    listed_at = time.monotonic()
    matching = await list_skin(api, seller, skins, 1_500, 0.12)
    await eventually(lambda: listing_status(api, matching), "LISTING_STATUS_SOLD", 2)
    assert time.monotonic() - listed_at < 2
    assert await listing_status(api, missing) == "LISTING_STATUS_ACTIVE"

    shown = ok(await api.get(f"/v1/buy-orders/{placed['id']}", headers=buyer.headers))
    assert (shown["status"], shown["quantity_filled"]) == ("BUY_ORDER_STATUS_OPEN", 1)
    [fill] = shown["fills"]
    assert fill["listing_id"] == matching["id"] and fill["price"] == {"currency": "USD", "amount_minor": "1500"}
    assert fill["status"] == "TRANSACTION_STATUS_COMPLETED"
    # Paid the listing's 1,500 of the unit's 2,000; the other unit's 2,000 stays held.
    assert await wallet(api, buyer) == (5_000 - 1_500 - 2_000, 2_000)

    cancelled = ok(await api.post(f"/v1/buy-orders/{placed['id']}:cancel", json={}, headers=buyer.headers))
    assert cancelled["status"] == "BUY_ORDER_STATUS_CANCELLED"
    assert await wallet(api, buyer) == (3_500, 0)
    mine = ok(await api.get("/v1/buy-orders", params={"status": "BUY_ORDER_STATUS_CANCELLED"}, headers=buyer.headers))
    assert [order["id"] for order in mine["buy_orders"]] == [placed["id"]]


async def test_bad_orders_are_400s_naming_the_field_and_short_funds_409(api, skins):
    buyer = await funded(api, 1_000)
    cases = {
        "buy_order.attributes[0]": {"attributes": ["stickers:0"]},
        "buy_order.attributes[1]": {"attributes": ["wear:0.5..", "wear:..0.16"]},
        "buy_order.quantity": {"quantity": 10_000},
    }
    for field, extra in cases.items():
        body = {"category_id": skins["id"], "max_price": usd(100), **extra}
        refused = await api.post("/v1/buy-orders", json=body, headers=buyer.headers)
        assert refused.status_code == 400 and field in violations(refused), (field, refused.text)
    upside_down = await api.post(
        "/v1/buy-orders",
        json={"category_id": skins["id"], "attributes": ["wear:0.3..0.2"], "max_price": usd(100)},
        headers=buyer.headers,
    )
    assert upside_down.status_code == 400 and "buy_order.attributes[0]" in violations(upside_down)
    short = await api.post(
        "/v1/buy-orders", json={"category_id": skins["id"], "max_price": usd(600), "quantity": 2}, headers=buyer.headers
    )
    assert short.status_code == 409 and reason(short) == "INSUFFICIENT_FUNDS"
    euros = await api.post(
        "/v1/buy-orders",
        json={"category_id": skins["id"], "max_price": {"currency": "EUR", "amount_minor": 100}},
        headers=buyer.headers,
    )
    assert euros.status_code == 409 and reason(euros) == "INSUFFICIENT_FUNDS"
    assert await wallet(api, buyer) == (1_000, 0)


async def test_every_route_needs_its_caller_and_an_order_is_its_buyers_alone(api, skins):
    buyer, other = await funded(api, 5_000), await funded(api, 5_000)
    body = {"category_id": skins["id"], "max_price": usd(1_000)}
    placed = ok(await api.post("/v1/buy-orders", json=body, headers=buyer.headers))
    anonymous = [
        await api.post("/v1/buy-orders", json=body),
        await api.get("/v1/buy-orders"),
        await api.get(f"/v1/buy-orders/{placed['id']}"),
        await api.post(f"/v1/buy-orders/{placed['id']}:cancel", json={}),
    ]
    assert [response.status_code for response in anonymous] == [401] * 4
    assert (await api.get(f"/v1/buy-orders/{placed['id']}", headers=other.headers)).status_code == 404
    assert (await api.post(f"/v1/buy-orders/{placed['id']}:cancel", json={}, headers=other.headers)).status_code == 404
    book = ok(await api.get(f"/v1/categories/{skins['id']}/buy-orders"))
    assert [order["id"] for order in book["buy_orders"]] == [placed["id"]]
    assert not book["buy_orders"][0].get("buyer_id") and book["buy_orders"][0]["max_price"]["amount_minor"] == "1000"
