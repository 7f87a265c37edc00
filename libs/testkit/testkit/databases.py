"""A database per context for one test run, migrated to head, dropped at the end."""

import asyncio
import os
import uuid

from devstack.postgres import create_database, drop_database, service_url
from servicekit.migrations import alembic_config, migrate
from servicekit.server import ServiceSpec


def run_prefix() -> str:
    return f"test_{os.getpid()}_{uuid.uuid4().hex[:6]}"


async def create_migrated(server_url: str, spec: ServiceSpec, name: str) -> str:
    """Creates database `name`, migrates it to head and returns its SQLAlchemy URL."""
    await create_database(server_url, name)
    url = service_url(server_url, name)
    await asyncio.to_thread(migrate, alembic_config(spec.root, url), spec.name, "head")
    return url


async def drop(server_url: str, name: str) -> None:
    await drop_database(server_url, name)
