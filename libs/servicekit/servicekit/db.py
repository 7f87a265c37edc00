"""The async SQLAlchemy engine and sessions of one service, the shared column types, locking reads, and which
constraint a failed write broke."""

import time
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime
from typing import Annotated, Any

import asyncpg
from sqlalchemy import DateTime, MetaData, Select, event, func
from sqlalchemy.exc import DBAPIError, DisconnectionError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine
from sqlalchemy.orm import mapped_column
from sqlalchemy.pool import ConnectionPoolEntry

from servicekit.config import PoolSettings
from servicekit.errors import Unavailable

# Constraint names Alembic can find again in a later revision.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def new_metadata() -> MetaData:
    """A service's own metadata with the shared naming convention."""
    return MetaData(naming_convention=NAMING_CONVENTION)


uuid_pk = Annotated[uuid.UUID, mapped_column(primary_key=True, default=uuid.uuid4)]
created_now = Annotated[datetime, mapped_column(DateTime(timezone=True), server_default=func.now())]
updated_now = Annotated[
    datetime, mapped_column(DateTime(timezone=True), server_default=func.now(), onupdate=func.now())
]


class DatabaseBusy(Unavailable):
    reason = "DATABASE_BUSY"


class DatabaseLost(Unavailable):
    reason = "DATABASE_CONNECTION_LOST"


class Database:
    """One engine per process; `begin()` is the unit of work whose end is the only commit."""

    def __init__(self, url: str, pool: PoolSettings | None = None) -> None:
        pool = pool or PoolSettings()
        self.engine: AsyncEngine = create_async_engine(
            url,
            pool_size=pool.size,
            max_overflow=pool.overflow,
            pool_timeout=pool.timeout_seconds,
            pool_recycle=pool.recycle_seconds,
            connect_args={
                "server_settings": {
                    "statement_timeout": str(pool.statement_timeout_ms),
                    "random_page_cost": str(pool.random_page_cost),
                }
            },
        )
        _ping_when_idle(self.engine, pool.ping_idle_seconds)
        self.sessions = async_sessionmaker(self.engine, expire_on_commit=False)

    @asynccontextmanager
    async def begin(self) -> AsyncIterator[AsyncSession]:
        async with self.sessions.begin() as session:
            yield session

    @asynccontextmanager
    async def read(self) -> AsyncIterator[AsyncSession]:
        """A session for queries only: nothing is committed."""
        async with self.sessions() as session:
            yield session

    @asynccontextmanager
    async def connection(self) -> AsyncIterator[asyncpg.Connection]:
        """A bare asyncpg connection from the pool, outside any transaction, for hot paths where the ORM's work
        shows in the benchmarks; asyncpg keeps its prepared statements."""
        async with self.engine.connect() as connection:
            raw = await connection.get_raw_connection()
            yield raw.driver_connection

    async def connect_outside_pool(self, application_name: str) -> asyncpg.Connection:
        """A bare asyncpg connection made as the engine makes its own, but never the pool's: one that LISTENs
        for as long as the process runs. The caller closes it."""
        args, params = self.engine.dialect.create_connect_args(self.engine.url)
        server_settings = params.pop("server_settings", {}) | {"application_name": application_name}
        return await asyncpg.connect(*args, **params, server_settings=server_settings)

    async def dispose(self) -> None:
        await self.engine.dispose()


def _ping_when_idle(engine: AsyncEngine, idle_seconds: float) -> None:
    """Checks a connection before use when it sat in the pool longer than `idle_seconds`; a dead one is
    replaced before the caller sees it (SQLAlchemy's "pessimistic" recipe, for idle connections only)."""
    pool = engine.sync_engine.pool

    @event.listens_for(pool, "checkin")
    def _returned(_dbapi_connection: Any, record: ConnectionPoolEntry) -> None:
        record.info["returned_at"] = time.monotonic()

    @event.listens_for(pool, "checkout")
    def _taken(dbapi_connection: Any, record: ConnectionPoolEntry, _proxy: Any) -> None:
        returned_at = record.info.get("returned_at")
        if returned_at is None or time.monotonic() - returned_at <= idle_seconds:
            return
        try:
            engine.dialect.do_ping(dbapi_connection)
        except Exception as error:
            raise DisconnectionError(f"an idle connection was lost: {error!r}") from error


def locking(stmt: Select, **lock: bool) -> Select:
    """`stmt` locking the rows it reads (`with_for_update(**lock)`). A row this session read before the
    lock is read again rather than answered from the identity map: it may have changed while the lock
    waited, and a move decided on the old status would be made twice."""
    return stmt.with_for_update(**lock).execution_options(populate_existing=True)


def broken_constraint(
    error: DBAPIError | asyncpg.PostgresError,
    kind: type[asyncpg.PostgresError] = asyncpg.IntegrityConstraintViolationError,
) -> str | None:
    """The name of the constraint of `kind` a failed statement broke, or None. asyncpg names it on its
    error, which SQLAlchemy wraps as the DBAPI error's cause."""
    if isinstance(error, DBAPIError):
        error = error.orig.__cause__ if error.orig else None
    return getattr(error, "constraint_name", None) if isinstance(error, kind) else None


def unavailable_database(error: Exception) -> Unavailable | None:
    """The error a call gets when the database cannot serve it: no free connection in the pool, a statement past
    the statement timeout, or a connection that was lost (the pool replaces it). UNAVAILABLE, so a client may
    retry."""
    if isinstance(error, DBAPIError) and error.connection_invalidated:
        return DatabaseLost("the connection to the database was lost; try again")
    if isinstance(error, PoolTimeout):
        return DatabaseBusy("the database has no free connection now; try again")
    cause = error.orig.__cause__ if isinstance(error, DBAPIError) and error.orig else error
    if isinstance(cause, asyncpg.QueryCanceledError):
        return DatabaseBusy("the database took too long to answer; try again")
    return None
