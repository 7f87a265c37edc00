"""pytest fixtures shared by every test of the repository (loaded with `-p testkit.plugin`)."""

import json

import pytest

from devstack.postgres import find_server
from servicekit.auth import SigningKey, jwks
from testkit.http import serve_asgi
from testkit.stack import Stack, start_stack, stop_stack


@pytest.fixture(scope="session")
def pg_server() -> str:
    """The admin URL of a PostgreSQL server with PostGIS (found or started like `make run`)."""
    return find_server()


@pytest.fixture(scope="session")
def signing_key() -> SigningKey:
    return SigningKey.generate()


@pytest.fixture(scope="session")
def key_dir(tmp_path_factory, signing_key):
    path = tmp_path_factory.mktemp("keys")
    (path / "signing.pem").write_bytes(signing_key.to_pem())
    (path / "jwks.json").write_text(json.dumps(jwks(signing_key)))
    return path


@pytest.fixture(scope="session")
def stack_settings() -> dict[str, dict]:
    """Values, by context, of the settings a service's own Settings class adds, for the stack of the run.
    The repository's conftest.py overrides this for the whole run; a test needing other values starts
    a `testkit.stack.replica`."""
    return {}


@pytest.fixture(scope="session")
async def stack(pg_server, signing_key, key_dir, stack_settings) -> Stack:
    """All four services, migrated and serving on free ports, for the whole run."""
    running = await start_stack(pg_server, signing_key, key_dir, stack_settings)
    yield running
    await stop_stack(running, pg_server)


@pytest.fixture(scope="session")
async def api(stack):
    """An HTTP client of the real gateway in front of the running stack."""
    from gateway.app import create_app

    async with serve_asgi(create_app(addresses=stack.addresses)) as client:
        yield client
