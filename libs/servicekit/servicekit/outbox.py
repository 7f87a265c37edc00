"""The transactional outbox and the queries the feed (servicekit.feed) reads it with.

An event row is written in the same transaction as the change it reports. Rows
carry the writing transaction's id; the feed hands out only rows of transactions
older than every transaction still running (`pg_snapshot_xmin`), in (txid, id)
order, so a row that commits late can never slip behind a consumer's cursor.

The table is range-partitioned by day of `occurred_at` (servicekit.partitions), so that old
events go by dropping a partition (servicekit.retention) instead of deleting rows. The feed's
order does not follow the partitions: `occurred_at` is when the writing transaction began,
while its txid is taken at its first write, so a transaction begun before midnight can write
an event into yesterday's partition with a txid after some of today's. The feed reads every
partition in (txid, id) order all the same (a merge of each partition's (txid, id) index), and
a partition goes only once every consumer is past the newest event it holds, in that order.
"""

from datetime import datetime

from google.protobuf import any_pb2, descriptor_pool, json_format, message_factory
from google.protobuf.message import Message
from google.protobuf.timestamp_pb2 import Timestamp
from sqlalchemy import BigInteger, DateTime, Identity, Index, String, func, select, text, tuple_
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, declared_attr, mapped_column

from marketplace.common.v1 import events_pb2
from servicekit.errors import InvalidArgument
from servicekit.partitions import PartitionedTable, Period

CURRENT_TXID = text("(pg_current_xact_id()::text::bigint)")
OLDEST_RUNNING_TXID = text("(pg_snapshot_xmin(pg_current_snapshot())::text::bigint)")

# A day per partition: retention is counted in days, a day's events are dropped at once, and with
# the default retention (servicekit.retention) the feed merges about a dozen partitions.
OUTBOX = PartitionedTable("outbox_events", "occurred_at", Period.DAY, ahead=3)


class OutboxEventMixin:
    """Columns of a service's `outbox_events` table; the service maps it on its own Base."""

    __tablename__ = "outbox_events"

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    txid: Mapped[int] = mapped_column(BigInteger, server_default=CURRENT_TXID)
    event_type: Mapped[str] = mapped_column(String(100))
    subject_id: Mapped[str] = mapped_column(String(100))
    payload_type: Mapped[str] = mapped_column(String(200))
    payload: Mapped[dict] = mapped_column(JSONB)
    # The partition key, so part of the primary key.
    occurred_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now(), primary_key=True)

    @declared_attr.directive
    def __table_args__(cls):
        return (Index("ix_outbox_events_txid_id", "txid", "id"), {"postgresql_partition_by": OUTBOX.partition_by})


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


def parse_cursor(cursor: str, field: str = "after") -> tuple[int, int]:
    if not cursor:
        return (0, 0)
    try:
        txid, event_id = cursor.split(".")
        return int(txid), int(event_id)
    except ValueError:
        raise InvalidArgument.field(field, f"{cursor!r} is not an event cursor") from None


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
