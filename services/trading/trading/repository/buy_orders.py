"""Buy orders with their standing query, their fills, the caller's list, the order book, and those the
sweeper and the reconciler take further."""

from datetime import datetime, timedelta
from uuid import UUID

from sqlalchemy import and_, exists, or_, select, tuple_
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from servicekit.db import locking
from servicekit.pagination import BigInt, Page
from trading.domain.buy_orders import BuyOrderStatus
from trading.domain.standing_queries import StandingQueryKind
from trading.models import BuyOrder, BuyOrderFill, StandingQuery, Transaction

S = BuyOrderStatus


def _with_query(stmt):
    return stmt.options(selectinload(BuyOrder.query))


async def get_order(session: AsyncSession, order_id: UUID, *, for_update: bool = False) -> BuyOrder | None:
    """The order with its standing query; for_update locks the order (and reads its query again)."""
    stmt = _with_query(select(BuyOrder).where(BuyOrder.id == order_id))
    if for_update:
        stmt = locking(stmt, of=BuyOrder)
    return await session.scalar(stmt)


async def fills_of(session: AsyncSession, order_id: UUID) -> list[tuple[BuyOrderFill, Transaction]]:
    """The order's fills with their transactions, oldest first."""
    stmt = (
        select(BuyOrderFill, Transaction)
        .join(Transaction, Transaction.id == BuyOrderFill.transaction_id)
        .where(BuyOrderFill.buy_order_id == order_id)
        .order_by(BuyOrderFill.created_at, BuyOrderFill.transaction_id)
    )
    return [(fill, transaction) for fill, transaction in await session.execute(stmt)]


async def filled_before(session: AsyncSession, order_id: UUID, listing_id: UUID) -> bool:
    """Whether one of the order's fills was of the listing."""
    stmt = select(
        exists().where(
            BuyOrderFill.buy_order_id == order_id,
            Transaction.id == BuyOrderFill.transaction_id,
            Transaction.listing_id == listing_id,
        )
    )
    return bool(await session.scalar(stmt))


async def get_fill(session: AsyncSession, transaction_id: UUID, *, for_update: bool = False) -> BuyOrderFill:
    stmt = select(BuyOrderFill).where(BuyOrderFill.transaction_id == transaction_id)
    if for_update:
        stmt = locking(stmt)
    return (await session.scalars(stmt)).one()


async def list_for_buyer(
    session: AsyncSession, buyer_id: UUID, status: BuyOrderStatus | None, page: Page
) -> list[BuyOrder]:
    """The buyer's orders newest first, size + 1 of them."""
    stmt = _with_query(select(BuyOrder).where(BuyOrder.buyer_id == buyer_id))
    if status is not None:
        stmt = stmt.where(BuyOrder.status == status)
    if after := page.after_key(datetime, UUID):
        stmt = stmt.where(tuple_(BuyOrder.created_at, BuyOrder.id) < after)
    stmt = stmt.order_by(BuyOrder.created_at.desc(), BuyOrder.id.desc()).limit(page.size + 1)
    return list(await session.scalars(stmt))


async def order_book(session: AsyncSession, category_id: UUID, page: Page) -> list[BuyOrder]:
    """The category's open orders, the highest price first, then oldest, size + 1 of them, read through the
    index of open standing queries."""
    query = StandingQuery
    stmt = _with_query(
        select(BuyOrder)
        .join(query, query.id == BuyOrder.id)
        .where(query.open, query.kind == StandingQueryKind.BUY_ORDER, query.category_id == category_id)
    )
    if after := page.after_key(str, BigInt, datetime, UUID):
        currency, price, created_at, order_id = after
        stmt = stmt.where(
            or_(
                query.currency > currency,
                and_(
                    query.currency == currency,
                    tuple_(-query.max_price_minor, query.created_at, query.id) > (-price, created_at, order_id),
                ),
            )
        )
    stmt = stmt.order_by(query.currency, query.max_price_minor.desc(), query.created_at, query.id)
    return list(await session.scalars(stmt.limit(page.size + 1)))


def book_key(order: BuyOrder) -> tuple:
    return order.query.currency, order.query.max_price_minor, order.created_at, order.id


async def overdue(session: AsyncSession, now: datetime, limit: int) -> list[BuyOrder]:
    """Open orders past their expiry, locked; those another replica (or a fill) holds are skipped."""
    stmt = _with_query(
        select(BuyOrder)
        .where(BuyOrder.status == S.OPEN, BuyOrder.expire_at <= now)
        .order_by(BuyOrder.expire_at)
        .limit(limit)
    )
    return list(await session.scalars(locking(stmt, skip_locked=True, of=BuyOrder)))


async def unfinished(session: AsyncSession, now: datetime, grace: timedelta, limit: int) -> list[UUID]:
    """Orders a request left half-way for longer than `grace`, oldest first: a hold not known to be placed,
    a hold not released after the order closed, or the listings on sale at its opening not matched."""
    stmt = (
        select(BuyOrder.id)
        .where(
            BuyOrder.updated_at < now - grace,
            or_(
                BuyOrder.status == S.PENDING,
                and_(BuyOrder.status.in_([S.CANCELLED, S.EXPIRED]), BuyOrder.settled_at.is_(None)),
                and_(BuyOrder.status == S.OPEN, BuyOrder.matched_at.is_(None)),
            ),
        )
        .order_by(BuyOrder.updated_at)
        .limit(limit)
    )
    return list(await session.scalars(stmt))
