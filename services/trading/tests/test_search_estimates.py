"""Search counts its facets exactly up to its limit (SEARCH_EXACT_TOTAL_LIMIT): past it the facets are the
counted matches scaled to the total, which PostgreSQL estimates (the planner's, at least what was counted) and
Elasticsearch counts. A trading replica with a limit of 3 shows both sides on a few listings, on each backend."""

from contextlib import asynccontextmanager

import grpc
import pytest

from marketplace.catalog.v1 import resources_pb2 as catalog_pb2
from marketplace.trading.v1 import trading_service_pb2 as pb
from marketplace.trading.v1 import trading_service_pb2_grpc
from testkit.catalog import new_category
from testkit.stack import replica

from .search.conftest import BACKENDS, elasticsearch_trading
from .search.search_support import facet, ids, listed
from .trading_support import T

LIMIT = 3
COLOUR = catalog_pb2.Attribute(
    name="Colour", key="colour", type=T.ATTRIBUTE_TYPE_ENUM, allowed_values=["red", "white"], filterable=True
)


@pytest.fixture(params=BACKENDS)
def backend(request) -> str:
    return request.param


@asynccontextmanager
async def counting_up_to(request, stack, limit: int):
    """SearchListings of a trading replica counting up to `limit`, on the test's backend."""
    if request.getfixturevalue("backend") == "elasticsearch":
        url = request.getfixturevalue("elasticsearch_url")
        async with elasticsearch_trading(stack, url, search_exact_total_limit=limit) as target:
            await target.settle()
            yield target.search
        return
    async with (
        replica(stack, "trading", search_exact_total_limit=limit) as address,
        grpc.aio.insecure_channel(address) as channel,
    ):
        yield trading_service_pb2_grpc.TradingServiceStub(channel).SearchListings


@pytest.fixture
async def colours(stack, trading, seller) -> catalog_pb2.Category:
    """A new category with six red listings and two white ones."""
    category = await new_category(stack, COLOUR)
    for colour in ["red"] * 6 + ["white"] * 2:
        await listed(trading, seller, category.id, attributes={"colour": colour})
    return category


async def test_up_to_the_limit_the_total_and_facets_are_exact(request, stack, backend, colours):
    async with counting_up_to(request, stack, LIMIT) as search:
        page = await search(pb.SearchListingsRequest(category_id=colours.id, attributes=["colour:white"]))
    assert page.total_size == 2
    assert facet(page, "attributes.colour") == [("white", 2)]


async def test_past_the_limit_the_total_and_facets_are_estimates_at_least_the_limit(
    request, stack, trading, backend, colours
):
    exact = await trading.SearchListings(pb.SearchListingsRequest(category_id=colours.id))
    assert exact.total_size == 8 and facet(exact, "attributes.colour") == [("red", 6), ("white", 2)]
    async with counting_up_to(request, stack, LIMIT) as search:
        page = await search(pb.SearchListingsRequest(category_id=colours.id))
    assert page.total_size > LIMIT
    # Every match is in the category: its one value stands for the estimated total.
    assert facet(page, "category_id") == [(colours.id, page.total_size)]
    assert sum(count for _, count in facet(page, "attributes.colour")) == pytest.approx(page.total_size, abs=1)
    # The page itself is not estimated: the same listings in the same order.
    assert ids(page) == ids(exact)
