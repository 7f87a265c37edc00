"""Buy orders filled by listings (services/trading/README.md, "Matching"): a listing that goes on sale, or
whose price or values change, is bought by the best open order it matches; an order that opens buys the
matching listings on sale, cheapest first. A fill is a purchase through the same saga as buy-now at the
listing's price, drawing on the order's hold.

Locks, as everywhere, listing first: the listing is reserved by the same conditional update a buy-now
uses (of a hand purchase and an order at once exactly one gets it), then the order is locked and checked
again (open, a unit left, its predicates still met by the listing as it is now), in one transaction with
the pending transaction and the fill; the saga takes it from there.
"""

import logging
from datetime import UTC, datetime
from uuid import UUID

from servicekit.errors import DomainError, Unavailable
from servicekit.money import Money
from trading import events
from trading.domain import buy_orders as rules
from trading.domain.buy_orders import BuyOrderStatus
from trading.domain.standing_queries import StandingQueryKind
from trading.models import BuyOrderFill, Transaction
from trading.repository import buy_orders as repository
from trading.repository import listings as listing_rows
from trading.repository import standing_queries
from trading.service import purchases
from trading.service.purchases import Saga

log = logging.getLogger(__name__)

# The best orders a listing tries, in order, before it gives up: one that cannot take it any more (filled or
# closed since the match) is passed over.
CANDIDATES = 20


class OrderCannotTake(Exception):
    """The order can no longer buy the listing: closed, every unit taken, or its predicates no longer met."""


def _now() -> datetime:
    return datetime.now(UTC)


async def start_fill(saga: Saga, order_id: UUID, listing_id: UUID) -> Transaction | None:
    """Reserves the listing for the order and starts its purchase; None when the listing is no longer on sale
    (or is the buyer's own). OrderCannotTake, with nothing written, when the order cannot take it."""
    async with saga.db.begin() as session:
        order = await repository.get_order(session, order_id)
        if order is None:
            raise OrderCannotTake(f"buy order {order_id} does not exist")
        listing = await listing_rows.reserve(session, listing_id, order.buyer_id)
        if listing is None:
            return None
        order = await repository.get_order(session, order_id, for_update=True)
        query = order.query
        takes = (
            order.status is BuyOrderStatus.OPEN
            and order.quantity_filled < order.quantity
            and order.expire_at > _now()
            and await standing_queries.still_matches(session, order_id, listing_id)
            # A listing the order bought before and gave back (refunded) is not bought again by it.
            and not await repository.filled_before(session, order_id, listing_id)
        )
        if not takes:
            # Raised inside the transaction: the reservation is rolled back with it.
            raise OrderCannotTake(f"buy order {order_id} cannot take listing {listing_id}")
        transaction = purchases.start(
            session, saga, listing, order.buyer_id, Money(listing.currency, listing.price_minor)
        )
        transaction.buy_order_id, transaction.hold_id = order.id, order.hold_id
        transaction.hold_posting_id = order.hold_posting_id
        await purchases.started(session, listing, transaction)
        session.add(
            BuyOrderFill(transaction_id=transaction.id, buy_order_id=order.id, held_minor=query.max_price_minor)
        )
        order.quantity_filled += 1
        order.status = rules.status_after_fill(order.quantity_filled, order.quantity)
        if order.status is BuyOrderStatus.FILLED:
            query.open = False
            await session.flush()
            events.buy_order_changed(session, order)
    saga.crash_after("reserve")
    return transaction


async def _drive(saga: Saga, transaction: Transaction) -> Transaction:
    """Takes the fill's purchase as far as it goes now; what a context that does not answer leaves is the
    reconciler's."""
    try:
        return await purchases.drive(saga, transaction.id, transaction)
    except (Unavailable, DomainError) as exc:
        log.warning("buy order fill %s stays %s until the reconciler: %s", transaction.id, transaction.status, exc)
        return transaction


async def fill_listing(saga: Saga, listing_id: UUID) -> Transaction | None:
    """The listing bought by the best open order it matches (the highest max price, then the oldest); the
    fill's transaction, or None when no order takes it."""
    async with saga.db.read() as session:
        candidates = await standing_queries.queries_matching(
            session, StandingQueryKind.BUY_ORDER, listing_id, CANDIDATES
        )
    for order_id in candidates:
        try:
            transaction = await start_fill(saga, order_id, listing_id)
        except OrderCannotTake:
            continue
        return None if transaction is None else await _drive(saga, transaction)
    return None


async def fill_order(saga: Saga, order_id: UUID) -> int:
    """The order's units bought from the matching listings on sale, cheapest first, then marks it matched;
    how many fills it started."""
    started = 0
    while True:
        async with saga.db.read() as session:
            order = await repository.get_order(session, order_id)
            left = order.quantity - order.quantity_filled if order.status is BuyOrderStatus.OPEN else 0
            found = await standing_queries.listings_matching(session, order_id, left) if left else []
        taken = 0
        for listing_id in found:
            try:
                transaction = await start_fill(saga, order_id, listing_id)
            except OrderCannotTake:
                break
            if transaction is not None:
                taken += 1
                await _drive(saga, transaction)
        started += taken
        # Listings taken by others meanwhile leave units: look again while some were taken.
        if not found or taken == 0:
            break
    async with saga.db.begin() as session:
        order = await repository.get_order(session, order_id, for_update=True)
        order.matched_at = order.matched_at or _now()
    return started
