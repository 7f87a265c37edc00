"""How the kit runs messaging: its servicers, outbox, seed, settings, runtime settings, the consumer of trading's
events, the listener that wakes live streams, and the pruning of their log."""

import asyncio
from collections.abc import Coroutine
from datetime import timedelta
from pathlib import Path
from typing import Any

from marketplace.messaging.v1 import messaging_service_pb2, messaging_service_pb2_grpc
from messaging.api import MessagingApi
from messaging.clients import Trading
from messaging.config import MessagingSettings
from messaging.consumers import trading_events
from messaging.domain.settings import MessagingRuntimeSettings
from messaging.live import UserEventListener
from messaging.models import OutboxEvent
from messaging.seed import seed
from messaging.service.user_events import prune
from servicekit.periodic import every
from servicekit.runtime import Runtime
from servicekit.server import Follower, Registration, ServiceSpec


def listener(runtime: Runtime) -> UserEventListener:
    """The process's one listening connection, shared by its streams."""
    # Nothing to close: its connection ends with its task.
    return runtime.shared("user events listener", lambda: UserEventListener(runtime.db), lambda _: asyncio.sleep(0))


def servicers(runtime: Runtime) -> list[Registration]:
    return [
        Registration(
            MessagingApi(
                runtime.db,
                runtime.runtime_settings,
                Trading(runtime.channel("trading"), runtime.settings.call_timeout_seconds),
                listener(runtime),
                runtime.settings.stream_reread_seconds,
            ),
            messaging_service_pb2_grpc.add_MessagingServiceServicer_to_server,
            messaging_service_pb2.DESCRIPTOR.services_by_name["MessagingService"],
        )
    ]


def followers(runtime: Runtime) -> list[Follower]:
    return [trading_events(runtime), listener(runtime)]


def tasks(runtime: Runtime) -> list[Coroutine[Any, Any, None]]:
    settings = runtime.settings
    retention = timedelta(hours=settings.user_event_retention_hours)
    return [every(settings.user_event_prune_seconds, lambda: prune(runtime.db, retention), "user event pruning")]


SPEC = ServiceSpec(
    name="messaging",
    root=Path(__file__).resolve().parent.parent,
    servicers=servicers,
    outbox=OutboxEvent,
    seed=seed,
    settings=MessagingSettings,
    runtime_settings=MessagingRuntimeSettings,
    tasks=tasks,
    consumers=followers,
)
