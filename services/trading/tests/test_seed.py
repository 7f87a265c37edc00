"""`python -m trading seed`: the demo market, on a stack of its own seeded as `make run` seeds it (catalog and
accounts first, then trading once the services serve), and the same market however often it runs."""

import asyncio
from dataclasses import dataclass

import asyncpg
import pytest

from accounts.app import SPEC as ACCOUNTS
from catalog.app import SPEC as CATALOG
from marketplace.accounts.v1 import accounts_service_pb2 as accounts_pb
from marketplace.accounts.v1 import accounts_service_pb2_grpc
from marketplace.catalog.v1 import catalog_service_pb2 as catalog_pb
from marketplace.catalog.v1 import catalog_service_pb2_grpc
from marketplace.trading.v1 import resources_pb2, trading_service_pb2_grpc
from marketplace.trading.v1 import trading_service_pb2 as pb
from servicekit.cli import main
from servicekit.demo import DEMO_BUYER, DEMO_PASSWORD, DEMO_SELLER
from servicekit.server import ServiceSpec
from testkit.commands import Finished, run_command
from testkit.stack import Stack, command_environment, start_stack, stop_stack
from trading.app import SPEC as TRADING
from trading.seed_data import CITIES, GOODS, ITEMS, OFFERS, PURCHASE

# What the seed writes, and what it makes other contexts write: a second run must leave all of it as it is.
# (Signing the demo users in and out writes refresh tokens in accounts, as any sign-in does.)
QUERIES = {
    "trading": {
        "listings": "SELECT * FROM listings",
        "offers": "SELECT * FROM offers",
        "transactions": "SELECT * FROM transactions",
        "streams": "SELECT * FROM streams",
        "pinned listings": "SELECT * FROM pinned_listings",
        "outbox events": "SELECT count(*) FROM outbox_events",
    },
    "catalog": {"items": "SELECT id, owner_id, template_id, updated_at FROM items"},
    "accounts": {
        "holds": "SELECT * FROM holds",
        "postings": "SELECT count(*) FROM postings",
        "ledger entries": "SELECT count(*) FROM ledger_entries",
    },
}


async def fetch(stack: Stack, context: str, query: str, *args) -> list[asyncpg.Record]:
    connection = await asyncpg.connect(stack.database_urls[context].replace("+asyncpg", ""))
    try:
        return await connection.fetch(query, *args)
    finally:
        await connection.close()


async def snapshot(stack: Stack) -> dict[str, list]:
    return {
        name: sorted(map(tuple, await fetch(stack, context, query)), key=str)
        for context, queries in QUERIES.items()
        for name, query in queries.items()
    }


async def seed_process(stack: Stack, context: str, **environment: str) -> Finished:
    """`python -m <context> seed` as that service of the stack, as `make run` runs it."""
    return await run_command(context, "seed", env=command_environment(stack, context) | environment)


async def seed_in_process(stack: Stack, spec: ServiceSpec, **environment: str) -> None:
    """The same command through the same entry point, in this process: seconds faster than a new one."""
    with pytest.MonkeyPatch.context() as patch:
        for name, value in (command_environment(stack, spec.name) | environment).items():
            patch.setenv(name, value)
        # In a thread: the command runs its own event loop.
        await asyncio.to_thread(main, spec, ["seed"])


@dataclass(frozen=True)
class Market:
    stack: Stack
    before_accounts: Finished
    listings_before_accounts: int
    first: dict[str, list]
    second: dict[str, list]


@pytest.fixture(scope="module")
async def market(pg_server, key_files, stack_settings) -> Market:
    """A stack of its own (the demo users and the market would change what other tests see), seeded in
    `make run`'s order, with trading's seed also tried before accounts' and run twice after it."""
    stack = await start_stack(pg_server, key_files, stack_settings)
    try:
        await seed_in_process(stack, CATALOG)
        before_accounts = await seed_process(stack, "trading")
        [(listings_before_accounts,)] = await fetch(stack, "trading", "SELECT count(*) FROM listings")
        await seed_in_process(stack, ACCOUNTS, ADMIN_PASSWORD="seed-test-admin-password")
        assert (finished := await seed_process(stack, "trading")).returncode == 0, finished.stderr
        first = await snapshot(stack)
        await seed_in_process(stack, TRADING)
        yield Market(stack, before_accounts, listings_before_accounts, first, await snapshot(stack))
    finally:
        await stop_stack(stack, pg_server)


@dataclass(frozen=True)
class SignedIn:
    id: str
    auth: tuple


async def sign_in(stack: Stack, login: str) -> SignedIn:
    accounts = accounts_service_pb2_grpc.AccountsServiceStub(stack.channel("accounts"))
    session = await accounts.CreateSession(accounts_pb.CreateSessionRequest(login=login, password=DEMO_PASSWORD))
    return SignedIn(session.user_id, (("authorization", f"Bearer {session.access_token}"),))


async def usd_wallet(stack: Stack, user: SignedIn) -> tuple[int, int]:
    accounts = accounts_service_pb2_grpc.AccountsServiceStub(stack.channel("accounts"))
    wallets = await accounts.GetMyWallets(accounts_pb.GetMyWalletsRequest(), metadata=user.auth)
    [usd] = [wallet for wallet in wallets.wallets if wallet.currency == "USD"]
    return usd.balance.amount_minor, usd.held.amount_minor


async def listing_titled(stack: Stack, title: str) -> asyncpg.Record:
    [listing] = await fetch(stack, "trading", "SELECT * FROM listings WHERE title = $1", title)
    return listing


async def test_before_accounts_has_the_demo_users_the_seed_adds_nothing_and_says_why(market):
    assert market.before_accounts.returncode == 0, market.before_accounts.stderr
    assert "the demo users cannot sign in" in market.before_accounts.stderr
    assert market.listings_before_accounts == 0


async def test_seeding_again_changes_nothing(market):
    assert len(market.first["listings"]) == len(ITEMS) + len(GOODS)
    assert market.second == market.first


async def test_the_seller_has_game_items_on_sale_and_goods_in_five_cities(market):
    seller = await sign_in(market.stack, DEMO_SELLER.email)
    rows = await fetch(
        market.stack,
        "trading",
        "SELECT title, seller_id, item_id, condition, attributes, image_urls, status,"
        " ST_Y(location::geometry) AS latitude, ST_X(location::geometry) AS longitude FROM listings",
    )
    assert {str(row["seller_id"]) for row in rows} == {seller.id}
    assert all(row["image_urls"] for row in rows)
    items = [row for row in rows if row["item_id"] is not None]
    assert {row["title"] for row in items} == {spec.title for spec in ITEMS}
    assert {row["status"] for row in items if row["title"] != PURCHASE} == {"active"}
    goods = [row for row in rows if row["item_id"] is None]
    assert {row["title"] for row in goods} == {spec.title for spec in GOODS}
    assert all(row["condition"] and row["attributes"] and row["status"] == "active" for row in goods)
    places = {(round(row["latitude"], 4), round(row["longitude"], 4)) for row in goods}
    assert places == {(city.latitude, city.longitude) for city in CITIES.values()}

    # As anyone sees it through the API.
    trading = trading_service_pb2_grpc.TradingServiceStub(market.stack.channel("trading"))
    sneakers = await listing_titled(market.stack, GOODS[0].title)
    listing = await trading.GetListing(pb.GetListingRequest(listing_id=str(sneakers["id"])))
    assert listing.status == resources_pb2.LISTING_STATUS_ACTIVE
    assert (listing.location.latitude, listing.location.longitude) == (52.52, 13.405)
    assert listing.attributes["size_eu"].number_value == 43
    assert listing.condition == resources_pb2.CONDITION_LIKE_NEW


async def test_the_buyer_has_pending_offers_and_one_the_seller_countered(market):
    buyer = await sign_in(market.stack, DEMO_BUYER.email)
    seller = await sign_in(market.stack, DEMO_SELLER.email)
    offers = await fetch(market.stack, "trading", "SELECT * FROM offers")
    assert {str(offer["buyer_id"]) for offer in offers} == {buyer.id}
    by_buyer = [offer for offer in offers if str(offer["proposer_id"]) == buyer.id]
    assert sorted(offer["status"] for offer in by_buyer) == ["countered"] + ["pending"] * (len(OFFERS) - 1)
    [countered] = [offer for offer in by_buyer if offer["status"] == "countered"]
    [counter] = [offer for offer in offers if str(offer["proposer_id"]) == seller.id]
    assert (counter["status"], counter["previous_offer_id"]) == ("pending", countered["id"])

    trading = trading_service_pb2_grpc.TradingServiceStub(market.stack.channel("trading"))
    karambit = await listing_titled(market.stack, OFFERS[-1].listing)
    seen = await trading.ListOffers(pb.ListOffersRequest(listing_id=str(karambit["id"])), metadata=buyer.auth)
    assert [(offer.amount.amount_minor, offer.status) for offer in seen.offers] == [
        (OFFERS[-1].counter.amount_minor, resources_pb2.OFFER_STATUS_PENDING),
        (OFFERS[-1].amount.amount_minor, resources_pb2.OFFER_STATUS_COUNTERED),
    ]


async def test_the_buyer_bought_a_game_item_through_the_saga_and_owns_it(market):
    buyer = await sign_in(market.stack, DEMO_BUYER.email)
    seller = await sign_in(market.stack, DEMO_SELLER.email)
    [transaction] = await fetch(market.stack, "trading", "SELECT * FROM transactions")
    sold = await listing_titled(market.stack, PURCHASE)
    assert sold["status"] == "sold"
    assert (transaction["listing_id"], transaction["item_id"]) == (sold["id"], sold["item_id"])
    assert (str(transaction["buyer_id"]), str(transaction["seller_id"])) == (buyer.id, seller.id)
    assert transaction["status"] == "completed"
    assert transaction["settled_at"] is not None

    trading = trading_service_pb2_grpc.TradingServiceStub(market.stack.channel("trading"))
    mine = await trading.ListMyTransactions(pb.ListMyTransactionsRequest(), metadata=buyer.auth)
    assert [t.status for t in mine.transactions] == [resources_pb2.TRANSACTION_STATUS_COMPLETED]

    catalog = catalog_service_pb2_grpc.CatalogServiceStub(market.stack.channel("catalog"))
    item = await catalog.GetItem(catalog_pb.GetItemRequest(item_id=str(transaction["item_id"])))
    assert item.owner_id == buyer.id

    price, fee = transaction["amount_minor"], transaction["platform_fee_minor"]
    assert (price, fee) == (2499, 125)  # 5% of 24.99, rounded half up
    assert await usd_wallet(market.stack, buyer) == (100_000 - price, 0)
    assert await usd_wallet(market.stack, seller) == (price - fee, 0)


async def test_the_seller_streams_live_with_pinned_listings_and_has_one_scheduled(market):
    seller = await sign_in(market.stack, DEMO_SELLER.email)
    trading = trading_service_pb2_grpc.TradingServiceStub(market.stack.channel("trading"))
    found = await trading.ListStreams(pb.ListStreamsRequest(owner_id=seller.id))
    assert [s.status for s in found.streams] == [
        resources_pb2.STREAM_STATUS_LIVE,
        resources_pb2.STREAM_STATUS_SCHEDULED,
    ]
    live, scheduled = found.streams
    assert live.category_id and live.url.startswith("https://") and live.HasField("start_time")
    assert scheduled.scheduled_at.ToDatetime() > live.start_time.ToDatetime()
    for stream, count in ((live, 2), (scheduled, 1)):
        pinned = await trading.ListStreamListings(pb.ListStreamListingsRequest(stream_id=stream.id))
        assert len(pinned.listings) == count
        assert {listing.seller_id for listing in pinned.listings} == {seller.id}


async def test_outside_development_the_seed_adds_nothing(market):
    finished = await seed_process(market.stack, "trading", ENVIRONMENT="production")
    assert finished.returncode == 0, finished.stderr
    assert "no demo market outside development" in finished.stderr
    assert await snapshot(market.stack) == market.first
