"""The four services started for real on free ports against the run's databases."""

import asyncio
import dataclasses
import importlib
import os
import sys
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc

from devstack.keys import KeyFiles
from devstack.ports import free_port
from devstack.services import FAST_RECONNECT
from servicekit.auth import SigningKey
from servicekit.config import CONTEXTS, Settings
from servicekit.identity import ServiceIdentity, service_token_interceptors
from servicekit.server import RunningService, ServiceSpec, start
from testkit.databases import create_migrated, drop, run_prefix
from testkit.tokens import AUDIENCE, ISSUER


def spec_of(context: str) -> ServiceSpec:
    return importlib.import_module(f"{context}.app").SPEC


@dataclass
class Stack:
    addresses: dict[str, str]
    database_urls: dict[str, str]
    signing_key: SigningKey
    service_keys: dict[str, SigningKey]
    settings: dict[str, Settings] = field(default_factory=dict)
    running: dict[str, RunningService] = field(default_factory=dict)
    _channels: dict[tuple[str, str | None], grpc.aio.Channel] = field(default_factory=dict)

    def channel(self, context: str, as_service: str | None = None) -> grpc.aio.Channel:
        """A channel to a service; with as_service, every call carries that service's token, as its own calls do."""
        if (context, as_service) not in self._channels:
            interceptors = service_token_interceptors(self.identity(as_service), context) if as_service else []
            self._channels[context, as_service] = grpc.aio.insecure_channel(
                self.addresses[context], interceptors=interceptors
            )
        return self._channels[context, as_service]

    def identity(self, service: str) -> ServiceIdentity:
        return ServiceIdentity(service, self.service_keys[service])


async def start_stack(
    server_url: str, keys: KeyFiles, settings: Mapping[str, Mapping[str, Any]] | None = None
) -> Stack:
    """The four services; settings holds, by context, values of the fields its own Settings class adds."""
    prefix = run_prefix()
    specs = {context: spec_of(context) for context in CONTEXTS}
    # One at a time: Alembic's `context` is process-global.
    urls = [await create_migrated(server_url, specs[context], f"{prefix}_{context}") for context in CONTEXTS]
    addresses = {context: f"127.0.0.1:{free_port()}" for context in CONTEXTS}
    stack = Stack(
        addresses=addresses,
        database_urls=dict(zip(CONTEXTS, urls, strict=True)),
        signing_key=keys.load_signing_key(),
        service_keys={context: SigningKey.from_pem(keys.service_key(context).read_bytes()) for context in CONTEXTS},
    )
    # Accounts first: every service follows it from the start, and a channel refused before accounts
    # listens backs off (its subchannel shared in the process), failing other services' calls meanwhile.
    for context in sorted(CONTEXTS, key=lambda context: context != "accounts"):
        service_settings = specs[context].settings(
            service=context,
            database_url=stack.database_urls[context],
            grpc_port=int(addresses[context].rsplit(":", 1)[1]),
            auth_issuer=ISSUER,
            auth_audience=AUDIENCE,
            auth_jwks_file=keys.jwks,
            auth_signing_key_file=keys.signing_key,
            service_key_file=keys.service_key(context),
            service_keys_file=keys.service_keys,
            shutdown_grace_seconds=0,
            addresses={other: address for other, address in addresses.items() if other != context},
            **(settings or {}).get(context, {}),
        )
        stack.settings[context] = service_settings
        stack.running[context] = await start(specs[context], service_settings)
    return stack


@asynccontextmanager
async def replica(stack: Stack, context: str, **changes: Any) -> AsyncIterator[str]:
    """Another server of a context on the stack's database, with some settings changed; its address."""
    settings = dataclasses.replace(stack.settings[context], **{"grpc_port": 0, **changes})
    running = await start(spec_of(context), settings)
    try:
        yield f"127.0.0.1:{running.port}"
    finally:
        await running.stop(grace=0)


def _environment(settings: Settings, port: int) -> dict[str, str]:
    """The environment under which `python -m <context> serve` reads the kit's part of these settings."""
    files = {
        "AUTH_JWKS_FILE": settings.auth_jwks_file,
        "AUTH_SIGNING_KEY_FILE": settings.auth_signing_key_file,
        "SERVICE_KEY_FILE": settings.service_key_file,
        "SERVICE_KEYS_FILE": settings.service_keys_file,
    }
    return {
        **os.environ,
        "DATABASE_URL": settings.database_url,
        "GRPC_HOST": settings.grpc_host,
        "GRPC_PORT": str(port),
        "ENVIRONMENT": settings.environment,
        "AUTH_ISSUER": settings.auth_issuer,
        "AUTH_AUDIENCE": settings.auth_audience,
        "SHUTDOWN_GRACE_SECONDS": "0",
        **{f"{context.upper()}_ADDR": address for context, address in settings.addresses.items()},
        **{variable: str(path) for variable, path in files.items() if path is not None},
    }


def command_environment(stack: Stack, context: str) -> dict[str, str]:
    """The environment under which `python -m <context> <command>` (a seed, say) runs as that service of the
    stack: its database, its keys, the other services' addresses."""
    settings = stack.settings[context]
    return _environment(settings, settings.grpc_port)


@dataclass(frozen=True)
class ReplicaProcess:
    address: str
    process: asyncio.subprocess.Process


@asynccontextmanager
async def replica_process(
    stack: Stack, context: str, start_seconds: float = 60.0, env: Mapping[str, str] | None = None
) -> AsyncIterator[ReplicaProcess]:
    """Another server of a context in a process of its own (`python -m <context> serve`) on the stack's
    database, with the kit's settings of the stack's server and `env` added, once it answers SERVING
    (a test may kill the process)."""
    port = free_port()
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", context, "serve", env={**_environment(stack.settings[context], port), **(env or {})}
    )
    address = f"127.0.0.1:{port}"
    try:
        async with (
            grpc.aio.insecure_channel(address, options=FAST_RECONNECT) as channel,
            asyncio.timeout(start_seconds),
        ):
            health = health_pb2_grpc.HealthStub(channel)
            while True:
                if process.returncode is not None:
                    raise RuntimeError(f"{context} stopped with status {process.returncode} while starting")
                try:
                    reply = await health.Check(health_pb2.HealthCheckRequest(), timeout=1)
                    if reply.status == health_pb2.HealthCheckResponse.SERVING:
                        break
                except grpc.aio.AioRpcError:
                    await asyncio.sleep(0.1)
        yield ReplicaProcess(address, process)
    finally:
        if process.returncode is None:
            process.terminate()
        await process.wait()


async def stop_stack(stack: Stack, server_url: str) -> None:
    for channel in stack._channels.values():
        await channel.close()
    for running in stack.running.values():
        await running.stop(grace=0)
    for url in stack.database_urls.values():
        await drop(server_url, url.rsplit("/", 1)[1])
