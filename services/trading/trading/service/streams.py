"""Use cases of streams: announce, read, list, start, end; viewers, likes, shares and comments; pinned listings.

Locks: a move and a pin hold the stream FOR NO KEY UPDATE; a comment holds it FOR SHARE, so the end of a
stream waits for the comments being written and none is written after it. A viewer, a like or a share
locks nothing of the stream (the counts are rows of their own), so a popular stream's row is no queue.
"""

from datetime import UTC, datetime
from uuid import UUID

from sqlalchemy import func
from sqlalchemy.ext.asyncio import AsyncSession

from servicekit import idempotency
from servicekit.auth import Call, Caller
from servicekit.db import Database
from servicekit.errors import FieldViolation, InvalidArgument
from servicekit.idempotency import Once
from servicekit.pagination import Page, page_result
from trading import events
from trading.clients import Catalog
from trading.domain import streams as domain
from trading.domain.listings import check_seller, counts_as_view
from trading.domain.settings import TradingRuntimeSettings
from trading.domain.streams import StreamFields, StreamMove, StreamStatus
from trading.models import Stream, StreamComment
from trading.repository import listings as listing_rows
from trading.repository import streams as repository
from trading.repository.listings import ListingView
from trading.repository.streams import StreamView
from trading.service.common import visible_listing


def _now() -> datetime:
    return datetime.now(UTC)


def _check_enabled(settings: TradingRuntimeSettings, caller: Caller) -> None:
    if not settings.is_enabled("streams_enabled", caller.user_id):
        raise domain.StreamsDisabled("streams are not open to you yet")


async def _stream(
    session: AsyncSession, stream_id: UUID, *, for_update: bool = False, for_share: bool = False
) -> Stream:
    """The stream; every stream is public, so NOT_FOUND means only that it does not exist."""
    stream = await repository.get_stream(session, stream_id, for_update=for_update, for_share=for_share)
    if stream is None:
        raise domain.StreamNotFound(f"stream {stream_id} does not exist")
    return stream


async def _owned(session: AsyncSession, stream_id: UUID, caller: Caller) -> Stream:
    """The caller's own stream, locked for a change; PERMISSION_DENIED for someone else's."""
    stream = await _stream(session, stream_id, for_update=True)
    domain.check_owner(stream.owner_id, caller.user_id)
    return stream


async def _view(session: AsyncSession, stream: Stream, reader_id: UUID | None) -> StreamView:
    # Read back, so that the times come as the database set them.
    await session.refresh(stream)
    return await repository.view_of(session, stream, reader_id)


async def create_stream(
    db: Database,
    catalog: Catalog,
    settings: TradingRuntimeSettings,
    caller: Caller,
    fields: StreamFields,
    violations: list[FieldViolation],
    once: Once | None,
) -> StreamView:
    """A scheduled stream of the caller's; `violations` are those found reading the request."""
    _check_enabled(settings, caller)
    fields, found = domain.check_fields(fields, _now())
    violations = violations + found
    async with db.begin() as session:
        await idempotency.claim(session, once)
        if fields.category_id is not None and not await catalog.category_exists(fields.category_id):
            violations.append(FieldViolation("stream.category_id", "is not a catalog category"))
        if violations:
            raise InvalidArgument(violations)
        stream = repository.new_stream(caller.user_id, fields)
        session.add(stream)
        await session.flush()
        view = await _view(session, stream, caller.user_id)
        events.stream_changed(session, view)
        await idempotency.complete(session, once, view)
    return view


async def get_stream(db: Database, stream_id: UUID, reader_id: UUID | None) -> StreamView:
    async with db.read() as session:
        return await repository.view_of(session, await _stream(session, stream_id), reader_id)


async def list_streams(
    db: Database,
    status: StreamStatus | None,
    owner_id: UUID | None,
    category_id: UUID | None,
    reader_id: UUID | None,
    page: Page,
) -> tuple[list[StreamView], str]:
    """The streams of one status, or those live and then those scheduled (domain.LISTED_BY_DEFAULT)."""
    statuses = (status,) if status else domain.LISTED_BY_DEFAULT
    async with db.read() as session:
        views = await repository.list_streams(session, statuses, owner_id, category_id, reader_id, page)
    return page_result(views, page, lambda view: repository.sort_key(view.stream))


async def _move(db: Database, caller: Caller, stream_id: UUID, how: StreamMove) -> StreamView:
    async with db.begin() as session:
        stream = await _owned(session, stream_id, caller)
        stream.status = domain.move(stream.status, how)
        # The database's clock, as for every other time of the row; the status_times check holds it to the status.
        if how is StreamMove.START:
            stream.started_at = func.now()
        else:
            stream.ended_at = func.now()
        await session.flush()
        view = await _view(session, stream, caller.user_id)
        events.stream_changed(session, view)
        return view


async def start_stream(db: Database, settings: TradingRuntimeSettings, caller: Caller, stream_id: UUID) -> StreamView:
    """Takes the caller's scheduled stream live."""
    _check_enabled(settings, caller)
    return await _move(db, caller, stream_id, StreamMove.START)


async def end_stream(db: Database, caller: Caller, stream_id: UUID) -> StreamView:
    """Ends the caller's live stream; ending is never refused by the flag, so no stream stays live."""
    return await _move(db, caller, stream_id, StreamMove.END)


async def view_stream(db: Database, call: Call | None, stream_id: UUID) -> StreamView:
    """Counts a viewer of a live stream, unless it is its owner (or another service)."""
    reader_id = call.caller.user_id if call and call.caller else None
    async with db.begin() as session:
        stream = await _stream(session, stream_id)
        domain.check_live(stream.status, "viewers")
        if counts_as_view(call, stream.owner_id):
            await repository.add_viewer(session, stream.id)
        return await repository.view_of(session, stream, reader_id)


async def like_stream(db: Database, caller: Caller, stream_id: UUID) -> StreamView:
    async with db.begin() as session:
        stream = await _stream(session, stream_id)
        await repository.add_like(session, stream.id, caller.user_id)
        return await repository.view_of(session, stream, caller.user_id)


async def unlike_stream(db: Database, caller: Caller, stream_id: UUID) -> StreamView:
    async with db.begin() as session:
        stream = await _stream(session, stream_id)
        await repository.remove_like(session, stream.id, caller.user_id)
        return await repository.view_of(session, stream, caller.user_id)


async def share_stream(db: Database, caller: Caller, stream_id: UUID) -> StreamView:
    async with db.begin() as session:
        stream = await _stream(session, stream_id)
        await repository.add_share(session, stream.id, caller.user_id)
        return await repository.view_of(session, stream, caller.user_id)


async def create_comment(db: Database, caller: Caller, stream_id: UUID, text: str, once: Once) -> StreamComment:
    """The caller's comment on a live stream."""
    text, violations = domain.check_comment(text)
    if violations:
        raise InvalidArgument(violations)
    async with db.begin() as session:
        await idempotency.claim(session, once)
        stream = await _stream(session, stream_id, for_share=True)
        domain.check_live(stream.status, "comments")
        comment = StreamComment(stream_id=stream.id, author_id=caller.user_id, text=text)
        session.add(comment)
        await session.flush()
        await session.refresh(comment)
        await idempotency.complete(session, once, comment)
    return comment


async def list_comments(db: Database, stream_id: UUID, page: Page) -> tuple[list[StreamComment], str]:
    async with db.read() as session:
        stream = await _stream(session, stream_id)
        comments = await repository.list_comments(session, stream.id, page)
    return page_result(comments, page, lambda comment: (comment.created_at, comment.id))


async def pin_listing(db: Database, caller: Caller, stream_id: UUID, listing_id: UUID) -> ListingView:
    """Pins one of the caller's active listings to their stream, before or while it is live."""
    async with db.begin() as session:
        stream = await _owned(session, stream_id, caller)
        domain.check_pins_open(stream.status)
        listing = await visible_listing(session, listing_id, caller.user_id)
        check_seller(listing.seller_id, caller.user_id)
        domain.check_pinnable(listing.status)
        await repository.pin(session, stream.id, listing.id)
        return await listing_rows.view_of(session, listing, caller.user_id)


async def unpin_listing(db: Database, caller: Caller, stream_id: UUID, listing_id: UUID) -> None:
    async with db.begin() as session:
        stream = await _owned(session, stream_id, caller)
        domain.check_pins_open(stream.status)
        await repository.unpin(session, stream.id, listing_id)


async def list_pinned_listings(
    db: Database, stream_id: UUID, reader_id: UUID | None, page: Page
) -> tuple[list[ListingView], str]:
    async with db.read() as session:
        stream = await _stream(session, stream_id)
        pins = await repository.pinned_listings(session, stream.id, reader_id, page)
    pins, token = page_result(pins, page, lambda pin: (pin.pinned_at, pin.listing.listing.id))
    return [pin.listing for pin in pins], token
