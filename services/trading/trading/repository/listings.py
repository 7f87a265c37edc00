"""Listings, their likes and views, and the one mapping between a listing row and its fields."""

from dataclasses import dataclass
from uuid import UUID

from sqlalchemy import delete, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from servicekit.db import locking
from servicekit.geo import point_from_wkb
from servicekit.money import Money
from trading.domain.listings import MOVES, ListingFields, ListingStatus, Move
from trading.models import CountedView, Listing, ListingAttributeValue, ListingLike
from trading.repository import counts
from trading.repository.counts import Subject


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
        stmt = locking(stmt, key_share=True)
    elif for_share:
        stmt = locking(stmt, read=True)
    return await session.scalar(stmt)


def view_columns(listing_id: Subject, reader_id: UUID | None) -> tuple:
    """A listing's view count, like count and whether the reader likes it, as columns of a query;
    `listing_id` may be the listing's column in that query."""
    return (
        counts.count_of(CountedView.listing_id, listing_id),
        counts.count_of(ListingLike.listing_id, listing_id),
        counts.liked_by(ListingLike.listing_id, listing_id, reader_id),
    )


async def reserve(session: AsyncSession, listing_id: UUID, buyer_id: UUID) -> Listing | None:
    """Reserves the listing for the buyer if it is active and not theirs, in one conditional update; None
    otherwise. Of buyers at once exactly one gets it; the others wait for that one's transaction alone,
    then find the listing reserved without locking it (a lock held for each in turn would queue them)."""
    starts, reserved = MOVES[Move.RESERVE]
    stmt = (
        update(Listing)
        .where(Listing.id == listing_id, Listing.status.in_(starts), Listing.seller_id != buyer_id)
        .values(status=reserved)
        .returning(Listing)
    )
    return await session.scalar(stmt)


async def find_seller_listing(session: AsyncSession, seller_id: UUID, title: str) -> Listing | None:
    """The seller's newest listing with this title, whatever its status."""
    stmt = (
        select(Listing)
        .where(Listing.seller_id == seller_id, Listing.title == title)
        .order_by(Listing.created_at.desc())
        .limit(1)
    )
    return await session.scalar(stmt)


async def view_of(session: AsyncSession, listing: Listing, reader_id: UUID | None) -> ListingView:
    """The listing with its counts; views are counted from their index alone (an index-only scan)."""
    row = (await session.execute(select(*view_columns(listing.id, reader_id)))).one()
    return ListingView(listing, *row)


async def add_view(session: AsyncSession, listing_id: UUID) -> None:
    await session.execute(insert(CountedView).values(listing_id=listing_id))


async def add_like(session: AsyncSession, listing_id: UUID, user_id: UUID) -> None:
    await counts.add_like(session, ListingLike.listing_id, listing_id, user_id)


async def remove_like(session: AsyncSession, listing_id: UUID, user_id: UUID) -> None:
    await counts.remove_like(session, ListingLike.listing_id, listing_id, user_id)


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


def typed_value(value: object) -> dict[str, object] | None:
    """The typed columns of a value as catalog stores it: a bool, a number or a string; None for
    anything else (nothing a filter can match)."""
    if isinstance(value, bool):
        return {"value_boolean": value}
    if isinstance(value, int | float):
        return {"value_number": float(value)}
    if isinstance(value, str):
        return {"value_string": value}
    return None


async def store_values(session: AsyncSession, listing_id: UUID, attributes: dict[str, object]) -> None:
    """Replaces the listing's typed attribute values, which search filters and facets read."""
    await session.execute(delete(ListingAttributeValue).where(ListingAttributeValue.listing_id == listing_id))
    rows = [
        {"listing_id": listing_id, "key": key, "value_string": None, "value_number": None, "value_boolean": None}
        | columns
        for key, value in attributes.items()
        if (columns := typed_value(value)) is not None
    ]
    if rows:
        await session.execute(insert(ListingAttributeValue), rows)
