"""A database that cannot serve a call in time answers UNAVAILABLE at once, not at the caller's deadline."""

import asyncio
import uuid
from contextlib import asynccontextmanager

import asyncpg
import grpc
from google.protobuf import field_mask_pb2

from devstack.postgres import database_url
from marketplace.catalog.v1 import catalog_service_pb2 as pb
from marketplace.catalog.v1 import catalog_service_pb2_grpc, resources_pb2
from servicekit.auth import Role
from servicekit.config import PoolSettings
from testkit.grpc import error_reason, rpc_error
from testkit.stack import replica
from testkit.tokens import bearer, mint

# Far longer than the pool's limits: reaching it would mean the call hung.
DEADLINE = 20


@asynccontextmanager
async def game_locked_by_someone_else(stack, game_id: str):
    """A transaction elsewhere holding the game's row, as a long transaction of another client would;
    yields a wait until some call queues behind it."""
    url = stack.database_urls["catalog"].replace("postgresql+asyncpg", "postgresql")
    connection = await asyncpg.connect(database_url(url, url.rsplit("/", 1)[1]))

    async def until_a_call_waits() -> None:
        waiting = (
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'"
        )
        while True:
            # Inside a transaction the statistics are a snapshot until it is cleared.
            await connection.execute("SELECT pg_stat_clear_snapshot()")
            if await connection.fetchval(waiting):
                return
            await asyncio.sleep(0.05)

    try:
        async with connection.transaction():
            await connection.execute("SELECT 1 FROM games WHERE id = $1 FOR UPDATE", uuid.UUID(game_id))
            yield until_a_call_waits
    finally:
        await connection.close()


def rename(game_id: str) -> pb.UpdateGameRequest:
    return pb.UpdateGameRequest(
        game_id=game_id,
        game=resources_pb2.Game(description="renamed"),
        update_mask=field_mask_pb2.FieldMask(paths=["description"]),
    )


async def a_game(stack, admin) -> str:
    catalog = catalog_service_pb2_grpc.CatalogServiceStub(stack.channel("catalog"))
    created = await catalog.CreateGame(
        pb.CreateGameRequest(game=resources_pb2.Game(name=f"Pool {uuid.uuid4().hex[:8]}")), metadata=admin
    )
    return created.id


async def test_a_call_that_finds_no_free_connection_is_unavailable_at_once(stack, signing_key):
    admin = bearer(mint(signing_key, role=Role.ADMIN))
    game_id = await a_game(stack, admin)
    one_connection = PoolSettings(size=1, overflow=0, timeout_seconds=0.3, statement_timeout_ms=60_000)
    async with (
        replica(stack, "catalog", pool=one_connection) as address,
        grpc.aio.insecure_channel(address) as channel,
    ):
        catalog = catalog_service_pb2_grpc.CatalogServiceStub(channel)
        async with game_locked_by_someone_else(stack, game_id) as until_a_call_waits:
            # This call takes the pool's only connection and waits for the row.
            waiting = asyncio.ensure_future(catalog.UpdateGame(rename(game_id), metadata=admin, timeout=DEADLINE))
            await until_a_call_waits()
            # A session's read: the engine's pool (GetGame reads on the hot paths' own, servicekit.db).
            error = await rpc_error(catalog.ListGames(pb.ListGamesRequest(), timeout=DEADLINE))
            assert error.code() is grpc.StatusCode.UNAVAILABLE
            assert error_reason(error) == "DATABASE_BUSY"
        # Once the row is free, the waiting call goes through.
        assert (await waiting).description == "renamed"


async def test_a_statement_past_the_statement_timeout_is_unavailable(stack, signing_key):
    admin = bearer(mint(signing_key, role=Role.ADMIN))
    game_id = await a_game(stack, admin)
    impatient = PoolSettings(statement_timeout_ms=300)
    async with (
        replica(stack, "catalog", pool=impatient) as address,
        grpc.aio.insecure_channel(address) as channel,
        game_locked_by_someone_else(stack, game_id),
    ):
        catalog = catalog_service_pb2_grpc.CatalogServiceStub(channel)
        error = await rpc_error(catalog.UpdateGame(rename(game_id), metadata=admin, timeout=DEADLINE))
        assert error.code() is grpc.StatusCode.UNAVAILABLE
        assert error_reason(error) == "DATABASE_BUSY"
        # The service itself is fine: a call that needs no locked row still works.
        assert (await catalog.GetGame(pb.GetGameRequest(game_id=game_id), timeout=DEADLINE)).id == game_id
