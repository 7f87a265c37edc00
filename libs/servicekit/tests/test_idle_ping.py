"""A pooled connection the server dropped while it sat idle is replaced before a call uses it; one in steady use
is not checked at all."""

import asyncpg
import pytest
from sqlalchemy import literal, select
from sqlalchemy.exc import DBAPIError

from servicekit.config import PoolSettings
from servicekit.db import Database, unavailable_database


@pytest.fixture
def url(stack) -> str:
    return stack.database_urls["catalog"]


async def server_pid(db: Database) -> int:
    async with db.engine.connect() as connection:
        raw = await connection.get_raw_connection()
        return raw.driver_connection.get_server_pid()


async def drop_connection(url: str, pid: int) -> None:
    """What a load balancer does to an idle connection: the server side goes away."""
    admin = await asyncpg.connect(url.replace("postgresql+asyncpg://", "postgresql://", 1))
    try:
        assert await admin.fetchval("SELECT pg_terminate_backend($1, 5000)", pid)
    finally:
        await admin.close()


async def select_one(db: Database) -> int:
    async with db.read() as session:
        return await session.scalar(select(literal(1)))


async def test_an_idle_connection_the_server_dropped_is_replaced_before_use(url):
    db = Database(url, PoolSettings(size=1, overflow=0, ping_idle_seconds=0.0))
    try:
        dropped = await server_pid(db)
        await drop_connection(url, dropped)
        assert await select_one(db) == 1
        assert await server_pid(db) != dropped
    finally:
        await db.dispose()


async def test_a_connection_in_steady_use_is_not_checked(url):
    """Within the idle time nothing is checked: a connection dropped meanwhile fails the one call that uses it,
    UNAVAILABLE so that its client retries, and the next gets a new one."""
    db = Database(url, PoolSettings(size=1, overflow=0, ping_idle_seconds=3600.0))
    try:
        dropped = await server_pid(db)
        await drop_connection(url, dropped)
        with pytest.raises(DBAPIError) as lost:
            await select_one(db)
        assert unavailable_database(lost.value).reason == "DATABASE_CONNECTION_LOST"
        assert await select_one(db) == 1
        assert await server_pid(db) != dropped
    finally:
        await db.dispose()
