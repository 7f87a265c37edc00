"""The search suite runs against every backend in `BACKENDS`: the same tests, the same expectations.

A backend is a trading server that answers SearchListings with it; listings are made through the
stack's own trading server, and `settle` waits until the backend shows what was written (PostgreSQL
reads its own tables: nothing to wait for).
"""

from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass

import pytest

from marketplace.catalog.v1 import resources_pb2 as catalog_pb2
from marketplace.trading.v1 import trading_service_pb2 as pb
from marketplace.trading.v1 import trading_service_pb2_grpc
from testkit.catalog import new_category

from ..trading_support import T

BACKENDS = ["postgres"]

# A category of sneakers: every attribute type, all filterable but the note.
SNEAKER_ATTRIBUTES = (
    catalog_pb2.Attribute(
        name="Size", key="size", type=T.ATTRIBUTE_TYPE_INTEGER, required=True, min=30, max=50, filterable=True
    ),
    catalog_pb2.Attribute(
        name="Colour",
        key="colour",
        type=T.ATTRIBUTE_TYPE_ENUM,
        allowed_values=["black", "white", "red"],
        filterable=True,
    ),
    catalog_pb2.Attribute(name="Weight", key="weight", type=T.ATTRIBUTE_TYPE_NUMBER, filterable=True),
    catalog_pb2.Attribute(name="Boxed", key="boxed", type=T.ATTRIBUTE_TYPE_BOOLEAN, filterable=True),
    catalog_pb2.Attribute(name="Brand", key="brand", type=T.ATTRIBUTE_TYPE_STRING, filterable=True),
    catalog_pb2.Attribute(name="Note", key="note", type=T.ATTRIBUTE_TYPE_STRING),
)


@dataclass(frozen=True)
class SearchTarget:
    name: str
    search: Callable[..., Awaitable[pb.SearchListingsResponse]]
    settle: Callable[[], Awaitable[None]]


async def _nothing_to_wait_for() -> None:
    return None


@pytest.fixture(scope="session", params=BACKENDS)
async def search_backend(request, stack) -> AsyncIterator[SearchTarget]:
    if request.param == "postgres":
        stub = trading_service_pb2_grpc.TradingServiceStub(stack.channel("trading"))
        yield SearchTarget("postgres", stub.SearchListings, _nothing_to_wait_for)
    else:
        raise AssertionError(f"no such search backend {request.param!r}")


@pytest.fixture
def search(search_backend):
    """Searches once the backend shows every change made before: `await search(category_id=..., ...)`."""

    async def search(**fields) -> pb.SearchListingsResponse:
        await search_backend.settle()
        return await search_backend.search(pb.SearchListingsRequest(**fields))

    return search


@pytest.fixture
async def sneakers(stack) -> catalog_pb2.Category:
    """A new category (of a new game) per test, so that a test's listings are the only ones in it."""
    return await new_category(stack, *SNEAKER_ATTRIBUTES)
