"""Transactions: the purchases of listings, and those the reconciler has to finish."""

from datetime import datetime, timedelta
from uuid import UUID

from sqlalchemy import and_, or_, select, tuple_
from sqlalchemy.ext.asyncio import AsyncSession

from servicekit.db import locking
from servicekit.money import Money
from servicekit.pagination import Page
from trading.domain.transactions import TransactionStatus
from trading.models import Listing, Transaction


def new_transaction(
    listing: Listing, buyer_id: UUID, amount: Money, fee: Money, fee_bps: int, offer_id: UUID | None
) -> Transaction:
    return Transaction(
        listing_id=listing.id,
        offer_id=offer_id,
        item_id=listing.item_id,
        buyer_id=buyer_id,
        seller_id=listing.seller_id,
        status=TransactionStatus.PENDING,
        amount_minor=amount.amount_minor,
        currency=amount.currency,
        platform_fee_minor=fee.amount_minor,
        platform_fee_bps=fee_bps,
    )


async def get_transaction(
    session: AsyncSession, transaction_id: UUID, *, for_update: bool = False
) -> Transaction | None:
    stmt = select(Transaction).where(Transaction.id == transaction_id)
    if for_update:
        stmt = locking(stmt)
    return await session.scalar(stmt)


async def list_transactions(
    session: AsyncSession,
    user_id: UUID,
    as_buyer: bool,
    as_seller: bool,
    status: TransactionStatus | None,
    page: Page,
) -> list[Transaction]:
    """The user's transactions on the sides asked, newest first, size + 1 of them."""
    sides = []
    if as_buyer:
        sides.append(Transaction.buyer_id == user_id)
    if as_seller:
        sides.append(Transaction.seller_id == user_id)
    stmt = select(Transaction).where(or_(*sides))
    if status is not None:
        stmt = stmt.where(Transaction.status == status)
    if after := page.after_key(datetime, UUID):
        stmt = stmt.where(tuple_(Transaction.created_at, Transaction.id) < after)
    stmt = stmt.order_by(Transaction.created_at.desc(), Transaction.id.desc()).limit(page.size + 1)
    return list(await session.scalars(stmt))


async def unfinished(session: AsyncSession, now: datetime, grace: timedelta, limit: int) -> list[UUID]:
    """Transactions the reconciler has to take further, oldest first: those a request left between two steps
    for longer than `grace` (escrow not yet settled), and paid physical ones past their auto_complete_at."""
    stalled = and_(
        Transaction.settled_at.is_(None),
        Transaction.updated_at < now - grace,
        or_(Transaction.status != TransactionStatus.PAID, Transaction.item_id.is_not(None)),
    )
    overdue = and_(
        Transaction.status == TransactionStatus.PAID,
        Transaction.item_id.is_(None),
        Transaction.auto_complete_at <= now,
    )
    stalled_ids = select(Transaction.id, Transaction.updated_at).where(stalled)
    overdue_ids = select(Transaction.id, Transaction.updated_at).where(overdue)
    union = stalled_ids.union_all(overdue_ids).subquery()
    stmt = select(union.c.id).order_by(union.c.updated_at).limit(limit)
    return list(await session.scalars(stmt))
