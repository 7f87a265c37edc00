"""The per-user log of live events: appending in the writer's transaction, reading after a sequence number,
pruning what is past its retention.

Each user has a head row holding the last sequence number given. Appending increments it with an upsert whose
row lock is held until the writer commits, so a user's events commit in the order of their numbers: a reader
that has seen number n and reads `seq > n` later never skips one that committed late. A writer that publishes
to several users locks their heads in the order of their ids, so that two writers never wait for each other in
a cycle.
The NOTIFY goes out at commit, to every messaging process listening (messaging.live).
"""

from dataclasses import dataclass
from datetime import datetime, timedelta
from uuid import UUID

import asyncpg
from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncSession

from messaging.models import UserEvent, UserEventHead
from servicekit import pruning

CHANNEL = "user_events"


@dataclass(frozen=True)
class LoggedEvent:
    seq: int
    created_at: datetime
    payload: bytes


# One statement, however many users: each head is incremented in the order of the user ids (no deadlocks
# between writers), its new number logs the event, and the notification goes out at commit.
_PUBLISH = text(
    """
    WITH heads AS (
        INSERT INTO user_event_heads AS head (user_id, last_seq)
        SELECT DISTINCT user_id, 1 FROM unnest(CAST(:user_ids AS uuid[])) AS user_id ORDER BY user_id
        ON CONFLICT (user_id) DO UPDATE SET last_seq = head.last_seq + 1
        RETURNING user_id, last_seq
    ), logged AS (
        INSERT INTO user_events (user_id, seq, type, payload) SELECT user_id, last_seq, :type, :payload FROM heads
    )
    SELECT pg_notify(:channel, user_id::text) FROM heads
    """
)

_AFTER = """
    SELECT seq, created_at, payload FROM user_events WHERE user_id = $1 AND seq > $2 ORDER BY seq LIMIT $3
"""


async def publish(session: AsyncSession, user_ids: list[UUID], event_type: str, payload: bytes) -> None:
    """Appends the event to each user's log in the caller's transaction."""
    await session.execute(_PUBLISH, {"user_ids": user_ids, "type": event_type, "payload": payload, "channel": CHANNEL})


async def last_seq(session: AsyncSession, user_id: UUID) -> int:
    return await session.scalar(select(UserEventHead.last_seq).where(UserEventHead.user_id == user_id)) or 0


async def after(connection: asyncpg.Connection, user_id: UUID, seq: int, limit: int) -> list[LoggedEvent]:
    """The user's events after `seq` still kept, oldest first: one prepared statement outside any transaction, as
    every woken stream runs it."""
    return [LoggedEvent(*row) for row in await connection.fetch(_AFTER, user_id, seq, limit)]


async def prune_batch(session: AsyncSession, older_than: timedelta) -> int:
    """Deletes up to a batch of the events older than `older_than`, found through their age's index; how many.
    The heads stay: a number is never given twice."""
    events = UserEvent.__table__
    key = [events.c.user_id, events.c.seq]
    result = await session.execute(pruning.deleting_a_batch(events, events.c.created_at, key, older_than))
    return result.rowcount
