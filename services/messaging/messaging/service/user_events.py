"""Use cases of the live events: a user's stream, and pruning the log of what is past its retention."""

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import timedelta

from messaging.live import UserEventListener
from messaging.repository import user_events as repository
from messaging.repository.user_events import LoggedEvent
from servicekit import pruning
from servicekit.auth import Caller
from servicekit.db import Database

READ_BATCH = 500


async def follow(
    db: Database,
    listener: UserEventListener,
    caller: Caller,
    last_event_id: int | None,
    reread_seconds: float,
    started: Callable[[], Awaitable[None]],
) -> AsyncIterator[LoggedEvent]:
    """The caller's events after `last_event_id` that the log still keeps (all it keeps, when that one is gone),
    then each new one as it commits; without `last_event_id`, the new ones only. Until the client goes.
    `started` is awaited once where the stream starts is fixed: every event committed after it will come."""
    # Woken from before the first read on: nothing committed in between is missed.
    with listener.waiting(caller.user_id) as woken:
        last = last_event_id
        if last is None:
            async with db.read() as session:
                last = await repository.last_seq(session, caller.user_id)
        await started()
        while True:
            woken.clear()
            async with db.connection() as connection:
                batch = await repository.after(connection, caller.user_id, last, READ_BATCH)
            for event in batch:
                yield event
                last = event.seq
            if len(batch) == READ_BATCH:
                continue
            try:
                async with asyncio.timeout(reread_seconds):
                    await woken.wait()
            except TimeoutError:
                pass


async def prune(db: Database, retention: timedelta) -> int:
    """Deletes the events past their retention, a batch per transaction; how many."""
    deleted = 0
    while True:
        async with db.begin() as session:
            count = await repository.prune_batch(session, retention)
        deleted += count
        if count < pruning.BATCH:
            return deleted
