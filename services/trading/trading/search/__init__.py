"""Listing search: the one interface both backends serve (services/trading/README.md, "Search").

`SearchQuery` is a request read and checked; `SearchBackend.search` answers it with a `SearchResult`.
The backend gets the query, the filters parsed against the category's attributes, and the filterable
attributes to facet; what it promises is the same whichever backend answers.
"""

import enum
import hashlib
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol
from uuid import UUID

from servicekit.errors import FieldViolation, InvalidArgument
from servicekit.filters import AttributeType, Filter
from servicekit.pagination import DEFAULT_PAGE_SIZE, Page
from trading.domain.listings import MAX_QUERY, MAX_RADIUS_KM, Feed
from trading.repository.listings import ListingView

FIRST_PAGE = Page(size=DEFAULT_PAGE_SIZE)
# How many ranges a number attribute's facet has.
NUMBER_FACET_RANGES = 5
CURRENCY = re.compile("[A-Z]{3}")
# The most values a facet lists; the rest are left out (the most frequent stay).
MAX_FACET_VALUES = 20
# Up to how many matches the facets and the total are exact; past it, estimates. At 1,000,000 listings
# PostgreSQL counts the facets of 500 matches in about 7 to 20 ms, of 1,000 in 12 to 40, of 270,000 (a
# category of 30 %) in about 1.5 s.
EXACT_TOTAL_LIMIT = 500
# PostgreSQL: a filter matching more value rows than this is checked per listing of the page, which then walks
# the index of its order (trading.search.postgres._dense).
DENSE_FILTER_VALUES = 2_000
# PostgreSQL: a category holding more than this share of the listings is checked per listing where words lead,
# not ANDed from its index (trading.search.postgres._dense).
DENSE_CATEGORY_SHARE = 0.15
# PostgreSQL: a part of a search's words read in id order with no more matches than this reads them all through
# the words' index; with more, it walks the primary key (trading.search.postgres._sparse_ids).
SPARSE_PART_MATCHES = 4_000


class SearchSort(enum.StrEnum):
    NEWEST = "newest"
    PRICE_ASC = "price_asc"
    PRICE_DESC = "price_desc"
    DISTANCE = "distance"
    RELEVANCE = "relevance"


@dataclass(frozen=True)
class Near:
    latitude: float
    longitude: float
    radius_km: float


@dataclass(frozen=True)
class SearchAttribute:
    """A filterable attribute of the searched category, as catalog defines it."""

    key: str
    type: AttributeType
    allowed_values: tuple[str, ...] = ()
    min_value: float | None = None
    max_value: float | None = None
    filterable: bool = True

    @property
    def bounded(self) -> bool:
        """A number attribute whose facet ranges divide catalog's bounds (else those its matches hold)."""
        return self.type.is_numeric and self.min_value is not None and self.max_value is not None


@dataclass(frozen=True)
class SearchQuery:
    """A search as asked, checked; `attributes` are the conditions as written, parsed once the
    category's attributes are known."""

    text: str = ""
    game_id: UUID | None = None
    category_id: UUID | None = None
    attributes: tuple[str, ...] = ()
    min_price: int | None = None
    max_price: int | None = None
    currency: str = ""
    near: Near | None = None
    feed: Feed | None = None
    seller_id: UUID | None = None
    sort: SearchSort | None = None
    page: Page = FIRST_PAGE

    @property
    def order(self) -> SearchSort:
        """The sort asked for; relevance, asked or not, needs words: without them it is newest."""
        if self.sort is SearchSort.RELEVANCE or self.sort is None:
            return SearchSort.RELEVANCE if self.words else SearchSort.NEWEST
        return self.sort

    @property
    def words(self) -> str:
        return " ".join(self.text.split())

    def fingerprint(self) -> str:
        """A hash of everything the search asks but its page: a page token carries it, so that a token
        of another search is refused instead of paging it wrongly."""
        asked = {
            "q": self.words.lower(),
            "game": str(self.game_id or ""),
            "category": str(self.category_id or ""),
            "attributes": sorted(self.attributes),
            "price": [self.min_price, self.max_price, self.currency],
            "near": [self.near.latitude, self.near.longitude, self.near.radius_km] if self.near else None,
            "feed": self.feed.value if self.feed else "",
            "seller": str(self.seller_id or ""),
            "sort": self.order.value,
        }
        return hashlib.sha256(json.dumps(asked, sort_keys=True).encode()).hexdigest()[:16]

    def after_key(self, *types: type) -> tuple | None:
        """The sort key the page token carries, checked to be of this search and of these types."""
        if self.page.after is None:
            return None
        if not self.page.after or self.page.after[0] != self.fingerprint():
            raise InvalidArgument.field("page_token", "is a token of another search")
        return Page(self.page.size, self.page.after[1:]).after_key(*types)


def check_query(query: SearchQuery) -> list[FieldViolation]:
    """What is wrong with the search however the data is: every problem, named by its field."""
    violations = []
    if len(query.text) > MAX_QUERY:
        violations.append(FieldViolation("q", f"must be at most {MAX_QUERY} characters"))
    # PostgreSQL text holds no NUL: refused here rather than failing in the database.
    for name, value in (("q", query.text), ("currency", query.currency)):
        if "\x00" in value:
            violations.append(FieldViolation(name, "must not contain NUL characters"))
    for index, condition in enumerate(query.attributes):
        if "\x00" in condition:
            violations.append(FieldViolation(f"attributes[{index}]", "must not contain NUL characters"))
    if query.near is not None:
        if not -90 <= query.near.latitude <= 90:
            violations.append(FieldViolation("near.lat", "must be between -90 and 90"))
        if not -180 <= query.near.longitude <= 180:
            violations.append(FieldViolation("near.lng", "must be between -180 and 180"))
        if not 0 < query.near.radius_km <= MAX_RADIUS_KM:
            violations.append(FieldViolation("near.radius_km", f"must be above 0 and at most {MAX_RADIUS_KM:g}"))
    if query.sort is SearchSort.DISTANCE and query.near is None:
        violations.append(FieldViolation("sort", "sorting by distance needs near"))
    for name, bound in (("min_price", query.min_price), ("max_price", query.max_price)):
        if bound is not None and bound < 0:
            violations.append(FieldViolation(name, "must not be negative"))
        if bound is not None and not query.currency:
            violations.append(FieldViolation(name, "needs currency: prices compare within one currency"))
    if query.min_price is not None and query.max_price is not None and query.min_price > query.max_price:
        violations.append(FieldViolation("max_price", "must not be below min_price"))
    if query.currency and not CURRENCY.fullmatch(query.currency):
        violations.append(FieldViolation("currency", "must be an ISO 4217 code such as EUR"))
    if query.attributes and query.category_id is None:
        violations.append(FieldViolation("attributes", "filters on attributes need category_id"))
    return violations


@dataclass(frozen=True)
class SearchHit:
    view: ListingView
    # From near's centre, when the search has one.
    distance_km: float | None = None


@dataclass(frozen=True)
class FacetValue:
    value: str
    count: int


@dataclass(frozen=True)
class Facet:
    field: str
    values: tuple[FacetValue, ...]


@dataclass(frozen=True)
class SearchResult:
    hits: list[SearchHit]
    facets: list[Facet]
    total_size: int
    next_page_token: str = ""


class SearchBackend(Protocol):
    async def search(
        self,
        query: SearchQuery,
        filters: Sequence[Filter[SearchAttribute]],
        facet_attributes: Sequence[SearchAttribute],
        reader_id: UUID | None,
    ) -> SearchResult:
        """The page of active listings matching the query and every filter, in the query's order, with
        the facets over all matches; `facet_attributes` are the category's filterable attributes."""
        ...


def number_ranges(low: float, high: float) -> list[tuple[float, float]]:
    """A number attribute's facet ranges: NUMBER_FACET_RANGES equal ones from low to high (the attribute's
    bounds when catalog defines both, else the smallest and largest value among the matches). A value on
    a boundary counts in the upper range; the last range holds its upper bound."""
    if high <= low:
        return [(low, high)]
    step = (high - low) / NUMBER_FACET_RANGES
    return [
        (low + step * index, high if index == NUMBER_FACET_RANGES - 1 else low + step * (index + 1))
        for index in range(NUMBER_FACET_RANGES)
    ]


def range_value(low: float, high: float) -> str:
    """A range as a filter writes it, as in "0..0.2"."""
    return f"{format_number(low)}..{format_number(high)}"


def format_number(number: float) -> str:
    return str(int(number)) if float(number).is_integer() else repr(round(number, 10))


def scalar_value(value: Any) -> str:
    """An attribute value as a filter writes it."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return format_number(value)
    return str(value)


def ranked(values: Sequence[FacetValue]) -> tuple[FacetValue, ...]:
    """Most frequent first, then by value, at most MAX_FACET_VALUES."""
    return tuple(sorted(values, key=lambda v: (-v.count, v.value))[:MAX_FACET_VALUES])
