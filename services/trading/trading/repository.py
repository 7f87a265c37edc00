"""Queries of trading. Session first, never a commit.

Listings, their likes and views; the one mapping between a listing row and its fields; offers, with
their status as read at a moment.
"""

from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from sqlalchemy import and_, delete, exists, false, func, or_, select, tuple_
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from servicekit.geo import point_from_wkb
from servicekit.money import Money
from servicekit.pagination import Page
from trading.domain.listings import ListingFields, ListingStatus
from trading.domain.offers import OfferStatus, status_at
from trading.models import CountedView, Listing, ListingLike, Offer


@dataclass(frozen=True)
class ListingView:
    """A listing as one reader sees it: with its counts, and whether the reader likes it."""

    listing: Listing
    view_count: int
    like_count: int
    liked: bool


async def get_listing(
    session: AsyncSession, listing_id: UUID, *, for_update: bool = False, for_share: bool = False
) -> Listing | None:
    """The listing; for_update locks it FOR NO KEY UPDATE, which likes (their foreign key's KEY SHARE) do
    not wait for; for_share FOR SHARE, which waits for such a change (a new offer for a cancel, say)."""
    stmt = select(Listing).where(Listing.id == listing_id)
    if for_update:
        stmt = stmt.with_for_update(key_share=True)
    elif for_share:
        stmt = stmt.with_for_update(read=True)
    return await session.scalar(stmt)


async def view_of(session: AsyncSession, listing: Listing, reader_id: UUID | None) -> ListingView:
    """The listing with its counts; views are counted from their index alone (an index-only scan)."""
    views = select(func.count()).where(CountedView.listing_id == listing.id).scalar_subquery()
    likes = select(func.count()).where(ListingLike.listing_id == listing.id).scalar_subquery()
    liked = (
        exists().where(ListingLike.listing_id == listing.id, ListingLike.user_id == reader_id) if reader_id else false()
    )
    row = (await session.execute(select(views, likes, liked))).one()
    return ListingView(listing=listing, view_count=row[0], like_count=row[1], liked=row[2])


async def add_view(session: AsyncSession, listing_id: UUID) -> None:
    await session.execute(insert(CountedView).values(listing_id=listing_id))


async def add_like(session: AsyncSession, listing_id: UUID, user_id: UUID) -> None:
    await session.execute(insert(ListingLike).values(listing_id=listing_id, user_id=user_id).on_conflict_do_nothing())


async def remove_like(session: AsyncSession, listing_id: UUID, user_id: UUID) -> None:
    await session.execute(
        delete(ListingLike).where(ListingLike.listing_id == listing_id, ListingLike.user_id == user_id)
    )


def fields_of(listing: Listing) -> ListingFields:
    return ListingFields(
        item_id=listing.item_id,
        category_id=listing.category_id,
        title=listing.title,
        description=listing.description,
        condition=listing.condition,
        attributes=dict(listing.attributes),
        price=Money(listing.currency, listing.price_minor),
        location=point_from_wkb(listing.location),
        feed=listing.feed,
        image_urls=tuple(listing.image_urls),
        video_url=listing.video_url,
        thumbnail_url=listing.thumbnail_url,
    )


def new_listing(seller_id: UUID, fields: ListingFields, game_id: UUID, status: ListingStatus) -> Listing:
    listing = Listing(
        seller_id=seller_id, item_id=fields.item_id, category_id=fields.category_id, game_id=game_id, status=status
    )
    write_fields(listing, fields)
    return listing


def write_fields(listing: Listing, fields: ListingFields) -> None:
    """Sets the columns of the fields a seller may change."""
    listing.title = fields.title
    listing.description = fields.description
    listing.condition = fields.condition
    listing.attributes = fields.attributes
    listing.price_minor = fields.price.amount_minor
    listing.currency = fields.price.currency
    listing.location = fields.location.to_ewkt() if fields.location else None
    listing.feed = fields.feed
    listing.image_urls = list(fields.image_urls)
    listing.video_url = fields.video_url
    listing.thumbnail_url = fields.thumbnail_url


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
        stmt = stmt.with_for_update()
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
