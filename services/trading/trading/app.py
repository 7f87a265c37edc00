"""How the kit runs trading: its servicers, outbox and runtime settings."""

from pathlib import Path

from marketplace.trading.v1 import trading_service_pb2, trading_service_pb2_grpc
from servicekit.runtime import Runtime
from servicekit.server import Registration, ServiceSpec
from trading.api import TradingApi
from trading.clients import Accounts, Catalog
from trading.domain.settings import TradingRuntimeSettings
from trading.models import OutboxEvent


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


SPEC = ServiceSpec(
    name="trading",
    root=Path(__file__).resolve().parent.parent,
    servicers=servicers,
    outbox=OutboxEvent,
    runtime_settings=TradingRuntimeSettings,
)
