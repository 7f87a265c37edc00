"""Streams against the running trading service: moves and their times and events, the lists by status,
lock-free viewers, the database's own checks, and pinned listings as listings change."""

import asyncio
from datetime import UTC, datetime, timedelta

import asyncpg
import grpc
import pytest

from marketplace.trading.v1 import events_pb2, resources_pb2
from marketplace.trading.v1 import trading_service_pb2 as pb
from testkit.databases import execute
from testkit.feeds import events_until
from testkit.grpc import error_reason, field_violations, rpc_error

from .trading_support import cancel, free_form

S = resources_pb2


def new_stream(
    title: str = "Friday night drops", scheduled_at: datetime | None = None, **fields
) -> pb.CreateStreamRequest:
    stream = S.Stream(title=title, **fields)
    if scheduled_at is not None:
        stream.scheduled_at.FromDatetime(scheduled_at)
    return pb.CreateStreamRequest(stream=stream)


def in_minutes(minutes: int) -> datetime:
    return datetime.now(UTC) + timedelta(minutes=minutes)


async def live_stream(trading, owner, **fields) -> S.Stream:
    stream = await trading.CreateStream(new_stream(**fields), metadata=owner.auth)
    return await trading.StartStream(pb.StartStreamRequest(stream_id=stream.id), metadata=owner.auth)


def stream_events(found, stream_id: str) -> list[events_pb2.StreamChanged]:
    result = []
    for event in found:
        if event.type == "trading.stream.changed" and event.subject_id == stream_id:
            payload = events_pb2.StreamChanged()
            event.payload.Unpack(payload)
            result.append(payload)
    return result


async def test_a_stream_is_announced_started_and_ended_with_its_times_and_an_event_each(stack, trading, seller):
    made = await trading.CreateStream(new_stream(), metadata=seller.auth)
    assert (made.status, made.owner_id) == (S.STREAM_STATUS_SCHEDULED, seller.id)
    assert made.scheduled_at.ToDatetime() <= made.create_time.ToDatetime() + timedelta(seconds=1)
    assert not made.HasField("start_time") and not made.HasField("end_time")
    live = await trading.StartStream(pb.StartStreamRequest(stream_id=made.id), metadata=seller.auth)
    assert live.status == S.STREAM_STATUS_LIVE and live.HasField("start_time") and not live.HasField("end_time")
    ended = await trading.EndStream(pb.EndStreamRequest(stream_id=made.id), metadata=seller.auth)
    assert ended.status == S.STREAM_STATUS_ENDED and ended.end_time.ToDatetime() >= ended.start_time.ToDatetime()
    assert ended.start_time == live.start_time

    channel = stack.channel("trading", as_service="messaging")
    found = await events_until(channel, lambda found: len(stream_events(found, made.id)) >= 3)
    changes = stream_events(found, made.id)
    assert [change.status for change in changes] == [
        S.STREAM_STATUS_SCHEDULED,
        S.STREAM_STATUS_LIVE,
        S.STREAM_STATUS_ENDED,
    ]
    assert all(change.owner_id == seller.id and change.stream.title == made.title for change in changes)


async def test_the_database_refuses_a_status_its_times_do_not_match(stack, trading, seller):
    made = await trading.CreateStream(new_stream(), metadata=seller.auth)
    url = stack.database_urls["trading"]
    for statement in (
        "UPDATE streams SET status = 'live' WHERE id = $1",
        "UPDATE streams SET status = 'ended', started_at = now(), ended_at = now() - interval '1 minute' WHERE id = $1",
        "UPDATE streams SET ended_at = now() WHERE id = $1",
    ):
        with pytest.raises(asyncpg.CheckViolationError) as refused:
            await execute(url, statement, made.id)
        assert refused.value.constraint_name == "ck_streams_status_times", statement


async def test_a_category_catalog_does_not_know_is_a_400_with_everything_else_wrong(trading, seller, shoes):
    request = new_stream(" ", category_id="00000000-0000-4000-8000-000000000000", url="javascript:alert(1)")
    error = await rpc_error(trading.CreateStream(request, metadata=seller.auth))
    assert error.code() is grpc.StatusCode.INVALID_ARGUMENT
    assert set(field_violations(error)) == {"stream.title", "stream.category_id", "stream.url"}
    made = await trading.CreateStream(new_stream(category_id=shoes.id), metadata=seller.auth)
    assert made.category_id == shoes.id


async def test_streams_are_listed_live_latest_first_then_scheduled_soonest_first_across_pages(trading, seller):
    later = await trading.CreateStream(new_stream("later", in_minutes(90)), metadata=seller.auth)
    sooner = await trading.CreateStream(new_stream("sooner", in_minutes(30)), metadata=seller.auth)
    first_live = await live_stream(trading, seller, title="first live")
    second_live = await live_stream(trading, seller, title="second live")
    ended = await live_stream(trading, seller, title="over")
    await trading.EndStream(pb.EndStreamRequest(stream_id=ended.id), metadata=seller.auth)

    ids, token = [], ""
    while True:
        request = pb.ListStreamsRequest(owner_id=seller.id, page_size=3, page_token=token)
        page = await trading.ListStreams(request)
        ids += [stream.id for stream in page.streams]
        token = page.next_page_token
        if not token:
            break
    assert ids == [second_live.id, first_live.id, sooner.id, later.id]
    only_ended = await trading.ListStreams(pb.ListStreamsRequest(owner_id=seller.id, status=S.STREAM_STATUS_ENDED))
    assert [stream.id for stream in only_ended.streams] == [ended.id]


async def test_a_page_token_of_another_status_filter_is_a_400(trading, seller):
    for _ in range(2):
        await live_stream(trading, seller)
    page = await trading.ListStreams(
        pb.ListStreamsRequest(owner_id=seller.id, status=S.STREAM_STATUS_LIVE, page_size=1)
    )
    other = pb.ListStreamsRequest(owner_id=seller.id, status=S.STREAM_STATUS_ENDED, page_token=page.next_page_token)
    error = await rpc_error(trading.ListStreams(other))
    assert error.code() is grpc.StatusCode.INVALID_ARGUMENT and set(field_violations(error)) == {"page_token"}


async def test_fifty_concurrent_viewers_are_all_counted_while_the_stream_row_is_locked(stack, trading, seller):
    stream = await live_stream(trading, seller)
    holder = await asyncpg.connect(stack.database_urls["trading"].replace("+asyncpg", ""))
    try:
        # The owner ending the stream, say, holds the row until it commits.
        async with holder.transaction():
            await holder.execute("SELECT 1 FROM streams WHERE id = $1 FOR UPDATE", stream.id)
            async with asyncio.timeout(10):
                await asyncio.gather(
                    *(trading.ViewStream(pb.ViewStreamRequest(stream_id=stream.id)) for _ in range(50))
                )
    finally:
        await holder.close()
    counted = await trading.ViewStream(pb.ViewStreamRequest(stream_id=stream.id), metadata=seller.auth)
    assert counted.viewer_count == 50


async def test_a_comment_waits_for_an_end_in_progress_and_is_then_refused(stack, trading, seller, buyer):
    stream = await live_stream(trading, seller)
    holder = await asyncpg.connect(stack.database_urls["trading"].replace("+asyncpg", ""))
    try:
        async with holder.transaction():
            await holder.execute("UPDATE streams SET status = 'ended', ended_at = now() WHERE id = $1", stream.id)
            request = pb.CreateStreamCommentRequest(stream_id=stream.id, comment=S.StreamComment(text="still on?"))
            comment = asyncio.ensure_future(trading.CreateStreamComment(request, metadata=buyer.auth))
            await asyncio.sleep(0.3)
            assert not comment.done()
    finally:
        await holder.close()
    error = await rpc_error(comment)
    assert error.code() is grpc.StatusCode.FAILED_PRECONDITION and error_reason(error) == "STREAM_NOT_LIVE"


async def test_pinned_listings_are_shown_in_pin_order_while_they_stay_active(trading, seller, shoes):
    stream = await trading.CreateStream(new_stream(), metadata=seller.auth)
    listings = [
        await trading.CreateListing(free_form(shoes.id, title=f"Pair {n}"), metadata=seller.auth) for n in range(3)
    ]
    for listing in (listings[2], listings[0], listings[1], listings[2]):
        pinned = await trading.PinStreamListing(
            pb.PinStreamListingRequest(stream_id=stream.id, listing_id=listing.id), metadata=seller.auth
        )
        assert pinned.id == listing.id
    shown = await trading.ListStreamListings(pb.ListStreamListingsRequest(stream_id=stream.id, page_size=2))
    rest = await trading.ListStreamListings(
        pb.ListStreamListingsRequest(stream_id=stream.id, page_token=shown.next_page_token)
    )
    assert [listing.id for listing in [*shown.listings, *rest.listings]] == [
        listings[2].id,
        listings[0].id,
        listings[1].id,
    ]
    await trading.CancelListing(cancel(listings[0].id), metadata=seller.auth)
    shown = await trading.ListStreamListings(pb.ListStreamListingsRequest(stream_id=stream.id))
    assert [listing.id for listing in shown.listings] == [listings[2].id, listings[1].id]
