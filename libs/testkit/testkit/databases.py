"""A database per context for one test run, migrated to head, dropped at the end; statements run in one by hand."""

import asyncio
import os
import uuid

import asyncpg

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


async def execute(database_url: str, statement: str, *args) -> str:
    """Runs one statement by hand in a database of the stack (given by its SQLAlchemy URL): how a test
    sets up a state that no RPC reaches yet."""
    connection = await asyncpg.connect(database_url.replace("+asyncpg", ""))
    try:
        return await connection.execute(statement, *args)
    finally:
        await connection.close()


async def fetch(database_url: str, query: str, *args) -> list[asyncpg.Record]:
    """Reads rows by hand from a database of the stack: what no RPC shows (a saga's bookkeeping)."""
    connection = await asyncpg.connect(database_url.replace("+asyncpg", ""))
    try:
        return await connection.fetch(query, *args)
    finally:
        await connection.close()
