"""Fixtures of the migration tests (helpers live in migrations_support.py): an empty database per service,
and the service's Alembic config pointed at it."""

import importlib
import uuid

import pytest

from devstack.postgres import create_database, database_url, drop_database, service_url
from servicekit.config import CONTEXTS
from servicekit.migrations import alembic_config

from .migrations_support import ServiceDatabase


@pytest.fixture(params=CONTEXTS)
async def empty_database(request, pg_server) -> ServiceDatabase:
    spec = importlib.import_module(f"{request.param}.app").SPEC
    name = f"migrations_{request.param}_{uuid.uuid4().hex[:8]}"
    await create_database(pg_server, name)
    url = service_url(pg_server, name)
    yield ServiceDatabase(spec, alembic_config(spec.root, url), database_url(pg_server, name), url)
    await drop_database(pg_server, name)
