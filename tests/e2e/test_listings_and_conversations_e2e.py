"""A seller lists a thing, a buyer asks about it: accounts, trading and messaging through the gateway."""

import uuid

from testkit.api import signed_up, violations

SNEAKERS = {
    "title": "Air Max 90, size 44",
    "description": "Worn twice.",
    "condition": "CONDITION_LIKE_NEW",
    "price": {"currency": "EUR", "amount_minor": 8900},
    "location": {"latitude": 52.52, "longitude": 13.405},
    "feed": "FEED_COMMUNITY",
}


async def test_a_buyer_asks_a_seller_about_a_listing(api, things):
    seller = await signed_up(api)
    buyer = await signed_up(api)
    created = await api.post("/v1/listings", json=SNEAKERS | {"category_id": things["id"]}, headers=seller.headers)
    assert created.status_code == 200, created.text
    listing = created.json()
    assert listing["status"] == "LISTING_STATUS_ACTIVE" and listing["seller_id"] == seller.id
    assert listing["price"] == {"currency": "EUR", "amount_minor": "8900"}

    fetched = (await api.get(f"/v1/listings/{listing['id']}")).json()
    assert fetched["title"] == SNEAKERS["title"] and fetched["location"]["latitude"] == 52.52

    first = await api.post(
        "/v1/conversations", json={"listing_id": listing["id"], "text": "Still available?"}, headers=buyer.headers
    )
    assert first.status_code == 200, first.text
    again = await api.post("/v1/conversations", json={"listing_id": listing["id"], "text": "?"}, headers=buyer.headers)
    assert again.json()["id"] == first.json()["id"]

    inbox = (await api.get("/v1/conversations", headers=seller.headers)).json()
    [conversation] = inbox["conversations"]
    assert conversation["buyer_id"] == buyer.id and conversation["unread_count"] == 2
    assert conversation["last_message"]["text"] == "?"


async def test_a_listing_with_bad_fields_is_400_naming_each(api, things):
    seller = await signed_up(api)
    body = SNEAKERS | {"category_id": things["id"], "title": "", "price": {"currency": "eur", "amount_minor": 0}}
    response = await api.post("/v1/listings", json=body, headers=seller.headers)
    assert response.status_code == 400
    assert violations(response) == {"listing.title", "listing.price.currency", "listing.price.amount_minor"}


async def test_listing_and_messaging_need_a_token(api):
    assert (await api.post("/v1/listings", json=SNEAKERS)).status_code == 401
    assert (await api.get("/v1/conversations")).status_code == 401


async def test_a_conversation_about_an_unknown_listing_is_404(api):
    buyer = await signed_up(api)
    response = await api.post("/v1/conversations", json={"listing_id": str(uuid.uuid4())}, headers=buyer.headers)
    assert response.status_code == 404
