"""The hot paths' bare connections: a pool of their own, which replaces a connection the server closed and
answers UNAVAILABLE at once when none is free."""

import asyncio

import asyncpg
import pytest

from servicekit.config import PoolSettings
from servicekit.db import Database, DatabaseBusy


@pytest.fixture
def url(stack) -> str:
    return stack.database_urls["catalog"]


async def server_pid(db: Database) -> int:
    async with db.connection() as connection:
        return connection.get_server_pid()


async def test_a_bare_connection_keeps_its_backend_from_one_use_to_the_next(url):
    db = Database(url, PoolSettings(size=1))
    try:
        assert await server_pid(db) == await server_pid(db)
    finally:
        await db.dispose()


async def test_a_bare_connection_the_server_closed_while_idle_is_replaced_before_use(url):
    db = Database(url, PoolSettings(size=1))
    try:
        dropped = await server_pid(db)
        admin = await asyncpg.connect(url.replace("postgresql+asyncpg://", "postgresql://", 1))
        try:
            assert await admin.fetchval("SELECT pg_terminate_backend($1, 5000)", dropped)
        finally:
            await admin.close()
        async with db.connection() as connection:
            assert await connection.fetchval("SELECT 1") == 1
            assert connection.get_server_pid() != dropped
    finally:
        await db.dispose()


async def test_a_caller_that_finds_no_free_bare_connection_is_told_the_database_is_busy(url):
    db = Database(url, PoolSettings(size=1, timeout_seconds=0.2))
    try:
        async with db.connection():
            with pytest.raises(DatabaseBusy):
                async with asyncio.timeout(5), db.connection():
                    pass
        async with db.connection() as connection:
            assert await connection.fetchval("SELECT 1") == 1
    finally:
        await db.dispose()
