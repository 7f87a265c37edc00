"""A service deletes its idempotency keys once past their retention, and keeps the younger ones."""

import uuid
from datetime import timedelta

import asyncpg

from devstack.postgres import database_url
from testkit.stack import replica
from testkit.waiting import eventually


async def test_a_service_deletes_idempotency_keys_past_their_retention(stack):
    url = stack.database_urls["catalog"].replace("postgresql+asyncpg", "postgresql")
    connection = await asyncpg.connect(database_url(url, url.rsplit("/", 1)[1]))
    old, young = f"old-{uuid.uuid4()}", f"young-{uuid.uuid4()}"
    insert = (
        "INSERT INTO idempotency_keys (scope, key, request_hash, response, created_at) "
        "VALUES ('user:retention-test', $1, 'hash', '', now() - $2::interval)"
    )
    await connection.execute(insert, old, timedelta(hours=3))
    await connection.execute(insert, young, timedelta(minutes=10))

    async def keys() -> set[str]:
        rows = await connection.fetch("SELECT key FROM idempotency_keys WHERE key = ANY($1)", [old, young])
        return {row["key"] for row in rows}

    try:
        async with replica(stack, "catalog", idempotency_key_retention_hours=1, partition_maintenance_seconds=0.2):
            await eventually(keys, {young}, seconds=20)
    finally:
        await connection.execute("DELETE FROM idempotency_keys WHERE key = $1", young)
        await connection.close()
