"""Counters of attempts per key (sign-ins, registrations), each in a fixed window."""

from datetime import datetime

from sqlalchemy import case, delete, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from accounts.domain.throttling import AttemptCount, Limit
from accounts.models import LoginFailures

# Each failure deletes up to this many rows whose window is over, so the table stays small.
STALE_ROWS_PER_FAILURE = 100


async def count_attempt(session: AsyncSession, limits: dict[str, Limit], now: datetime) -> list[AttemptCount]:
    """Counts one attempt on each key, in a window that starts at the first attempt after the last
    window ended, and returns the counts with it. The keys are taken in order, the one lock order of
    every caller; the caller commits before it makes the attempt, so that each of many concurrent
    attempts sees those counted before it."""
    counts = []
    for key in sorted(limits):
        limit = limits[key]
        current = LoginFailures.window_started_at > now - limit.window
        stmt = (
            insert(LoginFailures)
            .values(key=key, failures=1, window_started_at=now)
            .on_conflict_do_update(
                index_elements=[LoginFailures.key],
                set_={
                    "failures": case((current, LoginFailures.failures + 1), else_=1),
                    "window_started_at": case((current, LoginFailures.window_started_at), else_=now),
                },
            )
            .returning(LoginFailures.failures, LoginFailures.window_started_at)
        )
        attempts, started = (await session.execute(stmt)).one()
        counts.append(AttemptCount(attempts, started, limit))
    return counts


async def forgive(session: AsyncSession, keys: list[str], reset: str) -> None:
    """Takes back one attempt from each key, and every attempt from the key `reset`."""
    for key in sorted(keys):
        row = LoginFailures.key == key
        if key != reset:
            taken_back = await session.execute(
                update(LoginFailures).where(row, LoginFailures.failures > 1).values(failures=LoginFailures.failures - 1)
            )
            if taken_back.rowcount:
                continue
        await session.execute(delete(LoginFailures).where(row))


async def delete_stale(session: AsyncSession, window_ended_before: datetime) -> None:
    stale = (
        select(LoginFailures.key)
        .where(LoginFailures.window_started_at <= window_ended_before)
        .limit(STALE_ROWS_PER_FAILURE)
        .with_for_update(skip_locked=True)
    )
    await session.execute(delete(LoginFailures).where(LoginFailures.key.in_(stale)))
