"""How the kit runs messaging: its servicers, outbox and runtime settings."""

from pathlib import Path

from marketplace.messaging.v1 import messaging_service_pb2, messaging_service_pb2_grpc
from messaging.api import MessagingApi
from messaging.clients import Trading
from messaging.domain.settings import MessagingRuntimeSettings
from messaging.models import OutboxEvent
from servicekit.runtime import Runtime
from servicekit.server import Registration, ServiceSpec


def servicers(runtime: Runtime) -> list[Registration]:
    return [
        Registration(
            MessagingApi(
                runtime.db,
                runtime.runtime_settings,
                Trading(runtime.channel("trading"), runtime.settings.call_timeout_seconds),
            ),
            messaging_service_pb2_grpc.add_MessagingServiceServicer_to_server,
            messaging_service_pb2.DESCRIPTOR.services_by_name["MessagingService"],
        )
    ]


SPEC = ServiceSpec(
    name="messaging",
    root=Path(__file__).resolve().parent.parent,
    servicers=servicers,
    outbox=OutboxEvent,
    runtime_settings=MessagingRuntimeSettings,
)
