"""An idempotent consumer of another context's event feed.

The consumer's cursor and the ids of the events it handled live in its own
database and change in the same transaction as the handler's effect, so a crash
on either side, or a feed that sends an event twice, never doubles an effect and
never skips one.

It names itself to the producer and acknowledges its stored cursor as it goes (every
`acknowledge_seconds` while events come, and when a stream ends), so that the producer
keeps every event it has not handled yet (servicekit.retention).

The record of a handled event guards against the feed sending it again (to another replica of
the consumer, or after a cursor was moved back); past OUTBOX_RETENTION_DAYS, as long as a
producer keeps its events, the service's maintenance deletes it (`prune`).
"""

import asyncio
import logging
import random
import time
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta

import grpc
from sqlalchemy import Connection, DateTime, Index, String, func, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, declared_attr, mapped_column

from marketplace.common.v1 import events_pb2, events_pb2_grpc
from servicekit import pruning
from servicekit.db import Database
from servicekit.health import ServiceHealth

log = logging.getLogger("servicekit.consumer")

ACKNOWLEDGE_TIMEOUT_SECONDS = 5.0

Handler = Callable[[AsyncSession, events_pb2.Event], Awaitable[None]]


class ConsumerCursorMixin:
    """Where each consumer of this service stands in the feed it follows."""

    __tablename__ = "consumer_cursors"

    consumer: Mapped[str] = mapped_column(String(100), primary_key=True)
    cursor: Mapped[str] = mapped_column(String(100))
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), onupdate=func.now()
    )


class ProcessedEventMixin:
    """The events each consumer of this service has handled, for de-duplication."""

    __tablename__ = "processed_events"

    @declared_attr.directive
    def __table_args__(cls) -> tuple:
        # Pruning finds the old records by age (an index per service's table, hence a function).
        return (Index("ix_processed_events_processed_at", "processed_at"),)

    consumer: Mapped[str] = mapped_column(String(100), primary_key=True)
    event_cursor: Mapped[str] = mapped_column(String(100), primary_key=True)
    processed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class EventConsumer:
    """Follows one producer's feed and applies `handle` to every event exactly once."""

    def __init__(
        self,
        db: Database,
        channel: grpc.aio.Channel,
        name: str,
        handle: Handler,
        cursor_model: type[ConsumerCursorMixin],
        processed_model: type[ProcessedEventMixin],
        *,
        retry_seconds: float = 1.0,
        max_retry_seconds: float = 30.0,
        acknowledge_seconds: float = 10.0,
    ) -> None:
        self._db = db
        self._feed = events_pb2_grpc.EventFeedServiceStub(channel)
        self._name = name
        self._handle = handle
        self._cursors = cursor_model
        self._processed = processed_model
        self._retry_seconds = retry_seconds
        self._max_retry_seconds = max_retry_seconds
        self._acknowledge_seconds = acknowledge_seconds

    @property
    def name(self) -> str:
        return self._name

    def prune(self, connection: Connection, older_than: timedelta) -> int:
        """Deletes the records of events handled longer ago than older_than; how many. On a connection in
        autocommit."""
        processed = self._processed.__table__
        key = [processed.c.consumer, processed.c.event_cursor]
        return pruning.prune(connection, processed, processed.c.processed_at, key, older_than)

    async def cursor(self) -> str:
        async with self._db.read() as session:
            return await session.scalar(select(self._cursors.cursor).where(self._cursors.consumer == self._name)) or ""

    async def _apply(self, event: events_pb2.Event) -> bool:
        """Handles the event unless it was handled before; True when it had an effect."""
        async with self._db.begin() as session:
            claimed = await session.execute(
                insert(self._processed)
                .values(consumer=self._name, event_cursor=event.cursor)
                .on_conflict_do_nothing()
                .returning(self._processed.event_cursor)
            )
            if claimed.first() is None:
                return False
            await self._handle(session, event)
            await session.execute(
                insert(self._cursors)
                .values(consumer=self._name, cursor=event.cursor)
                .on_conflict_do_update(
                    index_elements=["consumer"], set_={"cursor": event.cursor, "updated_at": func.now()}
                )
            )
            return True

    async def _acknowledge(self) -> None:
        """Tells the producer the stored cursor; a producer that does not hear it only keeps events longer."""
        cursor = await self.cursor()
        if not cursor:
            return
        try:
            await self._feed.AcknowledgeEvents(
                events_pb2.AcknowledgeEventsRequest(consumer=self._name, cursor=cursor),
                timeout=ACKNOWLEDGE_TIMEOUT_SECONDS,
            )
        except grpc.aio.AioRpcError as exc:
            log.warning("consumer %s could not acknowledge %s (%s)", self._name, cursor, exc.code().name)

    async def catch_up(self) -> int:
        """Handles every event committed so far and returns how many had an effect."""
        return await self._consume(follow=False)

    async def _consume(self, follow: bool, started: Callable[[], Awaitable[None]] | None = None) -> int:
        applied = 0
        request = events_pb2.StreamEventsRequest(after=await self.cursor(), follow=follow, consumer=self._name)
        call = self._feed.StreamEvents(request)
        # The producer answered (headers come before any event): from here on this consumer works.
        await call.initial_metadata()
        if started is not None:
            await started()
        acknowledged = time.monotonic()
        async for event in call:
            applied += await self._apply(event)
            if time.monotonic() - acknowledged >= self._acknowledge_seconds:
                await self._acknowledge()
                acknowledged = time.monotonic()
        await self._acknowledge()
        return applied

    async def run(self, health: ServiceHealth) -> None:
        """Follows the feed until cancelled, whatever fails, retrying with exponential back-off.

        While the producer cannot be reached, this consumer's own health entry says NOT_SERVING;
        while its own database fails it, the whole service does, since it cannot do its work.
        """
        part = f"{self._name} consumer"
        delay = self._retry_seconds

        async def started() -> None:
            nonlocal delay
            delay = self._retry_seconds
            await health.report(part, True, essential=True)

        while True:
            try:
                await self._consume(follow=True, started=started)
            except grpc.aio.AioRpcError as exc:
                log.warning("consumer %s lost its feed (%s); retrying in %.1f s", self._name, exc.code().name, delay)
                await health.report(part, False, essential=False)
            except Exception:
                log.exception("consumer %s failed; retrying in %.1f s", self._name, delay)
                await health.report(part, False, essential=True)
            # Jitter, so that the replicas of a consumer do not all come back at the same instant.
            await asyncio.sleep(delay * random.uniform(0.5, 1.0))
            delay = min(delay * 2, self._max_retry_seconds)
