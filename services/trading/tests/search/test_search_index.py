"""The Elasticsearch index follows PostgreSQL: a change is searchable within a second; replays, an older write,
a killed indexer and a rebuild while listings are made change nothing of what it ends up holding."""

import asyncio
import sys
import time
import uuid

import grpc
import pytest
from elasticsearch import AsyncElasticsearch
from elasticsearch.helpers import async_scan
from sqlalchemy import select, update

from devstack.ports import free_port
from marketplace.trading.v1 import trading_service_pb2 as pb
from marketplace.trading.v1 import trading_service_pb2_grpc
from servicekit.db import Database, PoolSettings
from testkit.stack import command_environment, replica, replica_process
from trading.domain.listings import ListingStatus
from trading.models import Listing, OutboxConsumer
from trading.search.index import ListingIndex, operations
from trading.search.indexer import build, consumer_of, position, sync

from ..trading_support import cancel
from .conftest import caught_up, elasticsearch_trading
from .search_support import ids, listed


@pytest.fixture
async def db(stack):
    database = Database(stack.database_urls["trading"], PoolSettings(size=2))
    yield database
    await database.dispose()


@pytest.fixture
async def listings(elasticsearch_url):
    """An alias of its own for the test; its indexes go at the end."""
    alias = f"listings-{uuid.uuid4().hex[:8]}"
    index = ListingIndex(AsyncElasticsearch(elasticsearch_url), alias)
    yield index
    await index.drop(await index.client.indices.get(index=f"{alias}-*"))
    await index.client.close()


async def indexed(listings: ListingIndex) -> dict[str, tuple[int, dict]]:
    """Every document behind the alias: its version and source, by id."""
    await listings.refresh()
    found = async_scan(listings.client, index=listings.alias, query={"query": {"match_all": {}}}, version=True)
    return {hit["_id"]: (hit["_version"], hit["_source"]) async for hit in found}


async def assert_equal_to_postgres(db: Database, listings: ListingIndex, made: list[str]) -> None:
    """Once caught up, the index holds the listings made and exactly the active listings of the database."""
    await caught_up(db, listings)
    found = await indexed(listings)
    async with db.read() as session:
        rows = await session.scalars(select(Listing.id).where(Listing.status == ListingStatus.ACTIVE))
        active = {str(listing_id) for listing_id in rows}
    assert set(made) <= set(found)
    assert set(found) == active


async def test_a_change_is_searchable_within_a_second_without_waiting(
    stack, trading, seller, sneakers, elasticsearch_url
):
    async with elasticsearch_trading(stack, elasticsearch_url) as target:
        await target.settle()

        async def within_a_second(shown: bool, listing_id: str) -> float:
            started = time.monotonic()
            while time.monotonic() - started < 1.0:
                page = await target.search(pb.SearchListingsRequest(category_id=sneakers.id))
                if (listing_id in ids(page)) is shown:
                    return time.monotonic() - started
                await asyncio.sleep(0.02)
            raise AssertionError(f"{listing_id} not {'shown' if shown else 'gone'} after 1 s")

        listing_id = await listed(trading, seller, sneakers.id)
        await within_a_second(True, listing_id)
        await trading.CancelListing(cancel(listing_id), metadata=seller.auth)
        await within_a_second(False, listing_id)


async def test_an_older_change_never_overwrites_a_newer_document(db, listings, trading, seller, sneakers):
    listing_id = await listed(trading, seller, sneakers.id, title="Newer title")
    async with db.read() as session:
        listing = await session.get(Listing, uuid.UUID(listing_id))
    index = await listings.create()
    await listings.write(index, operations(listing_id, listing, 20))
    listing.title = "Older title"
    await listings.write(index, operations(listing_id, listing, 10))
    await listings.swap(index)
    version, source = (await indexed(listings))[listing_id]
    assert (version, source["title"]) == (20, "Newer title")
    # A delete of an older change leaves the newer document too.
    await listings.write(index, operations(listing_id, None, 15))
    assert (await indexed(listings))[listing_id][1]["title"] == "Newer title"


async def test_replaying_the_outbox_into_the_index_changes_nothing(db, listings, trading, seller, sneakers):
    await listed(trading, seller, sneakers.id)
    index, _ = await build(db, listings)
    kept = await listed(trading, seller, sneakers.id)
    gone = await listed(trading, seller, sneakers.id)
    await trading.CancelListing(cancel(gone), metadata=seller.auth)
    await sync(db, listings, index)
    before = await indexed(listings)
    assert kept in before and gone not in before

    # Every event again, from the start of the outbox.
    async with db.begin() as session:
        await session.execute(
            update(OutboxConsumer).where(OutboxConsumer.consumer == consumer_of(index)).values(txid=0, event_id=0)
        )
    assert await sync(db, listings, index) > 0
    assert await indexed(listings) == before


async def test_a_killed_indexer_loses_and_doubles_nothing(
    stack, db, listings, trading, seller, sneakers, elasticsearch_url
):
    env = {"ELASTICSEARCH_URL": elasticsearch_url, "ELASTICSEARCH_INDEX": listings.alias}
    async with replica_process(stack, "trading", env=env) as indexing:
        await caught_up(db, listings)
        index = await listings.current()
        started = await position(db, index)

        async def kill_once_it_moved() -> None:
            while await position(db, index) == started:
                await asyncio.sleep(0.01)
            indexing.process.kill()

        made, _ = await asyncio.gather(
            asyncio.gather(*(listed(trading, seller, sneakers.id) for _ in range(60))), kill_once_it_moved()
        )
        await indexing.process.wait()
    made += await asyncio.gather(*(listed(trading, seller, sneakers.id) for _ in range(20)))
    assert not set(made) <= set(await indexed(listings))
    async with replica_process(stack, "trading", env=env):
        await assert_equal_to_postgres(db, listings, made)


async def test_a_rebuild_while_listings_are_made_ends_equal_to_postgres(
    stack, db, listings, trading, seller, sneakers, elasticsearch_url
):
    async with replica(stack, "trading", elasticsearch_url=elasticsearch_url, elasticsearch_index=listings.alias):
        await caught_up(db, listings)
        first = await listings.current()

        async def keep_listing() -> list[str]:
            return [await listed(trading, seller, sneakers.id) for _ in range(40)]

        made, (rebuilt, before) = await asyncio.gather(keep_listing(), build(db, listings))
        assert before == [first] and await listings.current() == rebuilt
        await assert_equal_to_postgres(db, listings, made)


async def test_the_reindex_command_swaps_the_alias_onto_a_new_index_and_drops_the_old(
    stack, db, listings, seller, trading, sneakers, elasticsearch_url
):
    listing_id = await listed(trading, seller, sneakers.id)
    old, _ = await build(db, listings)
    env = {
        **command_environment(stack, "trading"),
        "ELASTICSEARCH_URL": elasticsearch_url,
        "ELASTICSEARCH_INDEX": listings.alias,
    }
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "trading", "reindex", env=env, stdout=asyncio.subprocess.PIPE
    )
    output, _ = await process.communicate()
    assert process.returncode == 0, output
    new = await listings.current()
    assert new != old and f"{listings.alias} -> {new}" in output.decode()
    assert list((await listings.client.indices.get(index=f"{listings.alias}-*")).body) == [new]
    assert listing_id in await indexed(listings)


async def test_a_search_while_elasticsearch_is_down_is_unavailable(stack):
    nowhere = f"http://127.0.0.1:{free_port()}"
    async with (
        replica(stack, "trading", elasticsearch_url=nowhere) as address,
        grpc.aio.insecure_channel(address) as channel,
    ):
        with pytest.raises(grpc.aio.AioRpcError) as refused:
            await trading_service_pb2_grpc.TradingServiceStub(channel).SearchListings(pb.SearchListingsRequest())
    assert refused.value.code() is grpc.StatusCode.UNAVAILABLE
