"""Listing search through the gateway: GET /v1/listings, its query string, its JSON and its 400s."""

import pytest

from testkit.api import new_category, ok, signed_up, violations

SIZE = {"name": "Size", "key": "size", "type": "ATTRIBUTE_TYPE_INTEGER", "min": 30, "max": 50, "filterable": True}
COLOUR = {
    "name": "Colour",
    "key": "colour",
    "type": "ATTRIBUTE_TYPE_ENUM",
    "allowed_values": ["black", "white", "red"],
    "filterable": True,
}
BERLIN = {"latitude": 52.52, "longitude": 13.405}
HAMBURG = {"latitude": 53.5511, "longitude": 9.9937}


@pytest.fixture
async def sneakers(api, admin_headers) -> dict:
    return await new_category(api, admin_headers, SIZE, COLOUR)


async def listed(api, seller, category_id: str, title: str, attributes: dict, amount: int, location: dict) -> str:
    body = {
        "title": title,
        "category_id": category_id,
        "attributes": attributes,
        "price": {"currency": "EUR", "amount_minor": amount},
        "location": location,
    }
    return ok(await api.post("/v1/listings", json=body, headers=seller.headers))["id"]


async def test_anyone_searches_with_repeated_attributes_and_near_in_the_query_string(api, sneakers):
    seller = await signed_up(api)
    red = await listed(api, seller, sneakers["id"], "Red sneakers", {"size": 42, "colour": "red"}, 5000, BERLIN)
    await listed(api, seller, sneakers["id"], "White sneakers", {"size": 44, "colour": "white"}, 6000, BERLIN)
    far = await listed(api, seller, sneakers["id"], "Red boots", {"size": 41, "colour": "red"}, 7000, HAMBURG)

    # No token: search is public.
    found = ok(
        await api.get(
            "/v1/listings",
            params=[
                ("category_id", sneakers["id"]),
                ("attributes", "colour:red|black"),
                ("attributes", "size:40..43"),
                ("near.lat", "52.52"),
                ("near.lng", "13.405"),
                ("near.radius_km", "10"),
                ("sort", "LISTING_SORT_DISTANCE"),
            ],
        )
    )
    assert [listing["id"] for listing in found["listings"]] == [red]
    assert found["listings"][0]["distance_km"] < 0.01
    assert found["total_size"] == "1" and found.get("next_page_token", "") == ""
    facets = {facet["field"]: facet["values"] for facet in found["facets"]}
    assert facets["attributes.colour"] == [{"value": "red", "count": "1"}]
    assert facets["attributes.size"] == [{"value": "42..46", "count": "1"}]

    typo = ok(await api.get("/v1/listings", params={"q": "sneakres", "category_id": sneakers["id"]}))
    assert len(typo["listings"]) == 2 and far not in [listing["id"] for listing in typo["listings"]]

    cheapest = ok(
        await api.get(
            "/v1/listings",
            params={"category_id": sneakers["id"], "sort": "LISTING_SORT_PRICE_ASC", "pageSize": 2},
        )
    )
    assert [listing["price"]["amount_minor"] for listing in cheapest["listings"]] == ["5000", "6000"]
    rest = ok(
        await api.get(
            "/v1/listings",
            params={
                "category_id": sneakers["id"],
                "sort": "LISTING_SORT_PRICE_ASC",
                "page_size": 2,
                "page_token": cheapest["next_page_token"],
            },
        )
    )
    assert [listing["id"] for listing in rest["listings"]] == [far]


async def test_a_bad_search_is_400_naming_every_field(api, sneakers):
    response = await api.get(
        "/v1/listings",
        params=[
            ("category_id", sneakers["id"]),
            ("attributes", "laces:long"),
            ("attributes", "size:a..b"),
            ("near.lat", "52.52"),
            ("near.lng", "13.405"),
            ("near.radius_km", "0"),
            ("min_price", "100"),
        ],
    )
    assert response.status_code == 400, response.text
    assert violations(response) == {"attributes[0]", "attributes[1]", "near.radius_km", "min_price"}
    response = await api.get("/v1/listings", params={"sort": "LISTING_SORT_DISTANCE"})
    assert response.status_code == 400 and violations(response) == {"sort"}
