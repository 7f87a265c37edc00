"""The outbox feed and the idempotent consumer: no event lost or doubled when either side restarts."""

import asyncio
from pathlib import Path

import asyncpg
import grpc
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc

from devstack.ports import free_port
from devstack.postgres import admin_url
from marketplace.catalog.v1 import events_pb2
from servicekit import outbox
from servicekit.config import Settings
from servicekit.health import ServiceHealth
from servicekit.server import ServiceSpec, start

from .feed_support import (
    Effect,
    ProducerEvent,
    consumer,
    drain,
    effects,
    feed_channel,
    publish,
    start_producer,
    wait_for,
)


async def test_events_survive_restarts_of_either_side_once_each(databases, key_files):
    producer_db, consumer_db = databases
    port = free_port()
    producer = await start_producer(producer_db, port, key_files)
    channel = feed_channel(port, key_files)
    first = [f"a{i}" for i in range(30)]
    await publish(producer_db, *first)
    await drain(consumer_db, channel, first)

    # The consumer restarts: a new instance starts from the stored cursor.
    assert await consumer(consumer_db, channel).catch_up() == 0

    # The producer restarts, with events written while it was down.
    await producer.stop(grace=0)
    await publish(producer_db, *(f"b{i}" for i in range(10)))
    producer = await start_producer(producer_db, port, key_files)
    await drain(consumer_db, channel, first + [f"b{i}" for i in range(10)])
    await channel.close()
    await producer.stop(grace=0)


async def test_a_handler_that_crashes_midway_leaves_no_effect_and_is_retried(databases, key_files):
    producer_db, consumer_db = databases
    port = free_port()
    producer = await start_producer(producer_db, port, key_files)
    channel = feed_channel(port, key_files)
    await publish(producer_db, "x1", "x2", "x3")
    crashed = []

    async def crash_once_on_x2(session, event):
        session.add(Effect(subject_id=event.subject_id))
        if event.subject_id == "x2" and not crashed:
            crashed.append(True)
            raise RuntimeError("process died")

    with pytest.raises(RuntimeError):
        await drain(consumer_db, channel, ["x1", "x2", "x3"], crash_once_on_x2)
    assert await effects(consumer_db) == ["x1"]
    await drain(consumer_db, channel, ["x1", "x2", "x3"], crash_once_on_x2)
    await channel.close()
    await producer.stop(grace=0)


async def test_an_event_committed_late_is_not_skipped(databases, key_files):
    producer_db, consumer_db = databases
    port = free_port()
    producer = await start_producer(producer_db, port, key_files)
    channel = feed_channel(port, key_files)
    async with producer_db.begin() as slow:
        # This transaction takes its id first but commits after a later one.
        outbox.add(slow, ProducerEvent, "catalog.item.created", "early", events_pb2.ItemCreated(item_id="early"))
        await slow.flush()
        await publish(producer_db, "late")
        assert await consumer(consumer_db, channel).catch_up() == 0
    await drain(consumer_db, channel, ["early", "late"])
    await channel.close()
    await producer.stop(grace=0)


async def test_a_following_consumer_reconnects_after_the_producer_restarts(databases, key_files):
    producer_db, consumer_db = databases
    port = free_port()
    producer = await start_producer(producer_db, port, key_files)
    channel = feed_channel(port, key_files)
    following = asyncio.create_task(consumer(consumer_db, channel).run(ServiceHealth()))
    await publish(producer_db, "f1")
    await wait_for(lambda: effects(consumer_db), ["f1"])
    await producer.stop(grace=0)
    await publish(producer_db, "f2")
    producer = await start_producer(producer_db, port, key_files)
    await publish(producer_db, "f3")
    await wait_for(lambda: effects(consumer_db), ["f1", "f2", "f3"])
    following.cancel()
    await asyncio.gather(following, return_exceptions=True)
    await channel.close()
    await producer.stop(grace=0)


async def health_of(channel: grpc.aio.Channel, part: str) -> int:
    reply = await health_pb2_grpc.HealthStub(channel).Check(health_pb2.HealthCheckRequest(service=part))
    return reply.status


async def set_connections(pg_server: str, database: str, allowed: bool) -> None:
    """Opens or closes a database to new connections, ending those it has: a database outage."""
    connection = await asyncpg.connect(admin_url(pg_server))
    try:
        await connection.execute(f'ALTER DATABASE "{database}" ALLOW_CONNECTIONS {str(allowed).lower()}')
        await connection.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()",
            database,
        )
    finally:
        await connection.close()


async def test_a_consumer_outlives_outages_of_its_database_and_its_producer_and_health_says_so(
    databases, key_files, pg_server
):
    producer_db, consumer_db = databases
    producer_port, consumer_port = free_port(), free_port()
    producer = await start_producer(producer_db, producer_port, key_files)
    consumer_spec = ServiceSpec(
        name="trading",
        root=Path("."),
        servicers=lambda runtime: [],
        outbox=ProducerEvent,
        consumers=lambda runtime: [consumer(runtime.db, runtime.channel("catalog"))],
    )
    settings = Settings(
        service="trading",
        database_url=consumer_db.engine.url.render_as_string(False),
        grpc_port=consumer_port,
        service_key_file=key_files.service_key("trading"),
        service_keys_file=key_files.service_keys,
        addresses={"catalog": f"127.0.0.1:{producer_port}"},
    )
    following = await start(consumer_spec, settings)
    health = grpc.aio.insecure_channel(f"127.0.0.1:{consumer_port}")
    part = "test-consumer consumer"
    serving, not_serving = health_pb2.HealthCheckResponse.SERVING, health_pb2.HealthCheckResponse.NOT_SERVING

    await publish(producer_db, "c1")
    await wait_for(lambda: effects(consumer_db), ["c1"])
    assert (await health_of(health, ""), await health_of(health, part)) == (serving, serving)

    # Its own database goes away: the service cannot do its work, and says so.
    database = consumer_db.engine.url.database
    await set_connections(pg_server, database, allowed=False)
    await publish(producer_db, "c2")
    await wait_for(lambda: health_of(health, ""), not_serving)
    await set_connections(pg_server, database, allowed=True)
    # The test's own connections were ended too.
    await consumer_db.dispose()
    await wait_for(lambda: effects(consumer_db), ["c1", "c2"])
    await wait_for(lambda: health_of(health, ""), serving)

    # The producer goes away: only the consumer's own entry says so; the service still serves.
    await producer.stop(grace=0)
    await wait_for(lambda: health_of(health, part), not_serving)
    assert await health_of(health, "") == serving
    producer = await start_producer(producer_db, producer_port, key_files)
    await publish(producer_db, "c3")
    await wait_for(lambda: effects(consumer_db), ["c1", "c2", "c3"])
    await wait_for(lambda: health_of(health, part), serving)

    await health.close()
    await following.stop(grace=0)
    await producer.stop(grace=0)
