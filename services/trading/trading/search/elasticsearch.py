"""The Elasticsearch search backend (services/trading/README.md, "Search", "Elasticsearch").

One search request answers the page's ids (search_after on the sort key), the exact total and every
facet (aggregations over all matches); a second, without hits, counts the ranges of number attributes
whose bounds catalog does not define (they are the smallest and largest value among the matches, which
the first one finds). The page's listings are then read from PostgreSQL by id, as every other read of a
listing: counts, likes and distance are those of the database.
"""

from collections.abc import Sequence
from typing import Any
from uuid import UUID

from elasticsearch import AsyncElasticsearch, TransportError
from sqlalchemy import select

from servicekit.db import Database
from servicekit.errors import Unavailable
from servicekit.filters import AttributeType, Filter
from servicekit.pagination import BigInt, encode_token
from trading.models import Listing
from trading.repository.listings import ListingView, view_columns
from trading.search import (
    EXACT_TOTAL_LIMIT,
    MAX_FACET_VALUES,
    Facet,
    FacetValue,
    SearchAttribute,
    SearchHit,
    SearchQuery,
    SearchResult,
    SearchSort,
    number_ranges,
    range_value,
    ranked,
    scalar_value,
)
from trading.search.postgres import distance_km

# What a search reads of the answer; the rest is left out by Elasticsearch, not parsed here.
ANSWERED = ["hits.total", "hits.hits._id", "hits.hits.sort", "aggregations"]
# The listing fields faceted by a terms aggregation, as the index names them.
COLUMN_FACETS = ("game_id", "category_id", "condition", "feed")
# What a word found only as a typo scores, against 1 for a word of the description and 2 of the title.
TYPO_WEIGHT = 0.1
# The field a typed filter or facet reads in an attribute entry.
TYPED_FIELD = {
    AttributeType.STRING: "string",
    AttributeType.ENUM: "string",
    AttributeType.INTEGER: "number",
    AttributeType.NUMBER: "number",
    AttributeType.BOOLEAN: "boolean",
}


class SearchUnavailable(Unavailable):
    reason = "SEARCH_UNAVAILABLE"


class ElasticsearchSearch:
    def __init__(
        self, db: Database, client: AsyncElasticsearch, index: str, exact_total_limit: int = EXACT_TOTAL_LIMIT
    ) -> None:
        self._db = db
        self._client = client
        self._index = index
        self._exact_total_limit = exact_total_limit

    async def search(
        self,
        query: SearchQuery,
        filters: Sequence[Filter[SearchAttribute]],
        facet_attributes: Sequence[SearchAttribute],
        reader_id: UUID | None,
    ) -> SearchResult:
        sort, types = _sort(query)
        after = query.after_key(*types)
        matching = _query(query, filters)
        try:
            answer = await self._client.search(
                index=self._index,
                query=matching,
                sort=sort,
                size=query.page.size + 1,
                search_after=list(after) if after is not None else None,
                track_total_hits=True,
                source=False,
                aggs=self._sampled(_aggregations(facet_attributes)),
                filter_path=ANSWERED,
            )
            sample = answer["aggregations"]["sample"]
            seen = _seen_ranges(facet_attributes, sample)
            if seen:
                sample = {**sample, **await self._count_ranges(matching, seen)}
        except TransportError as exc:
            raise SearchUnavailable(f"the search index did not answer: {exc}") from exc
        total = answer["hits"]["total"]["value"]
        # Past the limit the facets counted a sample of the matches: scaled to stand for all of them.
        scale = total / sample["doc_count"] if total > sample["doc_count"] else 1.0
        found = answer["hits"].get("hits", [])
        token = ""
        if len(found) > query.page.size:
            found = found[: query.page.size]
            token = encode_token((query.fingerprint(), *found[-1]["sort"]))
        facets = [_column_facet(name, sample[name]) for name in COLUMN_FACETS]
        facets += [_attribute_facet(attribute, sample) for attribute in facet_attributes]
        facets = [Facet(f.field, tuple(FacetValue(v.value, round(v.count * scale)) for v in f.values)) for f in facets]
        hits = await self._hits(query, [UUID(hit["_id"]) for hit in found], reader_id)
        return SearchResult(hits=hits, facets=facets, total_size=total, next_page_token=token)

    def _sampled(self, aggregations: dict) -> dict:
        """The aggregations over the first `exact_total_limit` + 1 matches (the best scored, or in the index's
        order): all of them up to the limit, a sample past it, as PostgreSQL's facets count."""
        return {"sample": {"sampler": {"shard_size": self._exact_total_limit + 1}, "aggs": aggregations}}

    async def _count_ranges(self, matching: dict, seen: dict[str, list[tuple[float, float]]]) -> dict[str, Any]:
        aggs = {f"attributes.{key}": _range_aggregation(key, ranges) for key, ranges in seen.items()}
        answer = await self._client.search(
            index=self._index, query=matching, size=0, aggs=self._sampled(aggs), filter_path=["aggregations"]
        )
        return answer["aggregations"]["sample"]

    async def _hits(self, query: SearchQuery, ids: list[UUID], reader_id: UUID | None) -> list[SearchHit]:
        """The listings of the page from PostgreSQL, in the index's order."""
        if not ids:
            return []
        distance = distance_km(query).label("distance_km") if query.near else None
        columns = [Listing, *view_columns(Listing.id, reader_id), *([distance] if distance is not None else [])]
        async with self._db.read() as session:
            rows = {row[0].id: row for row in await session.execute(select(*columns).where(Listing.id.in_(ids)))}
        return [
            SearchHit(ListingView(*row[:4]), row[4] if distance is not None else None)
            for listing_id in ids
            if (row := rows.get(listing_id)) is not None
        ]


def _query(query: SearchQuery, filters: Sequence[Filter[SearchAttribute]]) -> dict:
    """The bool query of everything the search asks; only active listings are in the index."""
    conditions: list[dict] = []
    for field, value in (
        ("game_id", query.game_id),
        ("category_id", query.category_id),
        ("seller_id", query.seller_id),
        ("feed", query.feed.value if query.feed else None),
        ("currency", query.currency or None),
    ):
        if value is not None:
            conditions.append({"term": {field: str(value)}})
    if query.min_price is not None or query.max_price is not None:
        bounds = {"gte": query.min_price, "lte": query.max_price}
        conditions.append({"range": {"price_minor": {k: v for k, v in bounds.items() if v is not None}}})
    if query.near is not None:
        near = query.near
        conditions.append(
            {
                "geo_distance": {
                    "distance": f"{near.radius_km}km",
                    "location": {"lat": near.latitude, "lon": near.longitude},
                }
            }
        )
    conditions += [_on_key_query(condition.attribute.key, _value_condition(condition)) for condition in filters]
    must = [_words(query.words)] if query.words else []
    return {"bool": {"filter": conditions, "must": must}}


def _words(words: str) -> dict:
    """Every word in the title or the description, or else every word as a typo of a word of the title.

    The fields score by `boolean` similarity (trading.search.index): a word found scores its field's weight,
    2 in the title and 1 in the description, so that a listing with every word in its title comes first, then
    those with some in the description, and a typo match (a tenth of a word each) after every full-text match.
    Ties go by id."""
    return {
        "bool": {
            "should": [
                _every_word(words, ["title^2", "description"]),
                # The first letter as typed: a typo rarely starts a word, and it bounds the terms expanded.
                {
                    "match": {
                        "title": {
                            "query": words,
                            "operator": "and",
                            "fuzziness": "AUTO",
                            "prefix_length": 1,
                            "boost": TYPO_WEIGHT,
                        }
                    }
                },
            ],
            "minimum_should_match": 1,
        }
    }


def _every_word(words: str, fields: list[str]) -> dict:
    """Every word in one of the fields; quoted phrases and -exclusions as websearch_to_tsquery reads them."""
    return {
        "simple_query_string": {
            "query": words,
            "fields": fields,
            "default_operator": "and",
            "flags": "PHRASE|NOT|WHITESPACE",
        }
    }


def _value_condition(condition: Filter[SearchAttribute]) -> dict:
    field = f"attributes.{TYPED_FIELD[condition.attribute.type]}"
    if condition.values:
        return {"terms": {field: list(condition.values)}}
    bounds = {"gte": condition.minimum, "lte": condition.maximum}
    return {"range": {field: {k: v for k, v in bounds.items() if v is not None}}}


def _on_key_query(key: str, condition: dict) -> dict:
    return {
        "nested": {"path": "attributes", "query": {"bool": {"filter": [{"term": {"attributes.key": key}}, condition]}}}
    }


def _sort(query: SearchQuery) -> tuple[list[dict], tuple[type, ...]]:
    """The sort key (ties by id, as in PostgreSQL) and the types a token's key must have."""
    order = query.order
    if order is SearchSort.RELEVANCE:
        return [{"_score": "desc"}, {"id": "desc"}], (float, str)
    if order is SearchSort.PRICE_ASC:
        return [{"price_minor": "asc"}, {"id": "asc"}], (BigInt, str)
    if order is SearchSort.PRICE_DESC:
        return [{"price_minor": "desc"}, {"id": "desc"}], (BigInt, str)
    if order is SearchSort.DISTANCE:
        near = query.near
        return [
            {
                "_geo_distance": {
                    "location": {"lat": near.latitude, "lon": near.longitude},
                    "unit": "km",
                    "order": "asc",
                }
            },
            {"id": "asc"},
        ], (float, str)
    return [{"created_at": "desc"}, {"id": "desc"}], (BigInt, str)


def _on_key(key: str, aggregation: dict) -> dict:
    """An aggregation over the attribute entries of one key."""
    return {
        "nested": {"path": "attributes"},
        "aggs": {"key": {"filter": {"term": {"attributes.key": key}}, "aggs": {"values": aggregation}}},
    }


def _aggregations(attributes: Sequence[SearchAttribute]) -> dict:
    """The facets: terms of the listing's fields and of text and boolean attributes; ranges of number
    attributes catalog bounds, and the smallest and largest value of the others (`_seen_ranges`)."""
    terms = {"size": MAX_FACET_VALUES, "order": [{"_count": "desc"}, {"_key": "asc"}]}
    aggs: dict[str, Any] = {name: {"terms": {"field": name, **terms}} for name in COLUMN_FACETS}
    for attribute in attributes:
        name = f"attributes.{attribute.key}"
        if attribute.bounded:
            bounds = number_ranges(float(attribute.min_value), float(attribute.max_value))
            aggs[name] = _range_aggregation(attribute.key, bounds)
        elif attribute.type.is_numeric:
            aggs[name] = _on_key(attribute.key, {"stats": {"field": "attributes.number"}})
        else:
            field = f"attributes.{TYPED_FIELD[attribute.type]}"
            aggs[name] = _on_key(attribute.key, {"terms": {"field": field, **terms}})
    return aggs


def _seen_ranges(attributes: Sequence[SearchAttribute], aggregations: dict) -> dict[str, list[tuple[float, float]]]:
    """The facet ranges of the number attributes catalog does not bound, from the values the matches have."""
    seen = {}
    for attribute in attributes:
        if attribute.type.is_numeric and not attribute.bounded:
            stats = aggregations[f"attributes.{attribute.key}"]["key"]["values"]
            if stats["count"]:
                seen[attribute.key] = number_ranges(stats["min"], stats["max"])
    return seen


def _range_aggregation(key: str, ranges: list[tuple[float, float]]) -> dict:
    """Elasticsearch's ranges include `from` and exclude `to`: a value on a boundary counts in the upper
    range, as in PostgreSQL, and the first and last are open so that the clamped ends count in them."""
    buckets = []
    for index, (low, high) in enumerate(ranges):
        bucket: dict[str, Any] = {"key": range_value(low, high)}
        if index > 0:
            bucket["from"] = low
        if index < len(ranges) - 1:
            bucket["to"] = high
        buckets.append(bucket)
    return _on_key(key, {"range": {"field": "attributes.number", "ranges": buckets}})


def _column_facet(name: str, aggregation: dict) -> Facet:
    return Facet(name, ranked([FacetValue(str(b["key"]), b["doc_count"]) for b in aggregation["buckets"]]))


def _attribute_facet(attribute: SearchAttribute, aggregations: dict) -> Facet:
    name = f"attributes.{attribute.key}"
    # A number attribute without matches has only its (empty) stats: no ranges.
    buckets = aggregations[name]["key"]["values"].get("buckets", [])
    if attribute.type.is_numeric:
        values = [FacetValue(b["key"], b["doc_count"]) for b in buckets if b["doc_count"]]
    else:
        values = [FacetValue(scalar_value(_key(attribute, b)), b["doc_count"]) for b in buckets]
    return Facet(name, ranked(values))


def _key(attribute: SearchAttribute, bucket: dict) -> Any:
    """A terms bucket's value: a boolean's key is 0 or 1, its `key_as_string` the word."""
    return bucket["key_as_string"] == "true" if attribute.type is AttributeType.BOOLEAN else bucket["key"]
