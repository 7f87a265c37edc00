"""How the kit runs trading: its servicers, outbox, settings, runtime settings and the offer sweeper."""

from collections.abc import Coroutine
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
from trading.service.offers import sweep_expired_offers


def servicers(runtime: Runtime) -> list[Registration]:
    timeout = runtime.settings.call_timeout_seconds
    return [
        Registration(
            TradingApi(
                runtime.db,
                runtime.runtime_settings,
                Catalog(runtime.channel("catalog"), timeout),
                Accounts(runtime.channel("accounts"), timeout),
            ),
            trading_service_pb2_grpc.add_TradingServiceServicer_to_server,
            trading_service_pb2.DESCRIPTOR.services_by_name["TradingService"],
        )
    ]


def tasks(runtime: Runtime) -> list[Coroutine[Any, Any, None]]:
    seconds = runtime.settings.offer_sweep_seconds
    return [every(seconds, lambda: sweep_expired_offers(runtime.db), "offer sweeper")]


SPEC = ServiceSpec(
    name="trading",
    root=Path(__file__).resolve().parent.parent,
    servicers=servicers,
    outbox=OutboxEvent,
    settings=TradingSettings,
    runtime_settings=TradingRuntimeSettings,
    tasks=tasks,
)
