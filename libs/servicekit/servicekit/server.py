"""The grpc.aio server of a service: interceptors, health, reflection, graceful stop."""

import asyncio
import importlib
import logging
import signal
from collections.abc import Awaitable, Callable, Coroutine, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any, Protocol

import grpc
from google.protobuf.descriptor import ServiceDescriptor
from grpc_health.v1 import health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection
from sqlalchemy import Connection

from marketplace.common.v1 import events_pb2, events_pb2_grpc
from servicekit import idempotency, partitions, retention
from servicekit.config import Settings
from servicekit.feed import EventFeedServicer
from servicekit.health import ServiceHealth
from servicekit.interceptors import AuthLayer, ErrorLayer, Layers, LoggingLayer, RequestChecksLayer
from servicekit.outbox import OUTBOX, OutboxEventMixin
from servicekit.partitions import PartitionedTable
from servicekit.runtime import Runtime
from servicekit.runtime_settings import RuntimeSettings
from servicekit.suspensions import follow_suspensions, refresh_signing_keys

log = logging.getLogger("servicekit.server")

# Clients reconnect, and so re-resolve DNS and find new replicas, at least this often.
SERVER_OPTIONS = [("grpc.max_connection_age_ms", 5 * 60_000), ("grpc.max_connection_age_grace_ms", 30_000)]


@dataclass(frozen=True)
class Registration:
    """A servicer, the generated function that adds it, and its service descriptor."""

    servicer: Any
    add_to_server: Callable[[Any, grpc.aio.Server], None]
    descriptor: ServiceDescriptor


class Follower(Protocol):
    """What follows something while the service serves (servicekit.consumer's event consumers, an index)."""

    async def run(self, health: ServiceHealth) -> None: ...


@dataclass(frozen=True)
class Command:
    """A command of a service beyond serve, migrate and seed: `main(settings, argv)` of a module of its own,
    imported when the command runs, so that a serving process does not hold what only the command uses (a
    bench's devstack, reindex's Elasticsearch and progress bars)."""

    module: str
    help: str

    def run(self, settings: Settings, argv: list[str]) -> None:
        importlib.import_module(self.module).main(settings, argv)


@dataclass(frozen=True)
class ServiceSpec:
    """Everything the kit needs to run, migrate and seed one service."""

    name: str
    root: Path
    servicers: Callable[[Runtime], Sequence[Registration]]
    outbox: type[OutboxEventMixin]
    seed: Callable[[Runtime], Awaitable[None]] | None = None
    consumers: Callable[[Runtime], Sequence[Follower]] = field(default=lambda runtime: ())
    # Its tables partitioned by time besides the outbox, whose partitions the kit makes ahead.
    partitioned: Sequence[PartitionedTable] = ()
    # A service with settings of its own subclasses Settings and names the subclass here.
    settings: type[Settings] = Settings
    # The runtime settings it declares (servicekit.runtime_settings), which its admins change while it runs.
    runtime_settings: type[RuntimeSettings] | None = None
    # Background jobs it runs while it serves (servicekit.periodic), cancelled when it stops.
    tasks: Callable[[Runtime], Sequence[Coroutine[Any, Any, None]]] = field(default=lambda runtime: ())
    # Commands beyond serve, migrate and seed (`python -m catalog bench ...`), by name.
    commands: Mapping[str, Command] = field(default_factory=dict)


@dataclass
class RunningService:
    server: grpc.aio.Server
    port: int
    runtime: Runtime
    health: ServiceHealth
    tasks: list[asyncio.Task]

    async def stop(self, grace: float | None = None) -> None:
        """Stops taking calls, lets running ones finish within grace, then closes everything."""
        await self.health.stop()
        for task in self.tasks:
            task.cancel()
        await asyncio.gather(*self.tasks, return_exceptions=True)
        await self.server.stop(self.runtime.settings.shutdown_grace_seconds if grace is None else grace)
        await self.runtime.close()


async def start(spec: ServiceSpec, settings: Settings, runtime: Runtime | None = None) -> RunningService:
    """Starts the service on settings.grpc_port (0 picks a free port)."""
    runtime = runtime or Runtime(settings, runtime_settings=spec.runtime_settings)
    tasks = []
    if runtime.runtime_settings is not None:
        # Calls are served with the stored values, never with defaults an admin changed.
        tasks.append(asyncio.create_task(runtime.runtime_settings.follow()))
        await runtime.runtime_settings.loaded.wait()
    server = grpc.aio.server(
        options=SERVER_OPTIONS,
        interceptors=[
            Layers(
                [
                    LoggingLayer(),
                    ErrorLayer(domain=f"{spec.name}.marketplace"),
                    AuthLayer(runtime.verifier, runtime.service_keys, runtime.suspended),
                    RequestChecksLayer(),
                ]
            )
        ],
    )
    registrations = [
        *spec.servicers(runtime),
        Registration(
            EventFeedServicer(runtime.db, spec.outbox),
            events_pb2_grpc.add_EventFeedServiceServicer_to_server,
            events_pb2.DESCRIPTOR.services_by_name["EventFeedService"],
        ),
    ]
    health = ServiceHealth()
    health_pb2_grpc.add_HealthServicer_to_server(health.servicer, server)
    await health.serve("")
    for registration in registrations:
        registration.add_to_server(registration.servicer, server)
        await health.serve(registration.descriptor.full_name)
    names = [r.descriptor.full_name for r in registrations]
    reflection.enable_server_reflection(
        [*names, health_pb2.DESCRIPTOR.services_by_name["Health"].full_name, reflection.SERVICE_NAME], server
    )
    host = f"[{settings.grpc_host}]" if ":" in settings.grpc_host else settings.grpc_host
    port = server.add_insecure_port(f"{host}:{settings.grpc_port}")
    # Today's partitions and the next, before anything is written.
    tables = [OUTBOX, *spec.partitioned]
    await partitions.maintain(runtime.db, tables, health=health)
    await server.start()
    runtime.own_address = f"127.0.0.1:{port}"
    consumers = spec.consumers(runtime)
    tasks += [asyncio.create_task(consumer.run(health)) for consumer in consumers]
    tasks += _follow_accounts(runtime)
    tasks += [asyncio.create_task(job) for job in spec.tasks(runtime)]

    def prune(connection: Connection) -> list[str]:
        """The outbox's passed days, the idempotency keys past their retention, and the records of the events the
        consumers handled before the outbox's retention (no feed sends them again)."""
        kept = timedelta(days=settings.outbox_retention_days)
        dropped = retention.prune(connection, retention=kept)
        if deleted := idempotency.prune(connection, timedelta(hours=settings.idempotency_key_retention_hours)):
            log.info("deleted %d idempotency keys past their retention", deleted)
        for consumer in consumers:
            if deleted := consumer.prune(connection, kept):
                log.info("deleted %d records of events %s handled", deleted, consumer.name)
        return dropped

    tasks.append(
        asyncio.create_task(
            partitions.keep(runtime.db, tables, settings.partition_maintenance_seconds, prune=prune, health=health)
        )
    )
    log.info("%s serving on port %d", spec.name, port)
    return RunningService(server=server, port=port, runtime=runtime, health=health, tasks=tasks)


def _follow_accounts(runtime: Runtime) -> list[asyncio.Task]:
    """Every service follows accounts' suspensions and signing keys (see servicekit.suspensions)."""
    try:
        channel = runtime.channel("accounts")
    except KeyError:
        log.warning("no ACCOUNTS_ADDR: tokens of suspended users are not refused here")
        return []
    return [
        asyncio.create_task(follow_suspensions(runtime.suspended, channel)),
        asyncio.create_task(refresh_signing_keys(runtime.verifier, channel)),
    ]


async def serve(spec: ServiceSpec, settings: Settings) -> None:
    """Runs until SIGTERM or SIGINT, then stops gracefully."""
    running = await start(spec, settings)
    stopping = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stopping.set)
    await stopping.wait()
    log.info("%s stopping", spec.name)
    await running.stop()
