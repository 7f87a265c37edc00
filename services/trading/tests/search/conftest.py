"""The search suite runs against every backend in `BACKENDS`: the same tests, the same expectations.

A backend is a trading server that answers SearchListings with it; listings are made through the
stack's own trading server, and `settle` waits until the backend shows what was written (PostgreSQL
reads its own tables: nothing to wait for; Elasticsearch is waited for until its index has taken every
event committed so far, then refreshed).
"""

import asyncio
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass

import grpc
import pytest
from elasticsearch import AsyncElasticsearch
from sqlalchemy import select

from marketplace.catalog.v1 import resources_pb2 as catalog_pb2
from marketplace.trading.v1 import trading_service_pb2 as pb
from marketplace.trading.v1 import trading_service_pb2_grpc
from servicekit.db import Database, PoolSettings
from testkit.catalog import new_category
from testkit.stack import replica
from trading.models import OutboxEvent
from trading.search.index import ListingIndex
from trading.search.indexer import position

from ..trading_support import T

BACKENDS = ["postgres", "elasticsearch"]

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
    elif request.param == "elasticsearch":
        async with elasticsearch_trading(stack, request.getfixturevalue("elasticsearch_url")) as target:
            yield target
    else:
        raise AssertionError(f"no such search backend {request.param!r}")


@asynccontextmanager
async def elasticsearch_trading(stack, url: str, **settings) -> AsyncIterator[SearchTarget]:
    """A trading server on the stack's database searching an index of its own in the run's Elasticsearch, with
    `settings` of trading changed."""
    alias = f"listings-{uuid.uuid4().hex[:8]}"
    listings = ListingIndex(AsyncElasticsearch(url), alias)
    db = Database(stack.database_urls["trading"], PoolSettings(size=1))
    try:
        async with (
            replica(stack, "trading", elasticsearch_url=url, elasticsearch_index=alias, **settings) as address,
            grpc.aio.insecure_channel(address) as channel,
        ):

            async def settle() -> None:
                await caught_up(db, listings)

            yield SearchTarget(
                "elasticsearch", trading_service_pb2_grpc.TradingServiceStub(channel).SearchListings, settle
            )
    finally:
        await db.dispose()
        await listings.drop(await listings.client.indices.get(index=f"{alias}-*"))
        await listings.client.close()


async def caught_up(db: Database, listings: ListingIndex, timeout: float = 10.0) -> None:
    """Waits until the index behind the alias has taken every event committed so far, and refreshes it."""
    async with db.read() as session:
        newest = select(OutboxEvent.txid, OutboxEvent.id).order_by(OutboxEvent.txid.desc(), OutboxEvent.id.desc())
        head = tuple((await session.execute(newest.limit(1))).first() or (0, 0))
    async with asyncio.timeout(timeout):
        while (index := await listings.current()) is None or (await position(db, index) or (0, 0)) < head:
            await asyncio.sleep(0.02)
    await listings.refresh()


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
