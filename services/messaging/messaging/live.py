"""Live delivery across processes: each messaging process keeps ONE PostgreSQL connection LISTENing on the
per-user log's channel (messaging.repository.user_events) and wakes the streams it serves of the user a
notification names.

A notification only wakes: a woken stream reads its user's log after the last event it sent, so an event is sent
once and in order whatever notifications come, twice or not at all. A stream also reads every
STREAM_REREAD_SECONDS unwoken, and every stream is woken whenever the connection is (re)made, so events committed
while it was down are found.
"""

import asyncio
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from uuid import UUID

from messaging.repository.user_events import CHANNEL
from servicekit.db import Database
from servicekit.health import ServiceHealth

log = logging.getLogger("messaging.live")

PART = "user events listener"


class UserEventListener:
    def __init__(self, db: Database, retry_seconds: float = 1.0, keepalive_seconds: float = 5.0) -> None:
        self._db = db
        self._retry_seconds = retry_seconds
        self._keepalive_seconds = keepalive_seconds
        self._waiting: dict[UUID, set[asyncio.Event]] = {}

    @contextmanager
    def waiting(self, user_id: UUID) -> Iterator[asyncio.Event]:
        """An event set whenever the user's log may have grown, for the block."""
        woken = asyncio.Event()
        self._waiting.setdefault(user_id, set()).add(woken)
        try:
            yield woken
        finally:
            streams = self._waiting[user_id]
            streams.discard(woken)
            if not streams:
                del self._waiting[user_id]

    def _notified(self, _connection: object, _pid: int, _channel: str, payload: str) -> None:
        try:
            user_id = UUID(payload)
        except ValueError:
            return
        for woken in self._waiting.get(user_id, ()):
            woken.set()

    def _wake_all(self) -> None:
        for streams in self._waiting.values():
            for woken in streams:
                woken.set()

    async def _listen(self, health: ServiceHealth) -> None:
        """Listens until the connection is lost."""
        lost = asyncio.Event()
        connection = await self._db.connect_outside_pool("messaging user events listener")
        try:
            await connection.add_listener(CHANNEL, self._notified)
            connection.add_termination_listener(lambda *_: lost.set())
            await health.report(PART, True, essential=False)
            # What was committed while nobody listened.
            self._wake_all()
            while not lost.is_set():
                try:
                    async with asyncio.timeout(self._keepalive_seconds):
                        await lost.wait()
                except TimeoutError:
                    # A connection that died without a word (a cut network) fails here.
                    await connection.execute("SELECT 1")
        finally:
            connection.terminate()

    async def run(self, health: ServiceHealth) -> None:
        """Listens until cancelled, connecting again whenever the connection is lost."""
        while True:
            try:
                await self._listen(health)
                log.warning("lost the user events listener; listening again")
            except Exception as exc:  # whatever it was, streams must be woken again
                log.warning("could not listen for user events (%r); trying again", exc)
            # Streams cannot be woken meanwhile; they read on their own every STREAM_REREAD_SECONDS.
            await health.report(PART, False, essential=False)
            await asyncio.sleep(self._retry_seconds)
