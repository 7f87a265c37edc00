"""The outbox feed and the idempotent consumer: no event lost or doubled when either side restarts."""

import asyncio
import uuid
from pathlib import Path

import grpc
import pytest
from sqlalchemy import String, select
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from devstack.keys import KeyFiles
from devstack.ports import free_port
from devstack.postgres import create_database, drop_database, service_url
from marketplace.catalog.v1 import events_pb2
from servicekit import outbox
from servicekit.config import Settings
from servicekit.consumer import ConsumerCursorMixin, EventConsumer, ProcessedEventMixin
from servicekit.db import Database, new_metadata
from servicekit.identity import ServiceIdentity, service_token_interceptors
from servicekit.outbox import OutboxEventMixin
from servicekit.server import ServiceSpec, start


class ProducerBase(DeclarativeBase):
    metadata = new_metadata()


class ProducerEvent(OutboxEventMixin, ProducerBase):
    pass


class ConsumerBase(DeclarativeBase):
    metadata = new_metadata()


class Cursor(ConsumerCursorMixin, ConsumerBase):
    pass


class Processed(ProcessedEventMixin, ConsumerBase):
    pass


class Effect(ConsumerBase):
    """One row per handled event: a doubled effect shows as a second row."""

    __tablename__ = "effects"
    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    subject_id: Mapped[str] = mapped_column(String(100))


PRODUCER = ServiceSpec(name="catalog", root=Path("."), servicers=lambda runtime: [], outbox=ProducerEvent)


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


async def publish(db: Database, *subjects: str) -> None:
    async with db.begin() as session:
        for subject in subjects:
            outbox.add(session, ProducerEvent, "catalog.item.created", subject, events_pb2.ItemCreated(item_id=subject))


async def start_producer(db: Database, port: int, keys: KeyFiles):
    url = db.engine.url.render_as_string(False)
    settings = Settings(service="catalog", database_url=url, grpc_port=port, service_keys_file=keys.service_keys)
    return await start(PRODUCER, settings)


def feed_channel(port: int, keys: KeyFiles) -> grpc.aio.Channel:
    """A channel to the producer whose calls carry trading's token, as a consumer's do."""
    identity = ServiceIdentity.from_file("trading", keys.service_key("trading"))
    return grpc.aio.insecure_channel(f"127.0.0.1:{port}", interceptors=service_token_interceptors(identity, "catalog"))


def consumer(db: Database, channel: grpc.aio.Channel, handle=None) -> EventConsumer:
    async def record(session, event):
        session.add(Effect(subject_id=event.subject_id))

    return EventConsumer(db, channel, "test-consumer", handle or record, Cursor, Processed)


async def effects(db: Database) -> list[str]:
    async with db.read() as session:
        return list(await session.scalars(select(Effect.subject_id).order_by(Effect.id)))


async def drain(db: Database, channel: grpc.aio.Channel, expected: list[str], handle=None) -> None:
    """Catches up until the effects are as expected: the feed may hold events back while any
    transaction on the PostgreSQL cluster is still running, but never reorders them."""
    async with asyncio.timeout(10):
        while (found := await effects(db)) != expected and len(found) < len(expected):
            await consumer(db, channel, handle).catch_up()
    assert await effects(db) == expected


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
    following = asyncio.create_task(consumer(consumer_db, channel).run(retry_seconds=0.1))
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


async def wait_for(read, expected, seconds: float = 10.0) -> None:
    async with asyncio.timeout(seconds):
        while (found := await read()) != expected:
            await asyncio.sleep(0.05)
    assert found == expected
