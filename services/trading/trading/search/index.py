"""The Elasticsearch index of listings: its mapping, a listing's document, and the writes that keep it
(services/trading/README.md, "Search", "Elasticsearch").

Searches go through an alias; behind it is one physical index at a time (`<alias>-<time>-<random>`), so
that a rebuild fills a new one and swaps the alias in one step. Every write carries an external
version (the outbox transaction id of the change it follows, `version_type=external_gte`): a write of
an older change than the document's is refused by Elasticsearch itself, whoever sends it and when.
"""

import secrets
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

from elasticsearch import AsyncElasticsearch, NotFoundError

from servicekit.geo import point_from_wkb
from trading.domain.listings import ListingStatus
from trading.models import Listing
from trading.repository.listings import typed_value

SETTINGS = {
    # One shard: facet counts and totals are exact, and a million listings are far from a shard's limits.
    "number_of_shards": 1,
    # A replica wherever a second node can hold it; none on a single node.
    "auto_expand_replicas": "0-1",
    # A change is searchable within half a second of its write (the indexer polls every 0.1 s).
    "refresh_interval": "500ms",
    # How long a deleted document's version is remembered: a write of an older change that arrives later
    # than this after the delete could bring the listing back. An hour is far beyond any write's delay.
    "gc_deletes": "1h",
}
MAPPING = {
    "dynamic": "strict",
    "properties": {
        "id": {"type": "keyword"},
        # Words as the PostgreSQL backend's 'simple' configuration reads them: split and lower-cased,
        # no stemming, no folding (the distribution the tests run has neither). A word found scores its
        # field's weight alone (`boolean`), not BM25: relevance is tiered (trading.search.elasticsearch).
        "title": {"type": "text", "analyzer": "standard", "similarity": "boolean"},
        "description": {"type": "text", "analyzer": "standard", "similarity": "boolean"},
        "seller_id": {"type": "keyword"},
        "game_id": {"type": "keyword"},
        "category_id": {"type": "keyword"},
        "condition": {"type": "keyword"},
        "feed": {"type": "keyword"},
        "currency": {"type": "keyword"},
        "price_minor": {"type": "long"},
        # Nanoseconds: PostgreSQL keeps microseconds, and newest-first must order as it does.
        "created_at": {"type": "date_nanos"},
        "location": {"type": "geo_point"},
        # One entry per attribute, exactly one of its typed values set: a filter or a facet reads the
        # entry of its key (nested, so that a key and a value match within one entry).
        "attributes": {
            "type": "nested",
            "properties": {
                "key": {"type": "keyword"},
                "string": {"type": "keyword"},
                "number": {"type": "double"},
                "boolean": {"type": "boolean"},
            },
        },
    },
}
# The typed columns of a value (trading.repository.listings.typed_value) as a document's entry names them.
TYPED_FIELDS = {"value_string": "string", "value_number": "number", "value_boolean": "boolean"}


def document_of(listing: Listing) -> dict[str, Any]:
    """What the index holds of an active listing: what a search filters, sorts and facets on."""
    location = point_from_wkb(listing.location)
    return {
        "id": str(listing.id),
        "title": listing.title,
        "description": listing.description,
        "seller_id": str(listing.seller_id),
        "game_id": str(listing.game_id) if listing.game_id else None,
        "category_id": str(listing.category_id) if listing.category_id else None,
        "condition": listing.condition.value if listing.condition else None,
        "feed": listing.feed.value,
        "currency": listing.currency,
        "price_minor": listing.price_minor,
        "created_at": listing.created_at.astimezone(UTC).isoformat(),
        "location": {"lat": location.latitude, "lon": location.longitude} if location else None,
        "attributes": [
            {"key": key, **{TYPED_FIELDS[column]: value for column, value in columns.items()}}
            for key, value in listing.attributes.items()
            if (columns := typed_value(value)) is not None
        ],
    }


def operations(listing_id: str, listing: Listing | None, version: int) -> list[dict[str, Any]]:
    """The bulk lines that make the index show the listing as it is now: its document when it is active,
    none otherwise (a draft, a reserved, sold or cancelled listing, or no listing at all)."""
    meta = {"_id": listing_id, "version": version, "version_type": "external_gte"}
    if listing is not None and listing.status is ListingStatus.ACTIVE:
        return [{"index": meta}, document_of(listing)]
    return [{"delete": meta}]


class ListingIndex:
    """The physical indexes behind the alias, and the writes into one of them."""

    def __init__(self, client: AsyncElasticsearch, alias: str) -> None:
        self.client = client
        self.alias = alias

    async def current(self) -> str | None:
        """The physical index the alias points at; None before the first is built."""
        return next(iter(await self._aliased()), None)

    async def create(self) -> str:
        """A new, empty physical index with the mapping."""
        name = f"{self.alias}-{datetime.now(UTC):%Y%m%d%H%M%S}-{secrets.token_hex(3)}"
        await self.client.indices.create(index=name, settings=SETTINGS, mappings=MAPPING)
        return name

    async def write(self, index: str, lines: list[dict[str, Any]]) -> None:
        """Sends bulk lines (`operations`) in one request. A version conflict is a newer write already there,
        and a delete of a listing the index never held finds nothing: both are as wanted; anything else fails."""
        if not lines:
            return
        answer = await self.client.bulk(operations=lines, index=index)
        if answer["errors"]:
            failed = [
                outcome
                for item in answer["items"]
                for outcome in item.values()
                if outcome["status"] >= 300 and outcome["status"] not in (404, 409)
            ]
            if failed:
                raise IndexWriteFailed(failed[0])

    async def swap(self, index: str) -> list[str]:
        """Points the alias at `index` alone, in one step; the indexes it pointed at before."""
        before = [name for name in await self._aliased() if name != index]
        await self.client.indices.update_aliases(
            actions=[
                {"remove": {"index": f"{self.alias}-*", "alias": self.alias, "must_exist": False}},
                {"add": {"index": index, "alias": self.alias}},
            ]
        )
        return before

    async def _aliased(self) -> list[str]:
        try:
            return list((await self.client.indices.get_alias(name=self.alias)).body)
        except NotFoundError:
            return []

    async def drop(self, names: Iterable[str]) -> None:
        for name in names:
            await self.client.indices.delete(index=name, ignore_unavailable=True)

    async def refresh(self) -> None:
        await self.client.indices.refresh(index=self.alias)


class IndexWriteFailed(Exception):
    """Elasticsearch refused a write for another reason than an older version: the batch is tried again."""
