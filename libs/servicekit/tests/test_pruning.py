"""A service deletes its idempotency keys, and its consumers' records of the events they handled, once past their
retention, and keeps the younger ones."""

import uuid
from dataclasses import dataclass
from datetime import timedelta

import asyncpg
import pytest

from devstack.postgres import database_url
from testkit.stack import replica
from testkit.waiting import eventually


@dataclass(frozen=True)
class Kept:
    """Rows of a table a service prunes by age: how one is written at an age, and the setting that keeps them."""

    context: str
    table: str
    key: str
    insert: str  # $1 the key, $2 the row's age
    settings: dict
    old: timedelta
    young: timedelta


CASES = [
    Kept(
        "catalog",
        "idempotency_keys",
        "key",
        "INSERT INTO idempotency_keys (scope, key, request_hash, response, created_at)"
        " VALUES ('user:retention-test', $1, 'hash', '', now() - $2::interval)",
        {"idempotency_key_retention_hours": 1},
        timedelta(hours=3),
        timedelta(minutes=10),
    ),
    Kept(
        "messaging",
        "processed_events",
        "event_cursor",
        "INSERT INTO processed_events (consumer, event_cursor, processed_at)"
        " VALUES ('trading-events', $1, now() - $2::interval)",
        {"outbox_retention_days": 1},
        timedelta(days=2),
        timedelta(hours=20),
    ),
]


@pytest.mark.parametrize("kept", CASES, ids=[case.table for case in CASES])
async def test_a_service_deletes_rows_past_their_retention_and_keeps_the_younger(stack, kept):
    url = stack.database_urls[kept.context].replace("postgresql+asyncpg", "postgresql")
    connection = await asyncpg.connect(database_url(url, url.rsplit("/", 1)[1]))
    old, young = f"old-{uuid.uuid4()}", f"young-{uuid.uuid4()}"
    await connection.execute(kept.insert, old, kept.old)
    await connection.execute(kept.insert, young, kept.young)

    async def left() -> set[str]:
        rows = await connection.fetch(f"SELECT {kept.key} FROM {kept.table} WHERE {kept.key} = ANY($1)", [old, young])
        return {row[kept.key] for row in rows}

    try:
        async with replica(stack, kept.context, partition_maintenance_seconds=0.2, **kept.settings):
            await eventually(left, {young}, seconds=20)
    finally:
        await connection.execute(f"DELETE FROM {kept.table} WHERE {kept.key} = $1", young)
        await connection.close()
