"""The per-user log of live events: appending in the writer's transaction, reading after a sequence number,
pruning what is past its retention.

Each user has a head row holding the last sequence number given. Appending increments it with an upsert whose
row lock is held until the writer commits, so a user's events commit in the order of their numbers: a reader
that has seen number n and reads `seq > n` later never skips one that committed late. A writer that publishes
to several users does so in the order of their ids, so that two writers never wait for each other in a cycle.
The NOTIFY goes out at commit, to every messaging process listening (messaging.live).
"""

from dataclasses import dataclass
from datetime import datetime, timedelta
from uuid import UUID

from sqlalchemy import delete, func, select, tuple_
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from messaging.models import UserEvent, UserEventHead

CHANNEL = "user_events"
PRUNE_BATCH = 5000


@dataclass(frozen=True)
class LoggedEvent:
    seq: int
    created_at: datetime
    payload: bytes


async def publish(session: AsyncSession, user_id: UUID, event_type: str, payload: bytes) -> int:
    """Appends the event to the user's log in the caller's transaction; its sequence number."""
    head = insert(UserEventHead).values(user_id=user_id, last_seq=1)
    seq = await session.scalar(
        head.on_conflict_do_update(index_elements=["user_id"], set_={"last_seq": UserEventHead.last_seq + 1}).returning(
            UserEventHead.last_seq
        )
    )
    await session.execute(insert(UserEvent).values(user_id=user_id, seq=seq, type=event_type, payload=payload))
    await session.execute(select(func.pg_notify(CHANNEL, str(user_id))))
    return seq


async def publish_to_each(session: AsyncSession, events: dict[UUID, tuple[str, bytes]]) -> None:
    """Appends an event per user, in the order of their ids (no deadlocks between writers)."""
    for user_id in sorted(events):
        await publish(session, user_id, *events[user_id])


async def last_seq(session: AsyncSession, user_id: UUID) -> int:
    return await session.scalar(select(UserEventHead.last_seq).where(UserEventHead.user_id == user_id)) or 0


async def after(session: AsyncSession, user_id: UUID, seq: int, limit: int) -> list[LoggedEvent]:
    """The user's events after `seq` still kept, oldest first."""
    rows = await session.execute(
        select(UserEvent.seq, UserEvent.created_at, UserEvent.payload)
        .where(UserEvent.user_id == user_id, UserEvent.seq > seq)
        .order_by(UserEvent.seq)
        .limit(limit)
    )
    return [LoggedEvent(*row) for row in rows]


async def prune_batch(session: AsyncSession, older_than: timedelta) -> int:
    """Deletes up to a batch of the events older than `older_than`, found through their age's index; how many.
    The heads stay: a number is never given twice."""
    oldest_kept = select(func.now() - older_than).scalar_subquery()
    batch = select(UserEvent.user_id, UserEvent.seq).where(UserEvent.created_at < oldest_kept).limit(PRUNE_BATCH)
    result = await session.execute(delete(UserEvent).where(tuple_(UserEvent.user_id, UserEvent.seq).in_(batch)))
    return result.rowcount
