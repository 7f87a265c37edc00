"""The transactional outbox and the feed that streams it to consumers.

An event row is written in the same transaction as the change it reports. Rows
carry the writing transaction's id; the feed hands out only rows of transactions
older than every transaction still running (`pg_snapshot_xmin`), in (txid, id)
order, so a row that commits late can never slip behind a consumer's cursor.
"""

import asyncio
from collections.abc import AsyncIterator
from datetime import datetime

from google.protobuf import any_pb2, descriptor_pool, json_format, message_factory
from google.protobuf.message import Message
from google.protobuf.timestamp_pb2 import Timestamp
from sqlalchemy import BigInteger, DateTime, Identity, Index, String, func, select, text, tuple_
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, declared_attr, mapped_column

from marketplace.common.v1 import events_pb2, events_pb2_grpc
from servicekit.db import Database
from servicekit.errors import InvalidArgument

CURRENT_TXID = text("(pg_current_xact_id()::text::bigint)")
OLDEST_RUNNING_TXID = text("(pg_snapshot_xmin(pg_current_snapshot())::text::bigint)")


class OutboxEventMixin:
    """Columns of a service's `outbox_events` table; the service maps it on its own Base."""

    __tablename__ = "outbox_events"

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    txid: Mapped[int] = mapped_column(BigInteger, server_default=CURRENT_TXID)
    event_type: Mapped[str] = mapped_column(String(100))
    subject_id: Mapped[str] = mapped_column(String(100))
    payload_type: Mapped[str] = mapped_column(String(200))
    payload: Mapped[dict] = mapped_column(JSONB)
    occurred_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())

    @declared_attr.directive
    def __table_args__(cls):
        return (Index("ix_outbox_events_txid_id", "txid", "id"),)


def add(
    session: AsyncSession, model: type[OutboxEventMixin], event_type: str, subject_id: object, payload: Message
) -> None:
    """Adds an event to the outbox inside the caller's transaction."""
    session.add(
        model(
            event_type=event_type,
            subject_id=str(subject_id),
            payload_type=payload.DESCRIPTOR.full_name,
            payload=json_format.MessageToDict(payload, preserving_proto_field_name=True),
        )
    )


def format_cursor(txid: int, event_id: int) -> str:
    return f"{txid}.{event_id}"


def parse_cursor(cursor: str) -> tuple[int, int]:
    if not cursor:
        return (0, 0)
    try:
        txid, event_id = cursor.split(".")
        return int(txid), int(event_id)
    except ValueError:
        raise InvalidArgument.field("after", f"{cursor!r} is not an event cursor") from None


def to_event(row: OutboxEventMixin) -> events_pb2.Event:
    payload_class = message_factory.GetMessageClass(descriptor_pool.Default().FindMessageTypeByName(row.payload_type))
    packed = any_pb2.Any()
    packed.Pack(json_format.ParseDict(row.payload, payload_class()))
    occurred_at = Timestamp()
    occurred_at.FromDatetime(row.occurred_at)
    return events_pb2.Event(
        cursor=format_cursor(row.txid, row.id),
        type=row.event_type,
        subject_id=row.subject_id,
        occurred_at=occurred_at,
        payload=packed,
    )


async def committed_after(
    session: AsyncSession, model: type[OutboxEventMixin], after: tuple[int, int], limit: int
) -> list[OutboxEventMixin]:
    """Events after the cursor whose transactions, and all older ones, have finished."""
    stmt = (
        select(model)
        .where(tuple_(model.txid, model.id) > tuple_(*after), model.txid < OLDEST_RUNNING_TXID)
        .order_by(model.txid, model.id)
        .limit(limit)
    )
    return list(await session.scalars(stmt))


async def head_cursor(session: AsyncSession, model: type[OutboxEventMixin]) -> str:
    """Where a consumer that has seen everything in this transaction's snapshot starts following.

    The newest event of the transactions older than every one running: each of those is in the
    snapshot, and every event the feed hands out after this cursor is of a transaction that was
    running or had not begun. Read it in the same REPEATABLE READ transaction as the state it goes with.
    """
    stmt = (
        select(model.txid, model.id)
        .where(model.txid < OLDEST_RUNNING_TXID)
        .order_by(model.txid.desc(), model.id.desc())
        .limit(1)
    )
    newest = (await session.execute(stmt)).first()
    return format_cursor(*newest) if newest else ""


class EventFeedServicer(events_pb2_grpc.EventFeedServiceServicer):
    """Streams a service's outbox to the consumers that follow it."""

    def __init__(self, db: Database, model: type[OutboxEventMixin], *, batch: int = 500, poll_seconds: float = 0.2):
        self._db = db
        self._model = model
        self._batch = batch
        self._poll_seconds = poll_seconds

    async def StreamEvents(self, request: events_pb2.StreamEventsRequest, context) -> AsyncIterator[events_pb2.Event]:
        after = parse_cursor(request.after)
        # Headers now, not with the first event: a follower knows it is connected even while nothing happens.
        await context.send_initial_metadata(())
        while True:
            async with self._db.read() as session:
                rows = await committed_after(session, self._model, after, self._batch)
            for row in rows:
                yield to_event(row)
                after = (row.txid, row.id)
            if len(rows) < self._batch:
                if not request.follow:
                    return
                await asyncio.sleep(self._poll_seconds)
