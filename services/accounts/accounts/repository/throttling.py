"""Counters of failed sign-ins."""

from datetime import datetime, timedelta

from sqlalchemy import case, delete, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from accounts.domain.throttling import FailureCount
from accounts.models import LoginFailures

# Each failure deletes up to this many rows whose window is over, so the table stays small.
STALE_FAILURES_PER_FAILURE = 100


async def failure_counts(session: AsyncSession, limits: dict[str, int]) -> list[FailureCount]:
    rows = await session.execute(
        select(LoginFailures.key, LoginFailures.failures, LoginFailures.window_started_at).where(
            LoginFailures.key.in_(limits)
        )
    )
    return [FailureCount(failures, started, limits[key]) for key, failures, started in rows]


async def record_failures(session: AsyncSession, keys: list[str], now: datetime, window: timedelta) -> None:
    """Counts one failure for each key, in a fixed window that starts at the first failure after the last one ended."""
    current = LoginFailures.window_started_at > now - window
    stmt = insert(LoginFailures).values([{"key": key, "failures": 1, "window_started_at": now} for key in keys])
    await session.execute(
        stmt.on_conflict_do_update(
            index_elements=[LoginFailures.key],
            set_={
                "failures": case((current, LoginFailures.failures + 1), else_=1),
                "window_started_at": case((current, LoginFailures.window_started_at), else_=now),
            },
        )
    )
    stale = (
        select(LoginFailures.key)
        .where(LoginFailures.window_started_at <= now - window)
        .limit(STALE_FAILURES_PER_FAILURE)
        .with_for_update(skip_locked=True)
    )
    await session.execute(delete(LoginFailures).where(LoginFailures.key.in_(stale)))


async def clear_failures(session: AsyncSession, key: str) -> None:
    await session.execute(delete(LoginFailures).where(LoginFailures.key == key))
