"""Keeping the Elasticsearch index equal to PostgreSQL: it follows trading's own outbox
(services/trading/README.md, "Search", "Keeping the index").

Each physical index has its own position in the outbox, recorded with the feed's consumers
(`outbox_consumers`, servicekit.retention) under `trading/listing-index:<index>`, so that the outbox
keeps what an index has not taken yet. A batch of events names the listings that changed; their rows
are read as they are now and written with the batch's newest transaction id of each as the version.
The state written is never older than that version's change (the feed hands out a transaction's
events only once every older one has finished), so the document with the highest version is the
listing as it is: replaying events, running two indexers, or a rebuild beside the live indexer,
changes nothing.
"""

import asyncio
import logging
import random
from collections.abc import Callable
from uuid import UUID

from elasticsearch import ApiError, TransportError
from sqlalchemy import func, select

from servicekit.db import Database
from servicekit.health import ServiceHealth
from servicekit.outbox import committed_after, head_cursor, parse_cursor
from servicekit.retention import record_position
from trading.domain.listings import ListingStatus
from trading.models import Listing, OutboxConsumer, OutboxEvent
from trading.search.index import IndexWriteFailed, ListingIndex, operations

log = logging.getLogger(__name__)

CONSUMER = "trading/listing-index"
# The events read, and so the listings written, per round.
BATCH = 1_000
# Listings per bulk request of a rebuild.
BUILD_BATCH = 2_000
LISTING_EVENTS = "trading.listing."


def consumer_of(index: str) -> str:
    return f"{CONSUMER}:{index}"


async def position(db: Database, index: str) -> tuple[int, int] | None:
    """Where the index stands in the outbox; None for an index no build has started."""
    async with db.read() as session:
        found = (
            await session.execute(
                select(OutboxConsumer.txid, OutboxConsumer.event_id).where(
                    OutboxConsumer.consumer == consumer_of(index)
                )
            )
        ).first()
    return tuple(found) if found else None


async def sync(db: Database, listings: ListingIndex, index: str) -> int:
    """Writes into the index every listing change committed after its position; how many events it read."""
    after = await position(db, index)
    if after is None:
        raise LookupError(f"{index} has no position: it was not built by this indexer")
    read = 0
    while True:
        async with db.read() as session:
            rows = await committed_after(session, OutboxEvent, after, BATCH)
            versions: dict[str, int] = {}
            for row in rows:
                if row.event_type.startswith(LISTING_EVENTS):
                    versions[row.subject_id] = row.txid
            found = await _current(session, versions)
        lines = []
        for listing_id, version in versions.items():
            lines += operations(listing_id, found.get(listing_id), version)
        await listings.write(index, lines)
        if rows:
            after = (rows[-1].txid, rows[-1].id)
            async with db.begin() as session:
                await record_position(session, consumer_of(index), after)
        read += len(rows)
        if len(rows) < BATCH:
            return read


async def _current(session, ids: dict[str, int]) -> dict[str, Listing]:
    if not ids:
        return {}
    rows = await session.scalars(select(Listing).where(Listing.id.in_([UUID(id_) for id_ in ids])))
    return {str(row.id): row for row in rows}


async def build(
    db: Database, listings: ListingIndex, progress: Callable[[int, int], None] | None = None
) -> tuple[str, list[str]]:
    """A new physical index filled with every active listing, caught up with the outbox, and the alias
    swapped onto it; its name and the indexes the alias left (dropped by the caller once no search runs
    on them). `progress(done, total)` is told as listings are written.

    The listings are read in one REPEATABLE READ snapshot together with the outbox position it
    includes, written at that position's transaction id, and every change after it is then taken from
    the outbox like the live indexer does: listings created or sold meanwhile end up as they are."""
    index = await listings.create()
    async with db.read() as session:
        await session.connection(execution_options={"isolation_level": "REPEATABLE READ"})
        head = parse_cursor(await head_cursor(session, OutboxEvent))
        async with db.begin() as recording:
            await record_position(recording, consumer_of(index), head)
        active = select(Listing).where(Listing.status == ListingStatus.ACTIVE)
        total = await session.scalar(select(func.count()).select_from(active.subquery())) or 0
        done = 0
        if progress:
            progress(done, total)
        stream = await session.stream_scalars(active.execution_options(yield_per=BUILD_BATCH))
        async for batch in stream.partitions():
            lines = []
            for listing in batch:
                lines += operations(str(listing.id), listing, head[0])
            await listings.write(index, lines)
            done += len(batch)
            if progress:
                progress(done, total)
    await sync(db, listings, index)
    before = await listings.swap(index)
    # What the live indexer wrote into the old index meanwhile is in the outbox after `head` too.
    await sync(db, listings, index)
    return index, before


class ListingIndexer:
    """Follows the outbox into the index behind the alias, building the first index when there is none."""

    def __init__(
        self,
        db: Database,
        listings: ListingIndex,
        *,
        poll_seconds: float = 0.1,
        retry_seconds: float = 1.0,
        max_retry_seconds: float = 30.0,
    ) -> None:
        self._db = db
        self._listings = listings
        self._poll_seconds = poll_seconds
        self._retry_seconds = retry_seconds
        self._max_retry_seconds = max_retry_seconds

    async def step(self) -> int:
        """One round: the index behind the alias (built when there is none) takes every change so far."""
        index = await self._listings.current()
        if index is None:
            index, _ = await build(self._db, self._listings)
            log.info("built the search index %s", index)
        return await sync(self._db, self._listings, index)

    async def run(self, health: ServiceHealth) -> None:
        """Rounds until cancelled; while Elasticsearch or the database fails it, its health entry says so
        (not essential: trading works without search) and it retries with back-off."""
        part = "listing index"
        delay = self._retry_seconds
        while True:
            try:
                await self.step()
                await health.report(part, True, essential=False)
                delay = self._retry_seconds
                await asyncio.sleep(self._poll_seconds)
            except Exception as exc:
                if isinstance(exc, ApiError | TransportError | IndexWriteFailed):
                    log.warning("the listing index could not follow (%r); retrying in %.1f s", exc, delay)
                else:
                    log.exception("the listing index failed; retrying in %.1f s", delay)
                await health.report(part, False, essential=False)
                await asyncio.sleep(delay * random.uniform(0.5, 1.0))
                delay = min(delay * 2, self._max_retry_seconds)
