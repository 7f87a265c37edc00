"""PostgreSQL checks a dense filter per listing of the page instead of starting from its values, and behind
words a dense category per listing instead of from its index: the same answers either way. A trading server
that takes every filter and every category in the statistics for dense answers every search, page after
page, as one that takes no category for dense and the stack's filters (none of the tests' few values)."""

import asyncpg
import grpc
import pytest

from marketplace.trading.v1 import trading_service_pb2 as pb
from marketplace.trading.v1 import trading_service_pb2_grpc
from testkit.stack import replica

from .search_support import BERLIN, HAMBURG, listed

SEARCHES = [
    {"attributes": ["size:40..44"]},
    {"attributes": ["size:40..44", "colour:red|white"], "sort": pb.LISTING_SORT_PRICE_ASC},
    {"attributes": ["boxed:true"], "q": "sneakers"},
    {"attributes": ["colour:red"], "q": "sneakers", "sort": pb.LISTING_SORT_NEWEST},
    {
        "attributes": ["size:..42"],
        "near": pb.Near(lat=52.52, lng=13.405, radius_km=500),
        "sort": pb.LISTING_SORT_DISTANCE,
    },
]


async def trading_with(stack, **settings):
    async with replica(stack, "trading", **settings) as address, grpc.aio.insecure_channel(address) as channel:
        yield trading_service_pb2_grpc.TradingServiceStub(channel)


@pytest.fixture
async def dense_trading(stack):
    async for trading in trading_with(stack, search_dense_filter_values=0, search_dense_category_share=0.0):
        yield trading


@pytest.fixture
async def sparse_trading(stack):
    async for trading in trading_with(stack, search_dense_category_share=1.0):
        yield trading


async def in_statistics(stack, category_id: str) -> bool:
    """Whether the category is among the most common of listings once they are analyzed."""
    connection = await asyncpg.connect(stack.database_urls["trading"].replace("+asyncpg", ""))
    try:
        await connection.execute("ANALYZE listings")
        return await connection.fetchval(
            "SELECT $1::uuid = ANY(most_common_vals::text::uuid[]) FROM pg_stats"
            " WHERE tablename = 'listings' AND attname = 'category_id'",
            category_id,
        )
    finally:
        await connection.close()


async def every_page(trading, **fields) -> list[tuple]:
    answers, token = [], ""
    while True:
        page = await trading.SearchListings(pb.SearchListingsRequest(page_size=2, page_token=token, **fields))
        facets = [(facet.field, [(v.value, v.count) for v in facet.values]) for facet in page.facets]
        answers.append(([listing.id for listing in page.listings], page.total_size, facets))
        token = page.next_page_token
        if not token:
            return answers


async def test_what_is_checked_per_listing_answers_as_through_its_index(
    stack, trading, dense_trading, sparse_trading, seller, sneakers
):
    for index in range(9):
        await listed(
            trading,
            seller,
            sneakers.id,
            title=f"Sneakers {index}" if index % 3 else f"Boots {index}",
            description="sneakers" if index % 3 == 0 else "",
            attributes={"size": 38 + index, "colour": ("red", "white", "black")[index % 3], "boxed": index % 2 == 0},
            location=BERLIN if index % 2 else HAMBURG,
        )
    assert await in_statistics(stack, sneakers.id)
    for fields in SEARCHES:
        expected = await every_page(sparse_trading, category_id=sneakers.id, **fields)
        assert sum(len(ids) for ids, _, _ in expected) > 1, fields
        assert await every_page(dense_trading, category_id=sneakers.id, **fields) == expected, fields
