"""How the kit runs trading: its servicers, outbox, seed, settings, runtime settings, the offer sweeper, the
purchase reconciler, the buy-order matcher, sweeper and reconciler, and with Elasticsearch the listing
indexer and `reindex`."""

from collections.abc import Coroutine
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from marketplace.trading.v1 import trading_service_pb2, trading_service_pb2_grpc
from servicekit.periodic import every
from servicekit.runtime import Runtime
from servicekit.server import Command, Follower, Registration, ServiceSpec
from trading.api import TradingApi
from trading.clients import Accounts, Catalog
from trading.config import TradingSettings
from trading.consumers import match_announced_listings
from trading.domain.settings import TradingRuntimeSettings
from trading.models import OutboxEvent
from trading.search import SearchBackend
from trading.search.postgres import PostgresSearch
from trading.seed import seed
from trading.service.buy_orders import reconcile_buy_orders, sweep_expired_buy_orders
from trading.service.offers import sweep_expired_offers
from trading.service.purchases import Saga, reconcile

if TYPE_CHECKING:
    from trading.search.index import ListingIndex


def saga(runtime: Runtime) -> Saga:
    timeout = runtime.settings.call_timeout_seconds
    return Saga(
        runtime.db,
        Accounts(runtime.channel("accounts"), timeout),
        Catalog(runtime.channel("catalog"), timeout),
        runtime.runtime_settings,
        runtime.settings.saga_fault,
    )


def listing_index(runtime: Runtime) -> "ListingIndex | None":
    """The Elasticsearch index of listings when ELASTICSEARCH_URL is set, one client for the process."""
    settings = runtime.settings
    if not settings.elasticsearch_url:
        return None
    # Imported only with Elasticsearch: its client and HTTP stacks hold 22 MB that a process searching PostgreSQL has no use for.
    from elasticsearch import AsyncElasticsearch

    from trading.search.index import ListingIndex

    return runtime.shared(
        "listing index",
        lambda: ListingIndex(AsyncElasticsearch(settings.elasticsearch_url), settings.elasticsearch_index),
        lambda index: index.client.close(),
    )


def search_backend(runtime: Runtime) -> SearchBackend:
    """Elasticsearch when ELASTICSEARCH_URL is set, else PostgreSQL."""
    index = listing_index(runtime)
    if index is None:
        settings = runtime.settings
        return PostgresSearch(
            runtime.db,
            settings.search_exact_total_limit,
            settings.search_dense_filter_values,
            settings.search_dense_category_share,
            settings.search_sparse_part_matches,
        )
    from trading.search.elasticsearch import ElasticsearchSearch

    return ElasticsearchSearch(runtime.db, index.client, index.alias, runtime.settings.search_exact_total_limit)


def followers(runtime: Runtime) -> list[Follower]:
    """With Elasticsearch, the indexer that keeps it equal to PostgreSQL."""
    index = listing_index(runtime)
    if index is None:
        return []
    from trading.search.indexer import ListingIndexer

    return [ListingIndexer(runtime.db, index)]


def servicers(runtime: Runtime) -> list[Registration]:
    return [
        Registration(
            TradingApi(runtime.db, runtime.runtime_settings, saga(runtime), search_backend(runtime)),
            trading_service_pb2_grpc.add_TradingServiceServicer_to_server,
            trading_service_pb2.DESCRIPTOR.services_by_name["TradingService"],
        )
    ]


def tasks(runtime: Runtime) -> list[Coroutine[Any, Any, None]]:
    settings = runtime.settings
    purchases = saga(runtime)
    grace = timedelta(seconds=settings.saga_grace_seconds)
    return [
        every(settings.offer_sweep_seconds, lambda: sweep_expired_offers(runtime.db), "offer sweeper"),
        every(settings.reconcile_seconds, lambda: reconcile(purchases, grace), "purchase reconciler"),
        every(settings.buy_order_match_seconds, lambda: match_announced_listings(purchases), "buy order matcher"),
        every(settings.buy_order_sweep_seconds, lambda: sweep_expired_buy_orders(purchases), "buy order sweeper"),
        every(settings.reconcile_seconds, lambda: reconcile_buy_orders(purchases, grace), "buy order reconciler"),
    ]


SPEC = ServiceSpec(
    name="trading",
    root=Path(__file__).resolve().parent.parent,
    servicers=servicers,
    outbox=OutboxEvent,
    seed=lambda runtime: seed(runtime, saga(runtime)),
    settings=TradingSettings,
    runtime_settings=TradingRuntimeSettings,
    tasks=tasks,
    consumers=followers,
    commands={
        "reindex": Command(
            "trading.reindex",
            "rebuild the Elasticsearch index of listings from PostgreSQL into a new index and swap the alias",
        )
    },
)
