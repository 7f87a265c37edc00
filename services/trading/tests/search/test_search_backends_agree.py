"""Both backends answer the same searches of the same listings alike: the same ids in the same order for the
deterministic sorts (newest, price, distance), the same matches for relevance, the same totals and facets, page
after page."""

import random
import uuid

import pytest

from marketplace.common.v1 import location_pb2
from marketplace.trading.v1 import resources_pb2, trading_service_pb2_grpc
from marketplace.trading.v1 import trading_service_pb2 as pb
from servicekit.auth import Role
from testkit.catalog import new_category
from testkit.tokens import bearer, mint

from ..trading_support import Person, eur
from .conftest import SNEAKER_ATTRIBUTES, elasticsearch_trading
from .search_support import listed

WORDS = ("red", "running", "sneakers", "boots", "leather", "vintage", "retro", "high", "low", "canvas")
PLACES = [(52.52, 13.405), (52.39, 13.06), (53.55, 9.99), (48.14, 11.58), (50.94, 6.96)]
CONDITIONS = (resources_pb2.CONDITION_NEW, resources_pb2.CONDITION_GOOD, resources_pb2.CONDITION_FAIR)
FEEDS = (resources_pb2.FEED_DISCOVER, resources_pb2.FEED_COMMUNITY)
LISTINGS = 40


def a_listing(rng: random.Random) -> dict:
    """Fields of a random listing: a few of the words, some of the attributes, a price, a place near a city."""
    attributes = {"size": rng.randint(30, 50)}
    for key, value in (
        ("colour", rng.choice(["black", "white", "red"])),
        ("weight", round(rng.uniform(0.5, 2.5), 2)),
        ("boxed", rng.random() < 0.5),
        ("brand", rng.choice(["Acme", "Globex", "Initech"])),
    ):
        if rng.random() < 0.7:
            attributes[key] = value
    latitude, longitude = rng.choice(PLACES)
    return {
        "title": " ".join(rng.sample(WORDS, 3)),
        "description": " ".join(rng.sample(WORDS, 4)),
        "attributes": attributes,
        # Distinct prices: price sorts tie-break by id, which is random; every other key is distinct too.
        "price": eur(1000 + rng.randrange(1000) * 10 + rng.randrange(10)),
        "condition": rng.choice(CONDITIONS),
        "feed": rng.choice(FEEDS),
        "location": location_pb2.Location(
            latitude=latitude + rng.uniform(-0.05, 0.05), longitude=longitude + rng.uniform(-0.05, 0.05)
        ),
    }


BERLIN = pb.Near(lat=52.52, lng=13.405, radius_km=300)
SEARCHES = [
    {},
    {"sort": pb.LISTING_SORT_PRICE_ASC},
    {"sort": pb.LISTING_SORT_PRICE_DESC, "currency": "EUR", "min_price": 3000, "max_price": 9000},
    {"near": BERLIN, "sort": pb.LISTING_SORT_DISTANCE},
    {"near": BERLIN, "attributes": ["size:35..45"]},
    {"attributes": ["colour:red|white", "boxed:true"]},
    {"attributes": ["weight:..1.5"], "feed": resources_pb2.FEED_DISCOVER},
    {"q": "sneakers", "sort": pb.LISTING_SORT_NEWEST},
    {"q": "leather boots", "sort": pb.LISTING_SORT_PRICE_ASC},
    {"q": "vintage"},
]


@pytest.fixture(scope="module")
async def agreeing(stack, signing_key, elasticsearch_url):
    """A category with LISTINGS random listings (the same each run), and both backends' searches once the
    index has them."""
    category = await new_category(stack, *SNEAKER_ATTRIBUTES)
    seller_id = uuid.uuid4()
    seller = Person(str(seller_id), bearer(mint(signing_key, seller_id, Role.SELLER)))
    trading = trading_service_pb2_grpc.TradingServiceStub(stack.channel("trading"))
    rng = random.Random(12)
    for _ in range(LISTINGS):
        await listed(trading, seller, category.id, **a_listing(rng))
    async with elasticsearch_trading(stack, elasticsearch_url) as elasticsearch:
        await elasticsearch.settle()
        yield category.id, (trading.SearchListings, elasticsearch.search)


def answer(page: pb.SearchListingsResponse) -> tuple:
    facets = {facet.field: [(value.value, value.count) for value in facet.values] for facet in page.facets}
    distances = [round(listing.distance_km, 6) for listing in page.listings]
    return [listing.id for listing in page.listings], distances, page.total_size, facets


@pytest.mark.parametrize("fields", SEARCHES, ids=[repr(fields) for fields in SEARCHES])
async def test_both_backends_answer_alike(agreeing, fields):
    category_id, searches = agreeing
    relevance = "q" in fields and "sort" not in fields
    tokens, found = ["", ""], (set(), set())
    for _ in range(LISTINGS):
        pages = [
            await search(pb.SearchListingsRequest(category_id=category_id, page_size=7, page_token=token, **fields))
            for search, token in zip(searches, tokens, strict=True)
        ]
        (ids, distances, total, facets), (other_ids, other_distances, other_total, other_facets) = map(answer, pages)
        assert (total, facets) == (other_total, other_facets)
        # The engines score differently: by relevance, the same matches over all pages.
        assert relevance or (ids, distances) == (other_ids, other_distances)
        found[0].update(ids)
        found[1].update(other_ids)
        # Each backend pages on with its own token.
        tokens = [page.next_page_token for page in pages]
        if not tokens[0]:
            assert not tokens[1] and found[0] == found[1] and len(found[0]) == total
            return
    raise AssertionError("more pages than listings")
