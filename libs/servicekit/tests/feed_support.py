"""A producer and a consumer of the event feed for the kit's tests: their tables, servers and helpers."""

import asyncio
from datetime import datetime
from pathlib import Path

import grpc
from sqlalchemy import String, select
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from devstack.keys import KeyFiles
from marketplace.catalog.v1 import events_pb2
from servicekit import outbox
from servicekit.config import Settings
from servicekit.consumer import ConsumerCursorMixin, EventConsumer, ProcessedEventMixin
from servicekit.db import Database, new_metadata
from servicekit.identity import ServiceIdentity, service_token_interceptors
from servicekit.outbox import OutboxEventMixin
from servicekit.retention import OutboxConsumerMixin, PrunedPartitionMixin
from servicekit.server import ServiceSpec, start


class ProducerBase(DeclarativeBase):
    metadata = new_metadata()


class ProducerEvent(OutboxEventMixin, ProducerBase):
    pass


class ProducerConsumer(OutboxConsumerMixin, ProducerBase):
    pass


class ProducerPruned(PrunedPartitionMixin, ProducerBase):
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


async def publish(db: Database, *subjects: str, at: datetime | None = None) -> None:
    """Writes an event per subject in one transaction; `at` stands for the time that transaction began."""
    async with db.begin() as session:
        for subject in subjects:
            outbox.add(session, ProducerEvent, "catalog.item.created", subject, events_pb2.ItemCreated(item_id=subject))
        if at is not None:
            for event in session.new:
                event.occurred_at = at


async def start_producer(db: Database, port: int, keys: KeyFiles, **settings):
    url = db.engine.url.render_as_string(False)
    return await start(
        PRODUCER,
        Settings(service="catalog", database_url=url, grpc_port=port, service_keys_file=keys.service_keys, **settings),
    )


def feed_channel(port: int, keys: KeyFiles) -> grpc.aio.Channel:
    """A channel to the producer whose calls carry trading's token, as a consumer's do."""
    identity = ServiceIdentity.from_file("trading", keys.service_key("trading"))
    return grpc.aio.insecure_channel(f"127.0.0.1:{port}", interceptors=service_token_interceptors(identity, "catalog"))


async def record(session, event):
    session.add(Effect(subject_id=event.subject_id))


def consumer(db: Database, channel: grpc.aio.Channel, handle=None, name: str = "test-consumer") -> EventConsumer:
    return EventConsumer(
        db, channel, name, handle or record, Cursor, Processed, retry_seconds=0.1, max_retry_seconds=0.5
    )


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


async def wait_for(read, expected, seconds: float = 10.0) -> None:
    async with asyncio.timeout(seconds):
        while (found := await read()) != expected:
            await asyncio.sleep(0.05)
    assert found == expected
