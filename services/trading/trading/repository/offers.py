"""Offers, with their status as read at a moment."""

from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from sqlalchemy import and_, or_, select, tuple_
from sqlalchemy.ext.asyncio import AsyncSession

from servicekit.db import locking
from servicekit.money import Money
from servicekit.pagination import Page
from trading.domain.offers import OfferStatus, status_at
from trading.models import Listing, Offer


@dataclass(frozen=True)
class OfferView:
    """An offer with its status as read at a moment: pending past its expiry reads as expired."""

    offer: Offer
    status: OfferStatus


def offer_view(offer: Offer, now: datetime) -> OfferView:
    return OfferView(offer=offer, status=status_at(offer.status, offer.expire_at, now))


async def get_offer(session: AsyncSession, offer_id: UUID, *, for_update: bool = False) -> Offer | None:
    stmt = select(Offer).where(Offer.id == offer_id)
    if for_update:
        stmt = locking(stmt)
    return await session.scalar(stmt)


def _read_as(status: OfferStatus, now: datetime):
    """Offers that read as `status` at `now` (what `status_at` computes, as a condition)."""
    still_open = Offer.expire_at > now
    if status is OfferStatus.PENDING:
        return and_(Offer.status == OfferStatus.PENDING, still_open)
    if status is OfferStatus.EXPIRED:
        return or_(Offer.status == OfferStatus.EXPIRED, and_(Offer.status == OfferStatus.PENDING, ~still_open))
    return Offer.status == status


async def list_offers(
    session: AsyncSession,
    listing_id: UUID,
    buyer_id: UUID | None,
    status: OfferStatus | None,
    now: datetime,
    page: Page,
) -> list[OfferView]:
    """A listing's offers newest first (only one buyer's when buyer_id is set), size + 1 of them."""
    stmt = select(Offer).where(Offer.listing_id == listing_id)
    if buyer_id is not None:
        stmt = stmt.where(Offer.buyer_id == buyer_id)
    if status is not None:
        stmt = stmt.where(_read_as(status, now))
    if after := page.after_key(datetime, UUID):
        stmt = stmt.where(tuple_(Offer.created_at, Offer.id) < after)
    stmt = stmt.order_by(Offer.created_at.desc(), Offer.id.desc()).limit(page.size + 1)
    return [offer_view(offer, now) for offer in await session.scalars(stmt)]


async def pending_offers(session: AsyncSession, listing_id: UUID) -> list[Offer]:
    """The listing's pending offers, locked: a change of the listing decides which of them end."""
    stmt = (
        select(Offer)
        .where(Offer.listing_id == listing_id, Offer.status == OfferStatus.PENDING)
        .order_by(Offer.created_at, Offer.id)
        .with_for_update()
    )
    return list(await session.scalars(stmt))


async def overdue_offers(session: AsyncSession, now: datetime, limit: int) -> list[Offer]:
    """Pending offers past their expiry, locked; those another replica (or an answer) holds are skipped."""
    stmt = (
        select(Offer)
        .where(Offer.status == OfferStatus.PENDING, Offer.expire_at <= now)
        .order_by(Offer.expire_at)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    return list(await session.scalars(stmt))


def new_offer(
    listing: Listing, buyer_id: UUID, proposer_id: UUID, amount: Money, message: str, expire_at: datetime
) -> Offer:
    return Offer(
        listing_id=listing.id,
        buyer_id=buyer_id,
        seller_id=listing.seller_id,
        proposer_id=proposer_id,
        amount_minor=amount.amount_minor,
        currency=amount.currency,
        message=message,
        status=OfferStatus.PENDING,
        expire_at=expire_at,
    )
