"""The searches of the search benchmark, each a kind drawn anew for every call from a seeded RNG.

A kind makes SearchListingsRequests; a target answers them (the gateway over HTTP, or a backend in
this process) through a `Search`, which returns the next page token. The words asked are drawn
from ranks 10 to 1,500 of the listings' vocabulary: each matches between about 3 % and 0.3 % of
the listings.
"""

import random
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass

import httpx

from devstack.bench.load import Call, expect_ok
from devstack.bench.search_data import BROAD_CATEGORY, CITIES, BenchCategory
from marketplace.trading.v1 import trading_service_pb2 as pb
from servicekit.filters import AttributeType

Search = Callable[[pb.SearchListingsRequest], Awaitable[str]]
WORD_RANKS = (10, 1_500)
NEAR_KM = 10.0
DEEP_PAGES = 20
# How much of an attribute's bounds a range filter spans.
RANGE_SHARE = 0.2
FILTERED_TYPES = (AttributeType.ENUM, AttributeType.BOOLEAN, AttributeType.NUMBER, AttributeType.INTEGER)
NUMBER_TYPES = (AttributeType.NUMBER, AttributeType.INTEGER)


@dataclass(frozen=True)
class Vocabulary:
    words: Sequence[str]  # most frequent first
    categories: Sequence[BenchCategory]

    def word(self, rng: random.Random) -> str:
        return self.words[rng.randint(*WORD_RANKS)]

    @property
    def broad(self) -> BenchCategory:
        return next(c for c in self.categories if (c.game, c.seed.name) == BROAD_CATEGORY)


def condition(attribute, rng: random.Random) -> str:
    """A filter on the attribute: one of its first allowed values, true, or a range of RANGE_SHARE of its bounds."""
    if attribute.type is AttributeType.ENUM:
        return f"{attribute.key}:{rng.choice(attribute.allowed_values[:3])}"
    if attribute.type is AttributeType.BOOLEAN:
        return f"{attribute.key}:true"
    low, high = attribute.min_value, attribute.max_value
    start = rng.uniform(low, high - (high - low) * RANGE_SHARE)
    end = start + (high - low) * RANGE_SHARE
    if attribute.type is AttributeType.INTEGER:
        return f"{attribute.key}:{round(start)}..{round(end)}"
    return f"{attribute.key}:{start:.3f}..{end:.3f}"


def filterable(category: BenchCategory, types: tuple[AttributeType, ...]) -> list:
    return [
        attribute
        for attribute in category.seed.attributes
        if attribute.filterable
        and attribute.type in types
        and (attribute.type not in NUMBER_TYPES or attribute.max_value is not None)
    ]


class QueryKind:
    """A kind of search; `call` makes one client's call of it on a target."""

    name: str
    about: str

    def __init__(self, vocabulary: Vocabulary) -> None:
        self.vocabulary = vocabulary

    def request(self, rng: random.Random) -> pb.SearchListingsRequest:
        raise NotImplementedError

    def call(self, search: Search, rng: random.Random) -> Call:
        async def call() -> None:
            await search(self.request(rng))

        return call


class Text(QueryKind):
    name, about = "text", "one word, by relevance"

    def request(self, rng: random.Random) -> pb.SearchListingsRequest:
        return pb.SearchListingsRequest(q=self.vocabulary.word(rng))


class TextInCategory(QueryKind):
    name, about = "text+category+2 filters", "one word in a category, two attribute filters"

    def request(self, rng: random.Random) -> pb.SearchListingsRequest:
        categories = [c for c in self.vocabulary.categories if len(filterable(c, FILTERED_TYPES)) >= 2]
        category = rng.choice(categories)
        attributes = rng.sample(filterable(category, FILTERED_TYPES), 2)
        return pb.SearchListingsRequest(
            q=self.vocabulary.word(rng),
            category_id=str(category.id),
            attributes=[condition(attribute, rng) for attribute in attributes],
        )


class NearCity(QueryKind):
    name, about = "10 km by distance", f"{NEAR_KM:g} km around one of {len(CITIES)} cities, nearest first"

    def request(self, rng: random.Random) -> pb.SearchListingsRequest:
        latitude, longitude = rng.choice(list(CITIES.values()))
        near = pb.Near(lat=latitude, lng=longitude, radius_km=NEAR_KM)
        return pb.SearchListingsRequest(near=near, sort=pb.LISTING_SORT_DISTANCE)


class AttributeRange(QueryKind):
    name, about = "attribute range+facets", f"a category, a range of {RANGE_SHARE:.0%} of a number's bounds"

    def request(self, rng: random.Random) -> pb.SearchListingsRequest:
        pairs = [(c, a) for c in self.vocabulary.categories for a in filterable(c, NUMBER_TYPES)]
        category, attribute = rng.choice(pairs)
        return pb.SearchListingsRequest(category_id=str(category.id), attributes=[condition(attribute, rng)])


class Broad(QueryKind):
    name, about = "broad (~30%)", "the broad category, newest first, every facet"

    def request(self, rng: random.Random) -> pb.SearchListingsRequest:
        return pb.SearchListingsRequest(category_id=str(self.vocabulary.broad.id))


class DeepPages(QueryKind):
    name, about = "deep pages", f"pages 1 to {DEEP_PAGES} of a category by price, token after token"

    def request(self, rng: random.Random) -> pb.SearchListingsRequest:
        category = rng.choice(self.vocabulary.categories)
        return pb.SearchListingsRequest(category_id=str(category.id), sort=pb.LISTING_SORT_PRICE_ASC)

    def call(self, search: Search, rng: random.Random) -> Call:
        """Each call is the next page of the client's current search; after DEEP_PAGES, a new search."""
        state = {"request": self.request(rng), "page": 0}

        async def call() -> None:
            token = await search(state["request"])
            state["page"] += 1
            if not token or state["page"] >= DEEP_PAGES:
                state["request"], state["page"] = self.request(rng), 0
            else:
                state["request"] = pb.SearchListingsRequest(
                    category_id=state["request"].category_id, sort=state["request"].sort, page_token=token
                )

        return call


KINDS: tuple[type[QueryKind], ...] = (Text, TextInCategory, NearCity, AttributeRange, Broad, DeepPages)


def http_params(request: pb.SearchListingsRequest) -> list[tuple[str, str]]:
    """The request as GET /v1/listings's query string."""
    params: list[tuple[str, str]] = []
    for name in ("q", "category_id", "page_token"):
        if value := getattr(request, name):
            params.append((name, value))
    params += [("attributes", condition) for condition in request.attributes]
    if request.HasField("near"):
        near = request.near
        params += [("near.lat", str(near.lat)), ("near.lng", str(near.lng)), ("near.radius_km", str(near.radius_km))]
    if request.sort:
        params.append(("sort", pb.ListingSort.Name(request.sort)))
    return params


def over_http(client: httpx.AsyncClient) -> Search:
    """Searches through the gateway's GET /v1/listings; an answer other than 200 raises Failed."""

    async def search(request: pb.SearchListingsRequest) -> str:
        response = expect_ok(await client.get("/v1/listings", params=http_params(request)))
        return response.json().get("next_page_token", "")

    return search
