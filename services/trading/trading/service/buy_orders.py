"""Use cases of buy orders: place one (its hold, then the listings on sale that fill it), read, list, the
order book, cancel; the sweeper of those past their expiry and the reconciler of those a crash left
half-way (services/trading/README.md, "Buy orders").

An order moves like a purchase: it is written pending, its hold placed in accounts under the key
`<order id>:hold`, then it opens. Money moves after the status that decides it is committed: a cancelled
or expired order's own part of the hold (`release_minor`, a max price for each unit no fill took) is
released under `<order id>:release`, and `settled_at` records it. Each fill settles its own part
(service/purchases.py). Every step may be repeated, by a retry or by the reconciler.
"""

import logging
import uuid
from datetime import UTC, datetime, timedelta
from uuid import UUID

from marketplace.trading.v1 import resources_pb2
from servicekit import idempotency
from servicekit.auth import Caller
from servicekit.calls import Refused
from servicekit.errors import FieldViolation, InvalidArgument, Unavailable
from servicekit.idempotency import Once, Replayed
from servicekit.money import Money
from servicekit.pagination import Page, page_result
from trading import events
from trading.domain import buy_orders as domain
from trading.domain.buy_orders import BuyOrderStatus, BuyOrderTerms
from trading.domain.standing_queries import StandingQueryKind
from trading.models import BuyOrder, BuyOrderFill, Transaction
from trading.repository import buy_orders as repository
from trading.repository import standing_queries
from trading.service.fills import fill_order
from trading.service.purchases import Saga
from trading.service.standing_queries import read_predicates

log = logging.getLogger(__name__)

SWEEP_BATCH = 200
RECONCILE_BATCH = 200


def _now() -> datetime:
    return datetime.now(UTC)


async def create_buy_order(
    saga: Saga, caller: Caller, terms: BuyOrderTerms, violations: list[FieldViolation], once: Once | None
) -> tuple[BuyOrder, list]:
    """The caller's order, open with max_price x quantity held, and the fills of the listings on sale that
    it bought at once; `violations` are those found reading the request."""
    settings = saga.runtime_settings.values
    if not settings.is_enabled("buy_orders_enabled", caller.user_id):
        raise domain.BuyOrdersDisabled("buy orders are not open to you yet")
    expire_at, found = domain.check_terms(
        terms, _now(), settings.buy_order_default_lifetime, settings.buy_order_max_lifetime
    )
    violations = violations + found
    predicates = await read_predicates(saga.catalog, terms.query, "buy_order", violations)
    if violations:
        raise InvalidArgument(violations)
    try:
        async with saga.db.begin() as session:
            await idempotency.claim(session, once)
            order_id = uuid.uuid4()
            query = standing_queries.new_query(order_id, StandingQueryKind.BUY_ORDER, caller.user_id, predicates)
            session.add(query)
            await session.flush()
            session.add_all(standing_queries.filter_rows(order_id, predicates.filters))
            order = BuyOrder(
                id=order_id,
                buyer_id=caller.user_id,
                status=BuyOrderStatus.PENDING,
                q=terms.query.q,
                attributes=list(terms.query.attributes),
                quantity=terms.quantity,
                expire_at=expire_at,
            )
            session.add(order)
            await session.flush()
            await session.refresh(query)
            order.query = query
            await idempotency.complete(session, once, (order, []))
    except Replayed as replayed:
        order_id = UUID(resources_pb2.BuyOrder.FromString(replayed.response).id)
    order = await _open(saga, order_id)
    if order.status is BuyOrderStatus.FAILED:
        raise domain.BuyOrderFailed(order.failure_reason, "the buyer's funds could not be held for the order")
    if order.status is BuyOrderStatus.OPEN and order.matched_at is None:
        await fill_order(saga, order_id)
    return await get_buy_order(saga, caller, order_id)


async def _open(saga: Saga, order_id: UUID) -> BuyOrder:
    """Places the pending order's hold and opens it; fails it when the funds are short, cancels it (and
    answers UNAVAILABLE) when accounts does not answer."""
    async with saga.db.read() as session:
        order = await repository.get_order(session, order_id)
    if order.status is not BuyOrderStatus.PENDING:
        return order
    amount = _held(order)
    try:
        placed = await saga.accounts.hold(f"{order_id}:hold", order.buyer_id, amount, None)
    except Refused as refused:
        return await _close(saga, order_id, BuyOrderStatus.FAILED, failure=refused.reason)
    except Unavailable:
        await _close(saga, order_id, BuyOrderStatus.CANCELLED)
        raise
    saga.crash_after("hold")
    async with saga.db.begin() as session:
        order = await repository.get_order(session, order_id, for_update=True)
        if order.status is BuyOrderStatus.PENDING:
            order.status = BuyOrderStatus.OPEN
            order.hold_id, order.hold_posting_id = placed.hold_id, placed.posting_id
            order.query.open = True
            await session.flush()
            events.buy_order_changed(session, order)
    return order


def _held(order: BuyOrder) -> Money:
    return Money(order.query.currency, order.query.max_price_minor * order.quantity)


async def _close(saga: Saga, order_id: UUID, status: BuyOrderStatus, failure: str = "") -> BuyOrder:
    """Moves a pending order to failed (nothing was held: settled at once) or cancelled (its hold, if one
    was placed, is the reconciler's to release)."""
    async with saga.db.begin() as session:
        order = await repository.get_order(session, order_id, for_update=True)
        if order.status is BuyOrderStatus.PENDING:
            _end(order, status)
            order.failure_reason = failure
            if status is BuyOrderStatus.FAILED:
                # Nothing was held.
                order.release_minor, order.settled_at = 0, order.closed_at
            await session.flush()
            if status is BuyOrderStatus.CANCELLED:
                events.buy_order_changed(session, order)
    return order


def _end(order: BuyOrder, status: BuyOrderStatus) -> None:
    """The order closed: matched no more, and its own part of the hold to release."""
    order.status = status
    order.query.open = False
    order.closed_at = _now()
    order.release_minor = domain.left_to_release(order.query.max_price_minor, order.quantity, order.quantity_filled)


async def _settle(saga: Saga, order: BuyOrder) -> BuyOrder:
    """Releases a closed order's own part of its hold and records it. An order cancelled before its hold was
    recorded asks accounts for that hold again under the same key: accounts answers the first hold if there
    was one (or places it now), and it is released; short funds mean there was none."""
    hold_id = order.hold_id
    if hold_id is None:
        try:
            hold_id = (await saga.accounts.hold(f"{order.id}:hold", order.buyer_id, _held(order), None)).hold_id
        except Refused:
            hold_id = None
    if hold_id is not None and order.release_minor:
        amount = Money(order.query.currency, order.release_minor)
        await saga.accounts.release(f"{order.id}:release", hold_id, amount)
    saga.crash_after("settle")
    async with saga.db.begin() as session:
        locked = await repository.get_order(session, order.id, for_update=True)
        if locked.settled_at is None:
            locked.hold_id = locked.hold_id or hold_id
            locked.settled_at = _now()
        return locked


async def _owned(session, order_id: UUID, caller: Caller, *, for_update: bool = False) -> BuyOrder:
    order = await repository.get_order(session, order_id, for_update=for_update)
    if order is None or order.buyer_id != caller.user_id:
        raise domain.BuyOrderNotFound(f"buy order {order_id} does not exist")
    return order


async def get_buy_order(
    saga: Saga, caller: Caller, order_id: UUID
) -> tuple[BuyOrder, list[tuple[BuyOrderFill, Transaction]]]:
    """The caller's order with its fills; NOT_FOUND for anyone else."""
    async with saga.db.read() as session:
        order = await _owned(session, order_id, caller)
        return order, await repository.fills_of(session, order_id)


async def list_buy_orders(
    saga: Saga, caller: Caller, status: BuyOrderStatus | None, page: Page
) -> tuple[list[BuyOrder], str]:
    async with saga.db.read() as session:
        orders = await repository.list_for_buyer(session, caller.user_id, status, page)
    return page_result(orders, page, lambda order: (order.created_at, order.id))


async def order_book(saga: Saga, category_id: UUID, page: Page) -> tuple[list[BuyOrder], str]:
    """The category's open orders, the highest max price first (within a currency), then oldest."""
    async with saga.db.read() as session:
        orders = await repository.order_book(session, category_id, page)
    return page_result(orders, page, repository.book_key)


async def cancel_buy_order(
    saga: Saga, caller: Caller, order_id: UUID
) -> tuple[BuyOrder, list[tuple[BuyOrderFill, Transaction]]]:
    """Withdraws the caller's open order and releases its own part of the hold; fills under way go on. A
    release accounts does not answer is left to the reconciler."""
    async with saga.db.begin() as session:
        order = await _owned(session, order_id, caller, for_update=True)
        _end(order, domain.cancel(order.status))
        await session.flush()
        events.buy_order_changed(session, order)
    try:
        await _settle(saga, order)
    except Unavailable as exc:
        log.warning("buy order %s stays unsettled until the reconciler: %s", order_id, exc)
    return await get_buy_order(saga, caller, order_id)


async def sweep_expired_buy_orders(saga: Saga) -> int:
    """Expires the open orders past their expiry, in batches, and releases what is left of their holds; how
    many it expired. Every replica may sweep at once: each skips the orders another holds."""
    swept = 0
    while True:
        async with saga.db.begin() as session:
            overdue = await repository.overdue(session, _now(), SWEEP_BATCH)
            for order in overdue:
                _end(order, BuyOrderStatus.EXPIRED)
            await session.flush()
            for order in overdue:
                events.buy_order_changed(session, order)
        for order in overdue:
            try:
                await _settle(saga, order)
            except Unavailable as exc:
                log.warning("expired buy order %s stays unsettled until the reconciler: %s", order.id, exc)
        swept += len(overdue)
        if len(overdue) < SWEEP_BATCH:
            return swept


async def reconcile_buy_orders(saga: Saga, grace: timedelta) -> int:
    """Finishes what a crash or an unreachable accounts left half-way, for orders no step touched for
    `grace`: a pending one is cancelled (its request died before the hold was known to be placed), a closed
    one's hold released, an open one that never matched the listings on sale at its opening matched now.
    How many it looked at. Safe on every replica at once."""
    async with saga.db.read() as session:
        due = await repository.unfinished(session, _now(), grace, RECONCILE_BATCH)
    for order_id in due:
        try:
            order = await _close(saga, order_id, BuyOrderStatus.CANCELLED)
            if order.status in (BuyOrderStatus.CANCELLED, BuyOrderStatus.EXPIRED) and order.settled_at is None:
                await _settle(saga, order)
            elif order.status is BuyOrderStatus.OPEN and order.matched_at is None:
                await fill_order(saga, order_id)
        except Unavailable as exc:
            log.warning("reconciling buy order %s: %s; trying again later", order_id, exc)
    return len(due)
