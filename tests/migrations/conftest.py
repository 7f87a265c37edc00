"""Fixtures of the migration tests (helpers live in migrations_support.py): a database per service, empty
or holding the demo data, and the service's Alembic config pointed at it."""

import importlib
import uuid

import pytest

from devstack.postgres import create_database, database_url, drop_database, service_url
from servicekit.config import CONTEXTS
from servicekit.migrations import alembic_config

from .migrations_support import ServiceDatabase, add_demo_data, migrate_to


@pytest.fixture(params=CONTEXTS)
async def empty_database(request, pg_server) -> ServiceDatabase:
    spec = importlib.import_module(f"{request.param}.app").SPEC
    name = f"migrations_{request.param}_{uuid.uuid4().hex[:8]}"
    await create_database(pg_server, name)
    url = service_url(pg_server, name)
    yield ServiceDatabase(spec, alembic_config(spec.root, url), database_url(pg_server, name), url)
    await drop_database(pg_server, name)


@pytest.fixture
async def demo_database(empty_database) -> ServiceDatabase:
    """At head, holding the demo data: the service's seed, and rows of its own where it has none."""
    await migrate_to(empty_database, "head")
    await add_demo_data(empty_database)
    return empty_database
