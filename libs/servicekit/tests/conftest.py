"""Fixtures of the kit's tests."""

import uuid

import pytest

from devstack.postgres import create_database, drop_database, service_url
from servicekit.db import Database

from .feed_support import ConsumerBase, ProducerBase


@pytest.fixture
async def databases(pg_server):
    names = [f"feed_{side}_{uuid.uuid4().hex[:8]}" for side in ("producer", "consumer")]
    created = []
    for name, base in zip(names, (ProducerBase, ConsumerBase), strict=True):
        await create_database(pg_server, name)
        db = Database(service_url(pg_server, name))
        async with db.engine.begin() as connection:
            await connection.run_sync(base.metadata.create_all)
        created.append(db)
    yield created
    for db, name in zip(created, names, strict=True):
        await db.dispose()
        await drop_database(pg_server, name)
