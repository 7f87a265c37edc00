"""Saved searches and buy orders told live through the gateway (GET /v1/events): a saved search is told of a
matching listing within two seconds, once even when its price drops again, never of one that misses a
predicate, and nothing once deleted; bad searches are 400s naming the field, another user's is 404, every
route needs a user; a buy order's fill reaches its buyer's stream."""

import asyncio
from collections.abc import AsyncIterator

import pytest

from testkit.api import funded, new_category, ok, signed_up, violations

from .test_buy_orders_e2e import WEAR, list_skin, usd
from .test_events_e2e import events


@pytest.fixture
async def skins(api, admin_headers) -> dict:
    """A category of game items with a filterable wear, new for each test (a search is told of what is listed)."""
    return await new_category(api, admin_headers, WEAR)


async def next_of(stream: AsyncIterator[dict], kind: str, seconds: float = 2.0) -> dict:
    """The payload of the stream's next event of the kind, within `seconds`."""
    async with asyncio.timeout(seconds):
        async for event in stream:
            if event["event"] == kind:
                return event["data"][kind]
    raise AssertionError("the stream ended")


async def save(api, person, body: dict) -> dict:
    return ok(await api.post("/v1/saved-searches", json=body, headers=person.headers))


async def test_a_saved_search_is_told_once_of_each_matching_listing_and_nothing_once_deleted(api, skins):
    owner, seller = await signed_up(api), await signed_up(api)
    narrow = await save(api, owner, {"category_id": skins["id"], "attributes": ["wear:..0.16"], "max_price": usd(2000)})
    async with api.stream("GET", "/v1/events", headers=owner.headers) as response:
        stream = events(response)
        await list_skin(api, seller, skins, 1800, wear=0.2)
        first = await list_skin(api, seller, skins, 1800, wear=0.1)
        told = await next_of(stream, "saved_search_matched")
        assert (told["saved_search_id"], told["listing_id"], told["title"]) == (
            narrow["id"],
            first["id"],
            "AK-47 | Redline",
        )
        assert (told["price"]["currency"], int(told["price"]["amount_minor"])) == ("USD", 1800)

        # Announced in this order, so an alert of the price drop would come before the next listing's.
        drop = {"price": usd(1500)}
        ok(await api.patch(f"/v1/listings/{first['id']}?update_mask=price", json=drop, headers=seller.headers))
        second = await list_skin(api, seller, skins, 1700, wear=0.05)
        assert (await next_of(stream, "saved_search_matched"))["listing_id"] == second["id"]

        wide = await save(api, owner, {"category_id": skins["id"]})
        deleted = await api.delete(f"/v1/saved-searches/{narrow['id']}", headers=owner.headers)
        assert deleted.status_code == 200, deleted.text
        third = await list_skin(api, seller, skins, 1600, wear=0.1)
        fourth = await list_skin(api, seller, skins, 1600, wear=0.5)
        told = [await next_of(stream, "saved_search_matched") for _ in range(2)]
    # The matcher tells the listings of one round at once, in any order; the deleted search's would be among them.
    assert {(t["saved_search_id"], t["listing_id"]) for t in told} == {
        (wide["id"], third["id"]),
        (wide["id"], fourth["id"]),
    }
    listed = ok(await api.get("/v1/saved-searches", headers=owner.headers))
    assert [s["id"] for s in listed["saved_searches"]] == [wide["id"]]


async def test_bad_or_foreign_saved_searches_are_refused(api, skins):
    owner, other = await signed_up(api), await signed_up(api)
    bad = await api.post(
        "/v1/saved-searches", json={"category_id": skins["id"], "attributes": ["wear:0.3..0.1"]}, headers=owner.headers
    )
    assert bad.status_code == 400 and "saved_search.attributes[0]" in violations(bad)
    unknown = await api.post(
        "/v1/saved-searches", json={"category_id": skins["id"], "attributes": ["colour:red"]}, headers=owner.headers
    )
    assert unknown.status_code == 400 and "saved_search.attributes[0]" in violations(unknown)
    search = await save(api, owner, {"category_id": skins["id"]})
    foreign = await api.delete(f"/v1/saved-searches/{search['id']}", headers=other.headers)
    assert foreign.status_code == 404
    for method, path in (
        ("POST", "/v1/saved-searches"),
        ("GET", "/v1/saved-searches"),
        ("DELETE", f"/v1/saved-searches/{search['id']}"),
    ):
        anonymous = await api.request(method, path, json={"category_id": skins["id"]} if method == "POST" else None)
        assert anonymous.status_code == 401, (method, anonymous.text)


async def test_a_buy_order_filled_is_told_on_its_buyers_stream(api, skins):
    buyer, seller = await funded(api, 5_000), await signed_up(api)
    async with api.stream("GET", "/v1/events", headers=buyer.headers) as response:
        stream = events(response)
        body = {"category_id": skins["id"], "attributes": ["wear:..0.16"], "max_price": usd(2_000)}
        placed = ok(await api.post("/v1/buy-orders", json=body, headers=buyer.headers))
        assert (await next_of(stream, "buy_order_created"))["buy_order_id"] == placed["id"]
        await list_skin(api, seller, skins, 1500, wear=0.1)
        filled = await next_of(stream, "buy_order_filled", seconds=3)
    assert filled["buy_order"]["quantity_filled"] == 1 and filled["status"] == "BUY_ORDER_STATUS_FILLED"
