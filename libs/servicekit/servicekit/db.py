"""The async SQLAlchemy engine and sessions of one service, the shared column types, locking reads, and which
constraint a failed write broke."""

import asyncio
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


# SQLAlchemy keeps 500 compiled statements by default, and the searches' many shapes (filters, facets, orders)
# filled them: trading held 134 MB after the soak's warm-up, 121 with 100, at the same 132 requests/s.
COMPILED_STATEMENTS_KEPT = 100


class Database:
    """One engine per process; `begin()` is the unit of work whose end is the only commit. Beside it, the
    hot paths' own pool of bare asyncpg connections (`connection()`)."""

    def __init__(self, url: str, pool: PoolSettings | None = None) -> None:
        pool = pool or PoolSettings()
        self._pool = pool
        self._server_settings = {
            "statement_timeout": str(pool.statement_timeout_ms),
            "random_page_cost": str(pool.random_page_cost),
        }
        self.engine: AsyncEngine = create_async_engine(
            url,
            pool_size=pool.size,
            max_overflow=pool.overflow,
            pool_timeout=pool.timeout_seconds,
            pool_recycle=pool.recycle_seconds,
            connect_args={"server_settings": self._server_settings},
            query_cache_size=COMPILED_STATEMENTS_KEPT,
        )
        _ping_when_idle(self.engine, pool.ping_idle_seconds)
        self.sessions = async_sessionmaker(self.engine, expire_on_commit=False)
        self._raw: asyncpg.Pool | None = None
        self._raw_opening = asyncio.Lock()

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
        """A bare asyncpg connection, outside any transaction, for hot paths where the ORM's work shows in the
        benchmarks; each connection keeps its prepared statements.

        They come from a pool of their own (asyncpg's), not the engine's: taking a connection through the
        engine and handing it back cost the ledger's Hold and Capture a quarter of their Python time (0.93
        against 0.69 ms a posting in process), and the engine's overflow connections, closed and opened
        again under load, cost its database a tenth more (a new backend, every statement prepared anew).
        At most `size` connections; a caller waits `timeout_seconds` for one. A connection comes back as
        its user left it but for an open transaction (rolled back): the hot paths change no session
        state. asyncpg sees a connection the server closed, idle or not, and replaces it; one idle past
        `recycle_seconds` is closed.
        """
        pool = self._raw or await self._open_raw_pool()
        try:
            connection = await pool.acquire(timeout=self._pool.timeout_seconds)
        except TimeoutError as error:
            raise DatabaseBusy("the database has no free connection now; try again") from error
        try:
            yield connection
        finally:
            await pool.release(connection)

    async def _open_raw_pool(self) -> asyncpg.Pool:
        async with self._raw_opening:
            if self._raw is None:
                args, params = self.engine.dialect.create_connect_args(self.engine.url)
                self._raw = await asyncpg.create_pool(
                    *args,
                    **params,
                    server_settings=self._server_settings,
                    min_size=0,
                    max_size=self._pool.size,
                    max_inactive_connection_lifetime=self._pool.recycle_seconds,
                    reset=_keep_session,
                )
        return self._raw

    async def connect_outside_pool(self, application_name: str) -> asyncpg.Connection:
        """A bare asyncpg connection made as the engine makes its own, but never the pool's: one that LISTENs
        for as long as the process runs. The caller closes it."""
        args, params = self.engine.dialect.create_connect_args(self.engine.url)
        server_settings = params.pop("server_settings", {}) | {"application_name": application_name}
        return await asyncpg.connect(*args, **params, server_settings=server_settings)

    async def dispose(self) -> None:
        if self._raw is not None:
            await self._raw.close()
            self._raw = None
        await self.engine.dispose()


async def _keep_session(connection: asyncpg.Connection) -> None:
    """What a hot path's connection needs on its way back to the pool beyond asyncpg's rollback: nothing
    (asyncpg's default resets the session state, a round trip each time)."""


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
