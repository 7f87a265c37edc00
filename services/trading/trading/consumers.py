"""What trading follows of its own outbox besides search: the listings that buy orders may buy and saved
searches tell their owners of.

Matching runs after the listing's transaction commits, never inside it: a listing created, published,
changed while on sale, or back on sale after a purchase that did not go through is announced in the
outbox (`trading.listing.created`, `trading.listing.changed` with status active), and every replica
reads those announcements from its position (`outbox_consumers`, consumer `trading/buy-order-matcher`)
each round and lets each listing be bought by the best order it matches (service/fills.py). The position
is recorded after a batch's listings are handled, so a crash reads the batch again: a listing already
bought is no longer active and matches nothing, and a fill the crash interrupted is the purchase
reconciler's to finish or undo. Replicas read the same announcements; the listing's reservation lets
one order buy it, and a saved search's row of the listing (`saved_search_matches`) lets one of them tell
its owner, whichever replica or round reads the listing (service/saved_searches.py).
"""

import asyncio
from uuid import UUID

from sqlalchemy import select

from servicekit.outbox import committed_after, head_cursor, parse_cursor
from servicekit.retention import record_position
from trading.models import OutboxConsumer, OutboxEvent
from trading.service.fills import fill_listing
from trading.service.purchases import Saga
from trading.service.saved_searches import tell_matching_searches

CONSUMER = "trading/buy-order-matcher"
# The announcements read per batch.
BATCH = 500
# The listings of a batch matched and bought at once (each holds a database connection while it does).
CONCURRENT_FILLS = 8
ON_SALE = "LISTING_STATUS_ACTIVE"


def on_sale(event: OutboxEvent) -> bool:
    """Whether the event announces a listing on sale that an order may buy."""
    if event.event_type == "trading.listing.created":
        return True
    return event.event_type == "trading.listing.changed" and event.payload.get("status") == ON_SALE


async def _position(saga: Saga) -> tuple[int, int]:
    """Where the matcher stands; at its first start, the outbox's head (orders exist only from then on)."""
    async with saga.db.begin() as session:
        found = (
            await session.execute(
                select(OutboxConsumer.txid, OutboxConsumer.event_id).where(OutboxConsumer.consumer == CONSUMER)
            )
        ).first()
        if found is not None:
            return tuple(found)
        head = parse_cursor(await head_cursor(session, OutboxEvent))
        await record_position(session, CONSUMER, head)
        return head


async def _fill_each(saga: Saga, listing_ids) -> None:
    """Lets each listing be bought, up to CONCURRENT_FILLS at once: a fill is a purchase of several round
    trips, and one after another the matcher fell behind listings created at 40 a second (the last bought
    28 s after it was listed, in the benchmark). Two listings after one order's last unit are decided by
    its lock, each taking the next best order if it loses."""
    slots = asyncio.Semaphore(CONCURRENT_FILLS)

    async def fill(listing_id: UUID) -> None:
        async with slots:
            # Told before it is bought: a saved search tells of a listing that went on sale, sold or not.
            await tell_matching_searches(saga.db, listing_id)
            await fill_listing(saga, listing_id)

    await asyncio.gather(*(fill(listing_id) for listing_id in listing_ids))


async def match_announced_listings(saga: Saga) -> int:
    """Lets every listing announced on sale since the last round be bought by the best order it matches;
    how many announcements it read."""
    after = await _position(saga)
    read = 0
    while True:
        async with saga.db.read() as session:
            rows = await committed_after(session, OutboxEvent, after, BATCH)
        # A listing announced twice in a batch is matched once, as it is now.
        await _fill_each(saga, dict.fromkeys(UUID(row.subject_id) for row in rows if on_sale(row)))
        if rows:
            after = (rows[-1].txid, rows[-1].id)
            async with saga.db.begin() as session:
                await record_position(session, CONSUMER, after)
        read += len(rows)
        if len(rows) < BATCH:
            return read
