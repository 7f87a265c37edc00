"""How the kit runs trading: its servicers, outbox, seed, settings, runtime settings, the offer sweeper and the
purchase reconciler."""

import logging
from collections.abc import Coroutine
from datetime import timedelta
from pathlib import Path
from typing import Any

from marketplace.trading.v1 import trading_service_pb2, trading_service_pb2_grpc
from servicekit.periodic import every
from servicekit.runtime import Runtime
from servicekit.server import Registration, ServiceSpec
from trading.api import TradingApi
from trading.clients import Accounts, Catalog
from trading.config import TradingSettings
from trading.domain.settings import TradingRuntimeSettings
from trading.models import OutboxEvent
from trading.search import SearchBackend
from trading.search.postgres import PostgresSearch
from trading.seed import seed
from trading.service.offers import sweep_expired_offers
from trading.service.purchases import Saga, reconcile

log = logging.getLogger(__name__)


def saga(runtime: Runtime) -> Saga:
    timeout = runtime.settings.call_timeout_seconds
    return Saga(
        runtime.db,
        Accounts(runtime.channel("accounts"), timeout),
        Catalog(runtime.channel("catalog"), timeout),
        runtime.runtime_settings,
        runtime.settings.saga_fault,
    )


def search_backend(runtime: Runtime) -> SearchBackend:
    """PostgreSQL unless ELASTICSEARCH_URL is set. The Elasticsearch backend is not built yet: until it is,
    a set URL is logged and PostgreSQL answers."""
    if runtime.settings.elasticsearch_url:
        log.warning("ELASTICSEARCH_URL is set, but trading has no Elasticsearch backend yet: searching PostgreSQL")
    return PostgresSearch(runtime.db, runtime.settings.search_exact_total_limit)


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
)
