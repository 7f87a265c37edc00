"""How long the outbox keeps its events: until every consumer has them, and at least a retention.

Consumers keep their cursors in their own databases, which the producer cannot read, so each
consumer tells the producer where it stands: a consumer that names itself in StreamEvents has
its starting cursor recorded (`outbox_consumers`), and acknowledges the cursor it has stored
(AcknowledgeEvents) as it goes. A recorded cursor only moves forward.

A day's partition of the outbox is dropped when
- its day ended more than OUTBOX_RETENTION_DAYS ago (7 by default): what is younger stays
  whatever the consumers, for a new consumer and for whoever investigates;
- every consumer heard from within the retention has passed the newest event it holds, in the
  feed's order (a consumer silent for longer is taken for gone, and holds nothing back);
- no transaction that began before its day ended is still running (it could yet write there),
  and the feed has released its newest event (no older transaction still runs).

Before a partition goes, its range and newest event are written down (`outbox_pruned_partitions`).
The feed refuses a cursor older than the newest event ever dropped (FAILED_PRECONDITION
EVENTS_PRUNED) instead of skipping what is gone, so a consumer back from a longer absence, or from
a restored backup, stops and says so. An empty cursor asks for every event still kept.
"""

from datetime import datetime, timedelta

from sqlalchemy import BigInteger, Connection, DateTime, String, case, column, func, select, table, text, tuple_
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from servicekit.errors import FailedPrecondition
from servicekit.outbox import OLDEST_RUNNING_TXID, OUTBOX, format_cursor
from servicekit.partitions import Partition, drop_partition, is_partitioned, partitions

Cursor = tuple[int, int]


class OutboxConsumerMixin:
    """Where each consumer of this service's feed stands, as it last said."""

    __tablename__ = "outbox_consumers"

    # "<calling service>/<consumer name>"
    consumer: Mapped[str] = mapped_column(String(200), primary_key=True)
    txid: Mapped[int] = mapped_column(BigInteger)
    event_id: Mapped[int] = mapped_column(BigInteger)
    seen_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class PrunedPartitionMixin:
    """A partition of the outbox that was dropped, and the newest event it held."""

    __tablename__ = "outbox_pruned_partitions"

    name: Mapped[str] = mapped_column(String(100), primary_key=True)
    starts_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    ends_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    # Null when it held no event.
    last_txid: Mapped[int | None] = mapped_column(BigInteger)
    last_event_id: Mapped[int | None] = mapped_column(BigInteger)
    pruned_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


_CONSUMERS = table(
    OutboxConsumerMixin.__tablename__,
    column("consumer", String),
    column("txid", BigInteger),
    column("event_id", BigInteger),
    column("seen_at", DateTime(timezone=True)),
)
_PRUNED = table(
    PrunedPartitionMixin.__tablename__,
    column("name", String),
    column("starts_at", DateTime(timezone=True)),
    column("ends_at", DateTime(timezone=True)),
    column("last_txid", BigInteger),
    column("last_event_id", BigInteger),
)

# The start of the oldest transaction running in this database.
_OLDEST_RUNNING = text(
    "SELECT min(xact_start) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()"
)


class EventsPruned(FailedPrecondition):
    reason = "EVENTS_PRUNED"

    def __init__(self, after: Cursor, pruned: Cursor) -> None:
        super().__init__(
            f"events after {format_cursor(*after)} up to {format_cursor(*pruned)} were dropped from the outbox:"
            " this consumer was away longer than the producer's retention",
            metadata={"pruned_through": format_cursor(*pruned)},
        )


async def record_position(session: AsyncSession, consumer: str, position: Cursor) -> None:
    """Records that the consumer has handled every event up to position; an older position changes nothing
    but the time it was heard from."""
    statement = insert(_CONSUMERS).values(consumer=consumer, txid=position[0], event_id=position[1])
    newer = tuple_(statement.excluded.txid, statement.excluded.event_id) > tuple_(
        _CONSUMERS.c.txid, _CONSUMERS.c.event_id
    )
    await session.execute(
        statement.on_conflict_do_update(
            index_elements=["consumer"],
            set_={
                "txid": case((newer, statement.excluded.txid), else_=_CONSUMERS.c.txid),
                "event_id": case((newer, statement.excluded.event_id), else_=_CONSUMERS.c.event_id),
                "seen_at": func.now(),
            },
        )
    )


async def pruned_through(session: AsyncSession) -> Cursor | None:
    """The newest event ever dropped from the outbox, in the feed's order."""
    stmt = (
        select(_PRUNED.c.last_txid, _PRUNED.c.last_event_id)
        .where(_PRUNED.c.last_txid.is_not(None))
        .order_by(_PRUNED.c.last_txid.desc(), _PRUNED.c.last_event_id.desc())
        .limit(1)
    )
    newest = (await session.execute(stmt)).first()
    return tuple(newest) if newest else None


def check_not_pruned(after: Cursor, pruned: Cursor | None) -> None:
    """Refuses to go on from a cursor behind events that were dropped."""
    if pruned is not None and after < pruned:
        raise EventsPruned(after, pruned)


def _slowest(connection: Connection, since: datetime) -> Cursor | None:
    stmt = (
        select(_CONSUMERS.c.txid, _CONSUMERS.c.event_id)
        .where(_CONSUMERS.c.seen_at > since)
        .order_by(_CONSUMERS.c.txid, _CONSUMERS.c.event_id)
        .limit(1)
    )
    slowest = connection.execute(stmt).first()
    return tuple(slowest) if slowest else None


def _newest_event(connection: Connection, partition: Partition) -> Cursor | None:
    newest = connection.execute(
        text(f"SELECT txid, id FROM {partition.name} ORDER BY txid DESC, id DESC LIMIT 1")
    ).first()
    return tuple(newest) if newest else None


# Partitions written down as dropped that a round left detached but not yet dropped.
_LEFT_DETACHED = text(
    f"""
    SELECT p.name FROM {PrunedPartitionMixin.__tablename__} p
    JOIN pg_class c ON c.relname = p.name AND c.relnamespace = current_schema()::regnamespace
    WHERE c.relkind = 'r' AND NOT c.relispartition
    """
)


def prune(connection: Connection, retention: timedelta) -> list[str]:
    """Drops the outbox partitions the rule above lets go; their names. On a connection in autocommit."""
    if not is_partitioned(connection, OUTBOX.name):
        return []
    for name in connection.execute(_LEFT_DETACHED).scalars():
        connection.execute(text(f"DROP TABLE {name}"))
    now = connection.execute(select(func.now())).scalar_one()
    oldest_running = connection.execute(_OLDEST_RUNNING).scalar()
    horizon = min(now - retention, oldest_running or now)
    slowest = _slowest(connection, now - retention)
    released_below = connection.execute(select(OLDEST_RUNNING_TXID)).scalar_one()
    dropped = []
    for partition in partitions(connection, OUTBOX.name):
        if partition.ends > horizon:
            continue
        newest = _newest_event(connection, partition)
        if newest is not None and (newest[0] >= released_below or (slowest is not None and newest > slowest)):
            continue
        # Written down first: a partition is never gone without its record.
        connection.execute(
            insert(_PRUNED)
            .values(
                name=partition.name,
                starts_at=partition.starts,
                ends_at=partition.ends,
                last_txid=newest[0] if newest else None,
                last_event_id=newest[1] if newest else None,
            )
            .on_conflict_do_nothing()
        )
        drop_partition(connection, OUTBOX.name, partition)
        dropped.append(partition.name)
    return dropped
