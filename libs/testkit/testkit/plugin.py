"""pytest fixtures shared by every test of the repository (loaded with `-p testkit.plugin`)."""

import asyncio
import dataclasses

import pytest

from devstack.elasticsearch import elasticsearch_node
from devstack.keys import KeyFiles, ensure_keys
from devstack.postgres import postgres_server
from servicekit.auth import SigningKey
from testkit.http import serve_asgi
from testkit.stack import Stack, start_stack, stop_stack


@pytest.fixture(scope="session")
async def pg_server() -> str:
    """The admin URL of a PostgreSQL server with PostGIS (found or started like `make run`)."""
    # In a thread: postgres_server() runs event loops of its own, and asyncio.run() on this thread would leave
    # the sync fixtures after it (grpc channels) without the run's loop, were that loop already made.
    server = postgres_server()
    yield await asyncio.to_thread(server.__enter__)
    await asyncio.to_thread(server.__exit__, None, None, None)


@pytest.fixture(scope="session")
def elasticsearch_url() -> str:
    """The URL of a real single-node Elasticsearch, started when a test first asks for it and stopped at the
    end of the run. It never skips: a node that cannot start fails the tests that need it, in CI and out."""
    with elasticsearch_node(quick_start=True) as node:
        yield node.url


@pytest.fixture(scope="session")
def key_files(tmp_path_factory) -> KeyFiles:
    """The run's token signing key and service keys, made as `make run` makes them."""
    return ensure_keys(tmp_path_factory.mktemp("keys"))


@pytest.fixture(scope="session")
def signing_key(key_files) -> SigningKey:
    return key_files.load_signing_key()


@pytest.fixture(scope="session")
def stack_settings() -> dict[str, dict]:
    """Values, by context, of the settings a service's own Settings class adds, for the stack of the run;
    a test needing other values starts a `testkit.stack.replica`."""
    # Every test registers its users from 127.0.0.1: registration throttling would stop the run.
    # The throttling tests start a replica with the production limit.
    return {"accounts": {"registrations_per_client": 1_000_000}}


@pytest.fixture(scope="session")
async def stack(pg_server, key_files, stack_settings) -> Stack:
    """All four services, migrated and serving on free ports, for the whole run."""
    running = await start_stack(pg_server, key_files, stack_settings)
    yield running
    await stop_stack(running, pg_server)


@pytest.fixture(scope="session")
async def api(stack):
    """An HTTP client of the real gateway in front of the running stack."""
    from gateway.app import create_app
    from gateway.config import Settings
    from gateway.ratelimits import RouteClass

    # Every test calls from 127.0.0.1: the gateway's rate limits would stop the run. The front door's
    # tests start gateways with small limits of their own.
    settings = dataclasses.replace(Settings.from_env(), rate_limits=dict.fromkeys(RouteClass))
    async with serve_asgi(create_app(settings, addresses=stack.addresses)) as client:
        yield client
