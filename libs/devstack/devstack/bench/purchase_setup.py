"""The purchase benchmark's preparation, not timed: funded buyers, sellers, and fresh listings of game items.

Buyers and sellers are written straight to accounts' database, as accounts' own bench does, and every
buyer is funded through DepositFunds. CS2 weapon skins of the seeded templates are made through
catalog's CreateItem and listed through trading's CreateListing, a few per seller; the rest are copies
of those, row for row in SQL, each with a copy of its item, until there are as many as asked.
"""

import asyncio
import itertools
import random
import uuid
from datetime import timedelta
from uuid import UUID

import asyncpg
import grpc
from rich.console import Console
from rich.progress import Progress

from accounts.bench import create_users, fund
from catalog.bench import exterior_of
from devstack.bench import BenchStack
from devstack.services import FAST_RECONNECT
from marketplace.accounts.v1 import accounts_service_pb2_grpc
from marketplace.catalog.v1 import catalog_service_pb2, catalog_service_pb2_grpc, resources_pb2
from marketplace.common.v1 import money_pb2
from marketplace.trading.v1 import resources_pb2 as trading_resources
from marketplace.trading.v1 import trading_service_pb2, trading_service_pb2_grpc
from servicekit.auth import Role
from servicekit.values import values_to_proto

SELLERS = 100
LISTED_PER_SELLER = 3  # through the services; the rest are copies of these
PRICE_MINOR = 1999  # USD; accounts' bench funds every wallet with 1,000,000.00
PREPARING_CALLS = 16


def bearer(stack: BenchStack, user_id: UUID, ttl: timedelta = timedelta(minutes=30)) -> str:
    return f"Bearer {stack.keys.token(user_id, Role.BOTH, ttl)}"


async def skin_templates(stack: BenchStack) -> list[UUID]:
    connection = await asyncpg.connect(stack.database_url("catalog"))
    try:
        rows = await connection.fetch(
            "SELECT t.id FROM item_templates t JOIN item_categories c ON c.id = t.category_id"
            " WHERE c.name = 'Weapon skins' ORDER BY t.name"
        )
    finally:
        await connection.close()
    return [row["id"] for row in rows]


async def list_skins(stack: BenchStack, sellers: list[UUID], progress: Progress) -> list[UUID]:
    """LISTED_PER_SELLER skins of each seller made and listed through catalog and trading: the listings' ids."""
    templates = await skin_templates(stack)
    task = progress.add_task("listing skins through the services", total=len(sellers) * LISTED_PER_SELLER)
    semaphore = asyncio.Semaphore(PREPARING_CALLS)
    async with (
        grpc.aio.insecure_channel(stack.config.address("catalog")) as catalog_channel,
        grpc.aio.insecure_channel(stack.config.address("trading")) as trading_channel,
    ):
        catalog = catalog_service_pb2_grpc.CatalogServiceStub(catalog_channel)
        trading = trading_service_pb2_grpc.TradingServiceStub(trading_channel)

        async def one(seller_id: UUID) -> UUID:
            async with semaphore:
                auth = (("authorization", bearer(stack, seller_id)),)
                wear = random.random()
                values = values_to_proto({"wear": wear, "exterior": exterior_of(wear), "pattern_index": 661})
                item = resources_pb2.Item(template_id=str(random.choice(templates)), attributes=values)
                made = await catalog.CreateItem(catalog_service_pb2.CreateItemRequest(item=item), metadata=auth)
                price = money_pb2.Money(currency="USD", amount_minor=PRICE_MINOR)
                listing = trading_resources.Listing(item_id=made.id, price=price)
                request = trading_service_pb2.CreateListingRequest(listing=listing)
                listed = await trading.CreateListing(request, metadata=auth, timeout=30)
                progress.advance(task)
                return UUID(listed.id)

        return list(await asyncio.gather(*(one(seller) for seller in sellers for _ in range(LISTED_PER_SELLER))))


COPY_ITEMS = """
INSERT INTO items
SELECT (jsonb_populate_record(i, jsonb_build_object('id', copy.id))).*
FROM unnest($1::uuid[], $2::uuid[]) AS copy(id, source) JOIN items i ON i.id = copy.source
"""
COPY_ITEM_VALUES = """
INSERT INTO item_attribute_values
SELECT (jsonb_populate_record(v, jsonb_build_object('item_id', copy.id))).*
FROM unnest($1::uuid[], $2::uuid[]) AS copy(id, source) JOIN item_attribute_values v ON v.item_id = copy.source
"""
COPY_LISTINGS = """
INSERT INTO listings
SELECT (jsonb_populate_record(l, jsonb_build_object('id', copy.id, 'item_id', copy.item_id))).*
FROM unnest($1::uuid[], $2::uuid[], $3::uuid[]) AS copy(id, item_id, source) JOIN listings l ON l.id = copy.source
"""
COPY_BATCH = 5_000


async def copy_listings(stack: BenchStack, sources: list[UUID], count: int, progress: Progress) -> list[UUID]:
    """`count` new listings, each a copy of one of the sources with a copy of its item: the same seller,
    template, values and price, as active as the source."""
    task = progress.add_task("copying listings in SQL", total=count)
    trading = await asyncpg.connect(stack.database_url("trading"))
    catalog = await asyncpg.connect(stack.database_url("catalog"))
    copies: list[UUID] = []
    try:
        rows = await trading.fetch("SELECT id, item_id FROM listings WHERE id = ANY($1::uuid[])", sources)
        item_of = {row["id"]: row["item_id"] for row in rows}
        cycle = itertools.cycle(sources)
        while len(copies) < count:
            size = min(COPY_BATCH, count - len(copies))
            listing_sources = [next(cycle) for _ in range(size)]
            items = [uuid.uuid4() for _ in range(size)]
            listings = [uuid.uuid4() for _ in range(size)]
            item_sources = [item_of[source] for source in listing_sources]
            async with catalog.transaction():
                await catalog.execute(COPY_ITEMS, items, item_sources)
                await catalog.execute(COPY_ITEM_VALUES, items, item_sources)
            await trading.execute(COPY_LISTINGS, listings, items, listing_sources)
            copies += listings
            progress.advance(task, size)
        await catalog.execute("VACUUM ANALYZE items, item_attribute_values")
        await trading.execute("VACUUM ANALYZE listings")
    finally:
        await trading.close()
        await catalog.close()
    random.shuffle(copies)
    return copies


async def prepare(
    stack: BenchStack, console: Console, buyers: int, listings: int
) -> tuple[list[UUID], list[UUID], list[UUID]]:
    """The funded buyers, the sellers, and fresh listings of theirs."""
    with Progress(console=console, transient=False) as progress:
        task = progress.add_task("writing users", total=1)
        users = await create_users(stack.database_url("accounts"), buyers + SELLERS)
        progress.advance(task)
        buyer_ids, seller_ids = users[:buyers], users[buyers:]
        task = progress.add_task("funding buyers through DepositFunds", total=buyers)
        async with grpc.aio.insecure_channel(stack.config.address("accounts"), options=FAST_RECONNECT) as channel:
            accounts = accounts_service_pb2_grpc.AccountsServiceStub(channel)
            for start in range(0, buyers, 100):
                chunk = buyer_ids[start : start + 100]
                await fund(accounts, stack.keys, chunk)
                progress.advance(task, len(chunk))
        listed = await list_skins(stack, seller_ids, progress)
        copies = await copy_listings(stack, listed, max(0, listings - len(listed)), progress)
    return buyer_ids, seller_ids, listed + copies
