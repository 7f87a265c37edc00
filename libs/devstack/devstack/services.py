"""The four services and the gateway as processes: their environment, migrations, start-up checks.

Shared by `devstack run`, `devstack migrate` and `devstack bench`.
"""

import asyncio
import os
import socket
import sys
import time
from collections.abc import Mapping, Sequence

import grpc
import httpx
from grpc_health.v1 import health_pb2, health_pb2_grpc

from devstack.config import StackConfig
from devstack.keys import KeyFiles
from devstack.postgres import create_database, service_url
from devstack.stack import Supervisor
from servicekit.config import CONTEXTS

# Fail and retry fast while a server is still coming up, instead of gRPC's default backoff of up to two minutes.
FAST_RECONNECT = [("grpc.initial_reconnect_backoff_ms", 100), ("grpc.max_reconnect_backoff_ms", 500)]


async def all_or_nothing(*awaitables) -> None:
    """Runs the awaitables side by side; the first to fail cancels the rest and its error is raised."""
    tasks = [asyncio.ensure_future(awaitable) for awaitable in awaitables]
    try:
        await asyncio.gather(*tasks)
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)


def check_ports_free(config: StackConfig) -> None:
    """Refuses to start when a port is already taken, naming the variable that moves it."""
    wanted = {f"{context.upper()}_PORT": port for context, port in config.ports.items()}
    wanted["GATEWAY_PORT"] = config.gateway_port
    for variable, port in wanted.items():
        with socket.socket() as sock:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                sock.bind(("0.0.0.0", port))
            except OSError:
                raise SystemExit(f"port {port} is in use: stop what runs there or set {variable}") from None


def python(module: str, *args: str) -> list[str]:
    return [sys.executable, "-m", module, *args]


def base_env(extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """The environment every child starts from: ours, unbuffered, in development mode."""
    env = dict(os.environ)
    env.update(PYTHONUNBUFFERED="1", ENVIRONMENT="development")
    env.setdefault("SHUTDOWN_GRACE_SECONDS", "5")
    env.update(extra or {})
    return env


def addresses(config: StackConfig) -> dict[str, str]:
    return {f"{context.upper()}_ADDR": config.address(context) for context in CONTEXTS}


def service_env(config: StackConfig, server: str, context: str, keys: KeyFiles | None, env: Mapping[str, str]) -> dict:
    values = {
        **env,
        **addresses(config),
        "DATABASE_URL": service_url(server, config.database(context)),
        "GRPC_PORT": str(config.ports[context]),
    }
    values.pop("AUTH_SIGNING_KEY_FILE", None)
    if keys is not None:
        values["AUTH_JWKS_FILE"] = str(keys.jwks)
        values["SERVICE_KEY_FILE"] = str(keys.service_key(context))
        values["SERVICE_KEYS_FILE"] = str(keys.service_keys)
        if context == "accounts":
            values["AUTH_SIGNING_KEY_FILE"] = str(keys.signing_key)
    return values


def gateway_env(config: StackConfig, env: Mapping[str, str]) -> dict:
    return {
        **env,
        **addresses(config),
        "GATEWAY_HOST": config.gateway_host,
        "GATEWAY_PORT": str(config.gateway_port),
    }


async def create_databases(server: str, config: StackConfig) -> None:
    for context in CONTEXTS:
        await create_database(server, config.database(context))


async def migrate_all(
    supervisor: Supervisor,
    server: str,
    config: StackConfig,
    env: Mapping[str, str],
    *,
    seed: Mapping[str, Mapping[str, str]] | None = None,
) -> None:
    """Migrates every service to head, then seeds those in `seed` (context -> extra environment).

    Each service migrates in its own process (Alembic's context is global to a process), so the
    four run side by side; each one's seed follows its own migration.
    """

    async def one(context: str) -> None:
        values = service_env(config, server, context, None, env)
        await supervisor.run_once(f"{context}:migrate", python(context, "migrate"), values)
        if seed is not None and context in seed:
            await supervisor.run_once(f"{context}:seed", python(context, "seed"), {**values, **seed[context]})

    await all_or_nothing(*(one(context) for context in CONTEXTS))


async def wait_serving(supervisor: Supervisor, address: str, deadline: float) -> None:
    """Until the server at address answers the standard health check SERVING."""
    async with grpc.aio.insecure_channel(address, options=FAST_RECONNECT) as channel:
        stub = health_pb2_grpc.HealthStub(channel)
        while True:
            supervisor.check_alive()
            try:
                reply = await stub.Check(health_pb2.HealthCheckRequest(service=""), timeout=1)
                if reply.status == health_pb2.HealthCheckResponse.SERVING:
                    return
            except grpc.aio.AioRpcError:
                pass
            if time.monotonic() > deadline:
                raise TimeoutError(f"{address} did not answer the health check SERVING in time")
            await asyncio.sleep(0.2)


async def wait_http_ok(supervisor: Supervisor, url: str, deadline: float) -> None:
    """Until GET url answers 200."""
    async with httpx.AsyncClient(timeout=2) as client:
        while True:
            supervisor.check_alive()
            try:
                if (await client.get(url)).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                raise TimeoutError(f"{url} did not answer 200 in time")
            await asyncio.sleep(0.2)


async def start_services(
    supervisor: Supervisor, server: str, config: StackConfig, keys: KeyFiles, env: Mapping[str, str]
) -> None:
    """Starts the four services and waits until they are SERVING."""
    deadline = time.monotonic() + config.start_timeout
    for context in CONTEXTS:
        await supervisor.start(context, python(context, "serve"), service_env(config, server, context, keys, env))
    await all_or_nothing(*(wait_serving(supervisor, config.address(context), deadline) for context in CONTEXTS))


async def seed_with_services(
    supervisor: Supervisor,
    server: str,
    config: StackConfig,
    keys: KeyFiles,
    env: Mapping[str, str],
    contexts: Sequence[str],
) -> None:
    """Seeds, one after another, the contexts whose seed calls the services (which serve by now): each as the
    service itself, with its identity towards the others."""
    for context in contexts:
        values = service_env(config, server, context, keys, env)
        await supervisor.run_once(f"{context}:seed", python(context, "seed"), values)


async def start_gateway(
    supervisor: Supervisor, config: StackConfig, env: Mapping[str, str], name: str = "gateway"
) -> None:
    """Starts the gateway and waits until its /healthz is 200."""
    deadline = time.monotonic() + config.start_timeout
    await supervisor.start(name, python("gateway", "serve"), gateway_env(config, env))
    await wait_http_ok(supervisor, f"{config.gateway_url}/healthz", deadline)


async def start_all(
    supervisor: Supervisor, server: str, config: StackConfig, keys: KeyFiles, env: Mapping[str, str]
) -> None:
    """Starts the four services, waits until they are SERVING, then the gateway until /healthz is 200."""
    await start_services(supervisor, server, config, keys, env)
    await start_gateway(supervisor, config, env)
