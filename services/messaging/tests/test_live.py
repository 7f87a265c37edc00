"""Live delivery: a user's stream gets what happens to them within a second, from whichever messaging process
it happened in, and a stream opened again after the last event it got misses nothing and repeats nothing."""

import asyncio
from datetime import timedelta

import grpc
import pytest

from marketplace.messaging.v1 import messaging_service_pb2 as pb
from marketplace.messaging.v1 import messaging_service_pb2_grpc
from messaging.service.user_events import prune
from servicekit.db import Database
from testkit.databases import execute
from testkit.grpc import field_violations, rpc_error
from testkit.stack import replica_process

from .test_messages import send


async def next_event(stream, seconds: float = 1.0) -> pb.UserEvent:
    async with asyncio.timeout(seconds):
        return await stream.read()


async def opened(messaging, metadata, last_event_id: str = ""):
    """A stream of the user's events, once the server has answered its headers (so it follows from now on)."""
    stream = messaging.StreamUserEvents(pb.StreamUserEventsRequest(last_event_id=last_event_id), metadata=metadata)
    await stream.initial_metadata()
    return stream


@pytest.fixture(scope="module")
async def other_process(stack):
    """A second messaging process on the same database, and a stub of it."""
    async with (
        replica_process(stack, "messaging") as process,
        grpc.aio.insecure_channel(process.address) as channel,
    ):
        yield messaging_service_pb2_grpc.MessagingServiceStub(channel)


async def test_a_message_sent_through_another_process_reaches_both_participants_within_a_second(
    messaging, other_process, talk
):
    conversation, (_, seller), (_, buyer) = await talk()
    seller_stream, buyer_stream = await opened(messaging, seller), await opened(messaging, buyer)
    sent = await other_process.CreateMessage(send(conversation.id, "Live?"), metadata=buyer)
    for stream in (seller_stream, buyer_stream):
        event = await next_event(stream)
        assert (event.type, event.message) == ("message", sent)
        assert event.id.isdigit() and event.HasField("create_time")
        stream.cancel()


async def test_a_stream_opened_again_after_its_last_event_gets_what_it_missed_once(messaging, other_process, talk):
    conversation, (_, seller), (_, buyer) = await talk()
    stream = await opened(messaging, seller)
    first = await other_process.CreateMessage(send(conversation.id, "one"), metadata=buyer)
    seen = await next_event(stream)
    assert seen.message.id == first.id
    stream.cancel()
    missed = [
        await other_process.CreateMessage(send(conversation.id, text), metadata=buyer) for text in ("two", "three")
    ]
    again = await opened(messaging, seller, last_event_id=seen.id)
    got = [await next_event(again), await next_event(again)]
    assert [event.message.id for event in got] == [message.id for message in missed]
    assert [int(event.id) for event in got] == [int(seen.id) + 1, int(seen.id) + 2]
    live = await messaging.CreateMessage(send(conversation.id, "four"), metadata=buyer)
    assert (await next_event(again)).message.id == live.id
    with pytest.raises(TimeoutError):
        await next_event(again, seconds=0.5)
    again.cancel()


async def test_a_stream_sends_only_its_own_user_s_events(messaging, talk, person):
    conversation, _, (_, buyer) = await talk()
    _, stranger = person()
    stream = await opened(messaging, stranger)
    await messaging.CreateMessage(send(conversation.id, "not yours"), metadata=buyer)
    with pytest.raises(TimeoutError):
        await next_event(stream, seconds=0.5)
    stream.cancel()


@pytest.mark.parametrize("last_event_id", ["abc", "-1", "1.5", "99999999999999999999"])
async def test_a_last_event_id_that_is_not_a_number_is_refused(messaging, person, last_event_id):
    _, user = person()
    error = await rpc_error(
        messaging.StreamUserEvents(pb.StreamUserEventsRequest(last_event_id=last_event_id), metadata=user).read()
    )
    assert error.code() is grpc.StatusCode.INVALID_ARGUMENT
    assert "last_event_id" in field_violations(error)


async def test_a_stream_needs_a_signed_in_user(messaging):
    error = await rpc_error(messaging.StreamUserEvents(pb.StreamUserEventsRequest()).read())
    assert error.code() is grpc.StatusCode.UNAUTHENTICATED


async def test_the_log_keeps_what_its_retention_keeps_and_a_stream_from_before_gets_that(messaging, stack, talk):
    conversation, (_, seller), (_, buyer) = await talk()
    stream = await opened(messaging, seller)
    await messaging.CreateMessage(send(conversation.id, "old"), metadata=buyer)
    old = await next_event(stream)
    stream.cancel()
    await prune_all(stack)
    kept = await messaging.CreateMessage(send(conversation.id, "kept"), metadata=buyer)
    again = await opened(messaging, seller, last_event_id=str(int(old.id) - 1))
    assert (await next_event(again)).message.id == kept.id
    again.cancel()


async def prune_all(stack) -> None:
    """Prunes the log as if every event were past its retention."""
    db = Database(stack.database_urls["messaging"])
    try:
        await prune(db, timedelta(0))
    finally:
        await db.dispose()


async def test_a_stream_gets_its_events_when_the_listening_connection_was_cut(messaging, stack, talk):
    conversation, (_, seller), (_, buyer) = await talk()
    stream = await opened(messaging, seller)
    await execute(
        stack.database_urls["messaging"],
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
        " WHERE application_name = 'messaging user events listener' AND datname = current_database()",
    )
    sent = await messaging.CreateMessage(send(conversation.id, "after the cut"), metadata=buyer)
    # Woken by the notification if a new connection already listens, else when it does (a second), else by
    # the stream's own reading.
    assert (await next_event(stream, seconds=3)).message.id == sent.id
    stream.cancel()
    listening = await execute(
        stack.database_urls["messaging"],
        "SELECT 1 FROM pg_stat_activity"
        " WHERE application_name = 'messaging user events listener' AND datname = current_database()",
    )
    assert listening != "SELECT 0"
