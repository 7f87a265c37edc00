"""Listings through the gateway over HTTP: every listing endpoint of API.md and the routes beside them."""

import asyncio
import uuid

import pytest

from testkit.api import ok, reason, signed_up, violations
from testkit.databases import execute

SNEAKERS = {
    "title": "Air Max 90",
    "description": "Worn twice.",
    "condition": "CONDITION_LIKE_NEW",
    "attributes": {"size": 44, "colour": "white"},
    "price": {"currency": "EUR", "amount_minor": 8900},
    "location": {"latitude": 52.52, "longitude": 13.405},
    "feed": "FEED_COMMUNITY",
    "image_urls": ["https://img.example.com/1.jpg"],
    "video_url": "https://video.example.com/v/1",
    "thumbnail_url": "https://img.example.com/1-small.jpg",
}


@pytest.fixture
async def seller(api):
    return await signed_up(api)


@pytest.fixture
async def listing(api, seller, shoes) -> dict:
    return ok(await api.post("/v1/listings", json=SNEAKERS | {"category_id": shoes["id"]}, headers=seller.headers))


async def set_status(stack, listing_id: str, status: str) -> None:
    """Moves a listing by hand to a status a purchase would (no route reaches it yet)."""
    await execute(stack.database_urls["trading"], "UPDATE listings SET status = $2 WHERE id = $1", listing_id, status)


async def test_a_free_form_listing_is_created_active_and_read_by_anyone(api, seller, shoes, listing):
    assert listing["status"] == "LISTING_STATUS_ACTIVE" and listing["seller_id"] == seller.id
    assert listing["category_id"] == shoes["id"] and listing["game_id"] == shoes["game_id"]
    assert listing["attributes"] == {"size": 44, "colour": "white"}
    assert listing["price"] == {"currency": "EUR", "amount_minor": "8900"}
    fetched = ok(await api.get(f"/v1/listings/{listing['id']}"))
    assert fetched["title"] == "Air Max 90" and fetched["feed"] == "FEED_COMMUNITY"
    assert fetched["image_urls"] == ["https://img.example.com/1.jpg"]
    assert fetched["video_url"] == "https://video.example.com/v/1"
    assert fetched["thumbnail_url"] == "https://img.example.com/1-small.jpg"
    assert (fetched["view_count"], fetched["like_count"], fetched["liked"]) == ("1", "0", False)


async def test_an_item_is_listed_by_its_owner_alone_and_only_once_at_a_time(api, seller, things):
    item = ok(
        await api.post(
            "/v1/items", json={"category_id": things["id"], "name": "Courier of the Dunes"}, headers=seller.headers
        )
    )
    stranger = await signed_up(api)
    refused = await api.post(
        "/v1/listings", json={"item_id": item["id"], "price": SNEAKERS["price"]}, headers=stranger.headers
    )
    assert refused.status_code == 403 and reason(refused) == "NOT_ITEM_OWNER"
    body = {"item_id": item["id"], "price": SNEAKERS["price"]}
    first, second = await asyncio.gather(
        *(api.post("/v1/listings", json=body, headers=seller.headers) for _ in range(2))
    )
    assert sorted([first.status_code, second.status_code]) == [200, 409]
    winner = first if first.status_code == 200 else second
    loser = second if winner is first else first
    assert reason(loser) == "ITEM_ALREADY_LISTED"
    assert winner.json()["title"] == "Courier of the Dunes" and winner.json()["item_id"] == item["id"]


async def test_a_draft_is_created_published_and_seen_by_its_seller_alone_before(api, seller, shoes):
    body = SNEAKERS | {"category_id": shoes["id"]}
    draft = ok(await api.post("/v1/listings", params={"draft": "true"}, json=body, headers=seller.headers))
    assert draft["status"] == "LISTING_STATUS_DRAFT"
    stranger = await signed_up(api)
    assert (await api.get(f"/v1/listings/{draft['id']}")).status_code == 404
    assert (await api.get(f"/v1/listings/{draft['id']}", headers=stranger.headers)).status_code == 404
    assert (await api.post(f"/v1/listings/{draft['id']}:publish", headers=stranger.headers)).status_code == 404
    published = ok(await api.post(f"/v1/listings/{draft['id']}:publish", headers=seller.headers))
    assert published["status"] == "LISTING_STATUS_ACTIVE"
    again = await api.post(f"/v1/listings/{draft['id']}:publish", headers=seller.headers)
    assert again.status_code == 409 and reason(again) == "ILLEGAL_STATUS_TRANSITION"


async def test_the_seller_patches_the_fields_sent(api, seller, listing):
    patched = ok(
        await api.patch(
            f"/v1/listings/{listing['id']}",
            json={"price": {"currency": "EUR", "amount_minor": 7500}, "title": "Air Max 90, size 44"},
            headers=seller.headers,
        )
    )
    assert patched["price"]["amount_minor"] == "7500" and patched["title"] == "Air Max 90, size 44"
    assert patched["description"] == "Worn twice."
    masked = ok(
        await api.patch(
            f"/v1/listings/{listing['id']}",
            params={"update_mask": "description"},
            json={"description": "Boxed.", "title": "not this"},
            headers=seller.headers,
        )
    )
    assert (masked["description"], masked["title"]) == ("Boxed.", "Air Max 90, size 44")


async def test_others_may_not_patch_cancel_or_publish_and_nobody_without_a_token(api, listing):
    stranger = await signed_up(api)
    path = f"/v1/listings/{listing['id']}"
    patched = await api.patch(path, json={"title": "Mine"}, headers=stranger.headers)
    cancelled = await api.post(f"{path}:cancel", headers=stranger.headers)
    for response in (patched, cancelled):
        assert response.status_code == 403 and reason(response) == "NOT_LISTING_SELLER"
    for response in (
        await api.patch(path, json={"title": "Mine"}),
        await api.post(f"{path}:cancel"),
        await api.post(f"{path}:publish"),
        await api.post(f"{path}:like"),
        await api.post(f"{path}:unlike"),
        await api.post("/v1/listings", json=SNEAKERS),
    ):
        assert response.status_code == 401, response.text


async def test_a_cancelled_listing_is_gone_for_others_and_cannot_change_again(api, seller, listing):
    path = f"/v1/listings/{listing['id']}"
    assert ok(await api.post(f"{path}:cancel", headers=seller.headers))["status"] == "LISTING_STATUS_CANCELLED"
    assert (await api.get(path)).status_code == 404
    assert ok(await api.get(path, headers=seller.headers))["status"] == "LISTING_STATUS_CANCELLED"
    again = await api.post(f"{path}:cancel", headers=seller.headers)
    assert again.status_code == 409 and reason(again) == "ILLEGAL_STATUS_TRANSITION"
    patched = await api.patch(path, json={"title": "Back"}, headers=seller.headers)
    assert patched.status_code == 409 and reason(patched) == "LISTING_NOT_EDITABLE"


@pytest.mark.parametrize("status", ["reserved", "sold"])
async def test_a_reserved_or_sold_listing_is_public_and_frozen(api, stack, seller, listing, status):
    await set_status(stack, listing["id"], status)
    path = f"/v1/listings/{listing['id']}"
    assert ok(await api.get(path))["status"] == f"LISTING_STATUS_{status.upper()}"
    for response in (
        await api.patch(path, json={"title": "Changed"}, headers=seller.headers),
        await api.post(f"{path}:cancel", headers=seller.headers),
        await api.post(f"{path}:publish", headers=seller.headers),
    ):
        assert response.status_code == 409, response.text


async def test_likes_are_one_per_user_and_taken_back(api, listing):
    fan = await signed_up(api)
    path = f"/v1/listings/{listing['id']}"
    ok(await api.post(f"{path}:like", headers=fan.headers))
    liked = ok(await api.post(f"{path}:like", headers=fan.headers))
    assert (liked["like_count"], liked["liked"]) == ("1", True)
    assert ok(await api.get(path, headers=fan.headers))["liked"] is True
    unliked = ok(await api.post(f"{path}:unlike", headers=fan.headers))
    assert (unliked["like_count"], unliked["liked"]) == ("0", False)


async def test_concurrent_views_are_all_counted(api, seller, listing):
    path = f"/v1/listings/{listing['id']}"
    responses = await asyncio.gather(*(api.get(path) for _ in range(20)))
    assert {response.status_code for response in responses} == {200}
    assert ok(await api.get(path, headers=seller.headers))["view_count"] == "20"


async def test_an_unknown_or_malformed_listing(api, seller):
    assert (await api.get(f"/v1/listings/{uuid.uuid4()}")).status_code == 404
    malformed = await api.post("/v1/listings/not-an-id:like", headers=seller.headers)
    assert malformed.status_code == 400 and violations(malformed) == {"listing_id"}


@pytest.mark.parametrize(
    ("changes", "fields"),
    [
        ({"title": "Air\x00Max"}, {"listing.title"}),
        ({"title": "x" * 201, "description": "x" * 10_001}, {"listing.title", "listing.description"}),
        (
            {"image_urls": ["ftp://img.example.com/a.jpg"], "video_url": "javascript:x", "thumbnail_url": "x" * 3000},
            {"listing.image_urls[0]", "listing.video_url", "listing.thumbnail_url"},
        ),
        (
            {"price": {"currency": "eur", "amount_minor": 0}},
            {"listing.price.currency", "listing.price.amount_minor"},
        ),
        ({"price": {"currency": "EUR", "amount_minor": 2**60}}, {"listing.price.amount_minor"}),
        (
            {"attributes": {"size": 51.5, "colour": "green", "laces": True}},
            {"listing.attributes.size", "listing.attributes.colour", "listing.attributes.laces"},
        ),
        ({"attributes": {"colour": ["black"]}}, {"listing.attributes.colour", "listing.attributes.size"}),
        ({"category_id": str(uuid.uuid4())}, {"listing.category_id"}),
        ({"location": {"latitude": 95, "longitude": 200}}, {"listing.location.latitude", "listing.location.longitude"}),
        ({"condition": "CONDITION_BROKEN"}, {"listing.condition"}),
    ],
    ids=[
        "nul",
        "huge-text",
        "bad-links",
        "bad-money",
        "too-much-money",
        "bad-values",
        "a-list-value",
        "no-such-category",
        "off-the-globe",
        "unknown-enum",
    ],
)
async def test_bad_input_is_a_400_naming_each_field_and_writes_nothing(api, seller, shoes, changes, fields):
    body = SNEAKERS | {"category_id": shoes["id"]} | changes
    response = await api.post("/v1/listings", json=body, headers=seller.headers)
    assert response.status_code == 400, response.text
    assert violations(response) == fields


async def test_a_bad_patch_is_a_400_naming_each_field_and_changes_nothing(api, seller, listing):
    path = f"/v1/listings/{listing['id']}"
    body = {"attributes": {"size": 29}, "image_urls": [""], "price": {"currency": "EUR", "amount_minor": -5}}
    response = await api.patch(path, json=body, headers=seller.headers)
    assert response.status_code == 400, response.text
    assert violations(response) == {"listing.attributes.size", "listing.image_urls[0]", "listing.price.amount_minor"}
    assert ok(await api.get(path, headers=seller.headers))["price"]["amount_minor"] == "8900"
    immutable = await api.patch(path, json={"category_id": str(uuid.uuid4())}, headers=seller.headers)
    assert immutable.status_code == 400 and violations(immutable) == {"listing.category_id"}
