"""Streams with their counts, the lists of streams by status, their comments and their pinned listings."""

from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from sqlalchemy import delete, select, tuple_
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from servicekit.db import locking
from servicekit.errors import InvalidArgument
from servicekit.pagination import Page
from trading.domain.listings import ListingStatus
from trading.domain.streams import StreamFields, StreamStatus
from trading.models import Listing, PinnedListing, Stream, StreamComment, StreamLike, StreamShare, StreamViewer
from trading.repository import counts
from trading.repository.counts import Subject
from trading.repository.listings import ListingView, view_columns


@dataclass(frozen=True)
class StreamView:
    """A stream as one reader sees it: with its counts, and whether the reader likes it."""

    stream: Stream
    viewer_count: int
    like_count: int
    comment_count: int
    share_count: int
    liked: bool


@dataclass(frozen=True)
class PinView:
    """A pinned listing as one reader sees it, and when it was pinned (its place in the stream's list)."""

    listing: ListingView
    pinned_at: datetime


def _counts(stream_id: Subject, reader_id: UUID | None) -> tuple:
    """The counts of StreamView, in its order, as columns of a query."""
    return (
        counts.count_of(StreamViewer.stream_id, stream_id),
        counts.count_of(StreamLike.stream_id, stream_id),
        counts.count_of(StreamComment.stream_id, stream_id),
        counts.count_of(StreamShare.stream_id, stream_id),
        counts.liked_by(StreamLike.stream_id, stream_id, reader_id),
    )


def new_stream(owner_id: UUID, fields: StreamFields) -> Stream:
    return Stream(
        owner_id=owner_id,
        title=fields.title,
        description=fields.description,
        category_id=fields.category_id,
        scheduled_at=fields.scheduled_at,
        url=fields.url,
        thumbnail_url=fields.thumbnail_url,
        status=StreamStatus.SCHEDULED,
    )


async def get_stream(
    session: AsyncSession, stream_id: UUID, *, for_update: bool = False, for_share: bool = False
) -> Stream | None:
    """The stream; for_update locks it FOR NO KEY UPDATE (a move, pins), for_share FOR SHARE (a comment, which
    must not pass the end of the stream unseen)."""
    stmt = select(Stream).where(Stream.id == stream_id)
    if for_update:
        stmt = locking(stmt, key_share=True)
    elif for_share:
        stmt = locking(stmt, read=True)
    return await session.scalar(stmt)


async def find_owner_stream(session: AsyncSession, owner_id: UUID, title: str) -> Stream | None:
    """The owner's newest stream with this title, whatever its status."""
    stmt = select(Stream).where(Stream.owner_id == owner_id, Stream.title == title).order_by(Stream.created_at.desc())
    return await session.scalar(stmt.limit(1))


async def view_of(session: AsyncSession, stream: Stream, reader_id: UUID | None) -> StreamView:
    row = (await session.execute(select(*_counts(stream.id, reader_id)))).one()
    return StreamView(stream, *row)


# How ListStreams orders each status: by the time that matters to it, newest first or soonest first.
ORDER = {
    StreamStatus.LIVE: (Stream.started_at, True),
    StreamStatus.SCHEDULED: (Stream.scheduled_at, False),
    StreamStatus.ENDED: (Stream.ended_at, True),
}


def sort_key(stream: Stream) -> tuple[str, datetime, UUID]:
    """A stream's place in ListStreams: its status, then its time and id in that status's order."""
    column, _ = ORDER[stream.status]
    return stream.status.value, getattr(stream, column.key), stream.id


async def list_streams(
    session: AsyncSession,
    statuses: tuple[StreamStatus, ...],
    owner_id: UUID | None,
    category_id: UUID | None,
    reader_id: UUID | None,
    page: Page,
) -> list[StreamView]:
    """Size + 1 streams of the statuses, one status after the other, each in its own order (ORDER) through
    its partial index; a page that runs out of one status goes on with the next."""
    after = page.after_key(str, datetime, UUID)
    if after is not None:
        started = [status.value for status in statuses]
        if after[0] not in started:
            raise InvalidArgument.field("page_token", "is not a token of this list")
        statuses = statuses[started.index(after[0]) :]
    found: list[StreamView] = []
    for status in statuses:
        column, newest_first = ORDER[status]
        stmt = select(Stream, *_counts(Stream.id, reader_id)).where(Stream.status == status)
        if owner_id is not None:
            stmt = stmt.where(Stream.owner_id == owner_id)
        if category_id is not None:
            stmt = stmt.where(Stream.category_id == category_id)
        if after is not None and after[0] == status.value:
            key = tuple_(column, Stream.id)
            stmt = stmt.where(key < after[1:] if newest_first else key > after[1:])
        order = (column.desc(), Stream.id.desc()) if newest_first else (column, Stream.id)
        stmt = stmt.order_by(*order).limit(page.size + 1 - len(found))
        found += [StreamView(*row) for row in await session.execute(stmt)]
        if len(found) > page.size:
            break
    return found


async def add_viewer(session: AsyncSession, stream_id: UUID) -> None:
    await session.execute(insert(StreamViewer).values(stream_id=stream_id))


async def add_share(session: AsyncSession, stream_id: UUID, user_id: UUID) -> None:
    await session.execute(insert(StreamShare).values(stream_id=stream_id, user_id=user_id))


async def add_like(session: AsyncSession, stream_id: UUID, user_id: UUID) -> None:
    await counts.add_like(session, StreamLike.stream_id, stream_id, user_id)


async def remove_like(session: AsyncSession, stream_id: UUID, user_id: UUID) -> None:
    await counts.remove_like(session, StreamLike.stream_id, stream_id, user_id)


async def list_comments(session: AsyncSession, stream_id: UUID, page: Page) -> list[StreamComment]:
    """A stream's comments newest first, size + 1 of them."""
    stmt = select(StreamComment).where(StreamComment.stream_id == stream_id)
    if after := page.after_key(datetime, UUID):
        stmt = stmt.where(tuple_(StreamComment.created_at, StreamComment.id) < after)
    stmt = stmt.order_by(StreamComment.created_at.desc(), StreamComment.id.desc()).limit(page.size + 1)
    return list(await session.scalars(stmt))


async def pin(session: AsyncSession, stream_id: UUID, listing_id: UUID) -> None:
    """Pins the listing; one already pinned keeps its place."""
    await session.execute(
        insert(PinnedListing).values(stream_id=stream_id, listing_id=listing_id).on_conflict_do_nothing()
    )


async def unpin(session: AsyncSession, stream_id: UUID, listing_id: UUID) -> None:
    await session.execute(
        delete(PinnedListing).where(PinnedListing.stream_id == stream_id, PinnedListing.listing_id == listing_id)
    )


async def pinned_listings(session: AsyncSession, stream_id: UUID, reader_id: UUID | None, page: Page) -> list[PinView]:
    """The stream's pinned listings that are still active, first pinned first, size + 1 of them."""
    stmt = (
        select(Listing, PinnedListing.pinned_at, *view_columns(Listing.id, reader_id))
        .join(PinnedListing, PinnedListing.listing_id == Listing.id)
        .where(PinnedListing.stream_id == stream_id, Listing.status == ListingStatus.ACTIVE)
    )
    if after := page.after_key(datetime, UUID):
        stmt = stmt.where(tuple_(PinnedListing.pinned_at, PinnedListing.listing_id) > after)
    stmt = stmt.order_by(PinnedListing.pinned_at, PinnedListing.listing_id).limit(page.size + 1)
    return [
        PinView(ListingView(listing, *listing_counts), pinned_at)
        for listing, pinned_at, *listing_counts in await session.execute(stmt)
    ]
