"""The catalog's audit log moves onto the kit's shape with its rows, and back."""

import asyncio
import json
import uuid

import asyncpg
import pytest

from catalog.app import SPEC
from devstack.postgres import create_database, database_url, drop_database, service_url
from servicekit.migrations import alembic_config, migrate

BEFORE_THE_KIT = "7bb02429666f"
KIT_SHAPE = "19910347d897"


@pytest.fixture
async def database(pg_server):
    name = f"catalog_migrations_{uuid.uuid4().hex[:8]}"
    await create_database(pg_server, name)
    config = alembic_config(SPEC.root, service_url(pg_server, name))
    connection = await asyncpg.connect(database_url(pg_server, name))
    yield config, connection
    await connection.close()
    await drop_database(pg_server, name)


async def to(config, revision: str) -> None:
    # In a thread: Alembic runs its own event loop for the async env.py.
    await asyncio.to_thread(migrate, config, "catalog", revision)


async def test_the_audit_log_keeps_its_rows_on_the_kits_shape_and_back(database):
    config, sql = database
    admin, game = uuid.uuid4(), uuid.uuid4()
    await to(config, BEFORE_THE_KIT)
    await sql.execute(
        "INSERT INTO audit_log (actor_id, action, resource_type, resource_id, after) VALUES ($1, 'created', 'game', $2, $3)",
        admin,
        game,
        json.dumps({"name": "Dota 2"}),
    )

    await to(config, KIT_SHAPE)
    [entry] = await sql.fetch("SELECT actor, action, target_type, target_id, after, request_id FROM audit_log")
    assert dict(entry) == {
        "actor": f"user:{admin}",
        "action": "game.created",
        "target_type": "game",
        "target_id": str(game),
        "after": json.dumps({"name": "Dota 2"}),
        "request_id": None,
    }
    # A later kind of entry that the old shape cannot hold.
    await sql.execute(
        "INSERT INTO audit_log (actor, action, target_type, target_id, after)"
        " VALUES ('service:trading', 'settings.changed', 'setting', 'max_attributes_per_category', '{}')"
    )

    await to(config, BEFORE_THE_KIT)
    [old] = await sql.fetch("SELECT actor_id, action::text, resource_type, resource_id FROM audit_log")
    assert tuple(old) == (admin, "created", "game", game)
