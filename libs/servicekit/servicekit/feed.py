"""The event feed: a service's outbox streamed to the consumers that follow it, and where they stand.

The order of events and the hold-back of late commits are servicekit.outbox's; what the feed keeps
and for whom is servicekit.retention's.
"""

import asyncio
from collections.abc import AsyncIterator

from marketplace.common.v1 import events_pb2, events_pb2_grpc
from servicekit import retention
from servicekit.auth import current_call
from servicekit.db import Database
from servicekit.errors import InvalidArgument
from servicekit.outbox import OutboxEventMixin, committed_after, parse_cursor, to_event

MAX_CONSUMER_NAME = 100


def consumer_key(name: str) -> str | None:
    """The calling service's consumer of that name, as recorded ("trading/listing-search"); None for none."""
    if not name:
        return None
    if len(name) > MAX_CONSUMER_NAME:
        raise InvalidArgument.field("consumer", f"a consumer name has at most {MAX_CONSUMER_NAME} characters")
    return f"{current_call().service}/{name}"


class EventFeedServicer(events_pb2_grpc.EventFeedServiceServicer):
    """Streams a service's outbox to the consumers that follow it."""

    def __init__(self, db: Database, model: type[OutboxEventMixin], *, batch: int = 500, poll_seconds: float = 0.2):
        self._db = db
        self._model = model
        self._batch = batch
        self._poll_seconds = poll_seconds

    async def StreamEvents(self, request: events_pb2.StreamEventsRequest, context) -> AsyncIterator[events_pb2.Event]:
        after = parse_cursor(request.after)
        consumer = consumer_key(request.consumer)
        if consumer is not None:
            async with self._db.begin() as session:
                await retention.record_position(session, consumer, after)
        # Headers now, not with the first event: a follower knows it is connected even while nothing happens.
        await context.send_initial_metadata(())
        # An empty cursor asks for what is kept; from any other, nothing dropped may be skipped.
        checked = bool(request.after)
        while True:
            async with self._db.read() as session:
                rows = await committed_after(session, self._model, after, self._batch)
                # Read after the rows: a partition gone before they were read was written down before it went.
                pruned = await retention.pruned_through(session)
            if checked:
                retention.check_not_pruned(after, pruned)
            for row in rows:
                yield to_event(row)
                after = (row.txid, row.id)
            checked = checked or bool(rows)
            if len(rows) < self._batch:
                if not request.follow:
                    return
                await asyncio.sleep(self._poll_seconds)

    async def AcknowledgeEvents(
        self, request: events_pb2.AcknowledgeEventsRequest, context
    ) -> events_pb2.AcknowledgeEventsResponse:
        consumer = consumer_key(request.consumer)
        position = parse_cursor(request.cursor, "cursor")
        async with self._db.begin() as session:
            await retention.record_position(session, consumer, position)
        return events_pb2.AcknowledgeEventsResponse()
