"""A search written wrong is INVALID_ARGUMENT naming every field at fault at once, never an internal error."""

import grpc
import pytest

from marketplace.trading.v1 import trading_service_pb2 as pb
from testkit.grpc import field_violations, rpc_error

from .search_support import listed


async def refused(search, **fields) -> dict[str, str]:
    error = await rpc_error(search(**fields))
    assert error.code() is grpc.StatusCode.INVALID_ARGUMENT, error.details()
    return field_violations(error)


BERLIN = {"lat": 52.52, "lng": 13.405}


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"near": pb.Near(radius_km=0, **BERLIN)}, "near.radius_km"),
        ({"near": pb.Near(radius_km=20_001, **BERLIN)}, "near.radius_km"),
        ({"near": pb.Near(radius_km=-5, **BERLIN)}, "near.radius_km"),
        ({"near": pb.Near(lat=91, lng=0, radius_km=5)}, "near.lat"),
        ({"near": pb.Near(lat=0, lng=181, radius_km=5)}, "near.lng"),
        ({"sort": pb.LISTING_SORT_DISTANCE}, "sort"),
        ({"sort": 99}, "sort"),
        ({"feed": 99}, "feed"),
        ({"min_price": 100}, "min_price"),
        ({"max_price": 100}, "max_price"),
        ({"min_price": -1, "currency": "EUR"}, "min_price"),
        ({"min_price": 200, "max_price": 100, "currency": "EUR"}, "max_price"),
        ({"currency": "euro"}, "currency"),
        ({"currency": "\x00EU"}, "currency"),
        ({"q": "sneakers\x00"}, "q"),
        ({"q": "x" * 501}, "q"),
        ({"attributes": ["size:40"]}, "attributes"),
        ({"game_id": "not-a-uuid"}, "game_id"),
        ({"category_id": "not-a-uuid"}, "category_id"),
        ({"seller_id": "not-a-uuid"}, "seller_id"),
        ({"page_size": -1}, "page_size"),
        ({"page_token": "not a token"}, "page_token"),
    ],
)
async def test_a_wrong_field_is_named(search, fields, field):
    assert field in await refused(search, **fields)


async def test_a_radius_as_wide_as_the_earth_is_allowed(search):
    page = await search(near=pb.Near(radius_km=20_000, **BERLIN), seller_id="00000000-0000-0000-0000-000000000000")
    assert page.total_size == 0


async def test_attribute_filters_are_checked_against_the_category(search, sneakers):
    problems = await refused(
        search,
        category_id=sneakers.id,
        attributes=["laces:long", "size:big", "size:40..x", "size:44..40", "note:a", "colour:green", "size", "size:.."],
    )
    assert set(problems) == {f"attributes[{index}]" for index in range(8)}
    assert "not an attribute of the category" in problems["attributes[0]"]
    assert "not filterable" in problems["attributes[4]"]


async def test_a_nul_in_an_attribute_filter_is_named(search, sneakers):
    problems = await refused(search, category_id=sneakers.id, attributes=["colour:red", "brand:\x00"])
    assert set(problems) == {"attributes[1]"}


async def test_every_problem_comes_in_one_answer(search, sneakers):
    problems = await refused(
        search,
        category_id=sneakers.id,
        attributes=["laces:long"],
        near=pb.Near(radius_km=0, **BERLIN),
        sort=pb.LISTING_SORT_PRICE_ASC,
        min_price=5,
        seller_id="x",
        page_size=-1,
    )
    assert set(problems) == {"attributes[0]", "near.radius_km", "min_price", "seller_id", "page_size"}


async def test_an_unknown_category_is_named(search):
    assert "category_id" in await refused(search, category_id="00000000-0000-0000-0000-000000000000")


async def test_a_page_token_of_another_search_is_refused(search, trading, seller, sneakers):
    for _ in range(3):
        await listed(trading, seller, sneakers.id)
    first = await search(category_id=sneakers.id, page_size=1)
    assert first.next_page_token
    # The same search pages on; any other search, another order included, refuses the token.
    await search(category_id=sneakers.id, page_size=1, page_token=first.next_page_token)
    for other in (
        {"category_id": sneakers.id, "q": "sneakers"},
        {"category_id": sneakers.id, "sort": pb.LISTING_SORT_PRICE_ASC},
        {"category_id": sneakers.id, "attributes": ["size:44"]},
        {"seller_id": seller.id},
    ):
        assert "page_token" in await refused(search, page_size=1, page_token=first.next_page_token, **other)
