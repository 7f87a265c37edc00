"""The outbox partitioned by day: no event lost or doubled across a partition's boundary or a dropped
partition; partitions made ahead by the service; a day dropped only once every consumer has passed it."""

import functools
from datetime import UTC, datetime, timedelta

import grpc
import pytest
from sqlalchemy import text

from devstack.ports import free_port
from marketplace.common.v1 import events_pb2, events_pb2_grpc
from servicekit import partitions, retention
from servicekit.config import CONTEXTS, InvalidSetting, PoolSettings, Settings
from servicekit.db import Database
from servicekit.outbox import OUTBOX
from testkit.feeds import events_until
from testkit.grpc import error_reason, field_violations, rpc_error

from .feed_support import consumer, drain, feed_channel, publish, start_producer, wait_for

DAY = timedelta(days=1)


def day(offset: int) -> datetime:
    """The start of today (UTC, as partitions count days) moved by offset days."""
    return datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0) + offset * DAY


def day_name(offset: int) -> str:
    return f"{OUTBOX.name}_p{day(offset):%Y%m%d}"


async def make_day(db, offset: int) -> str:
    """Makes the partition of a day that is not made ahead (a past one)."""
    since, until = (f"'{day(at).isoformat()}'::timestamptz" for at in (offset, offset + 1))
    async with db.engine.begin() as connection:
        await connection.exec_driver_sql(partitions.create_sql(OUTBOX, since=since, until=until))
    return day_name(offset)


async def days(db) -> list[str]:
    async with db.engine.connect() as connection:
        return [partition.name for partition in await connection.run_sync(partitions.partitions, OUTBOX.name)]


async def prune_round(db, retention_days: int = 1) -> None:
    """One round of the maintenance the service runs every PARTITION_MAINTENANCE_SECONDS."""
    prune = functools.partial(retention.prune, retention=timedelta(days=retention_days))
    await partitions.maintain(db, [OUTBOX], prune=prune)


async def where(db) -> dict[str, list[str]]:
    """The subjects of the events in each partition."""
    async with db.engine.connect() as connection:
        rows = await connection.execute(
            text("SELECT tableoid::regclass::text, subject_id FROM outbox_events ORDER BY txid, id")
        )
        found: dict[str, list[str]] = {}
        for partition, subject in rows:
            found.setdefault(partition, []).append(subject)
        return found


@pytest.fixture
async def producer(databases, key_files):
    """The producer serving the feed, its database, the consumer's database and a channel as trading."""
    producer_db, consumer_db = databases
    port = free_port()
    running = await start_producer(producer_db, port, key_files)
    channel = feed_channel(port, key_files)
    yield producer_db, consumer_db, channel
    await channel.close()
    await running.stop(grace=0)


async def stream(channel, after: str = "", name: str = "") -> list[events_pb2.Event]:
    feed = events_pb2_grpc.EventFeedServiceStub(channel)
    return [event async for event in feed.StreamEvents(events_pb2.StreamEventsRequest(after=after, consumer=name))]


async def test_a_consumer_catches_up_across_a_days_boundary_once_each(producer):
    producer_db, consumer_db, channel = producer
    yesterday = await make_day(producer_db, -1)
    await publish(producer_db, "y1", "y2", at=day(-1) + timedelta(hours=23))
    await publish(producer_db, "t1", "t2")
    await drain(consumer_db, channel, ["y1", "y2", "t1", "t2"])
    await publish(producer_db, "t3")
    await drain(consumer_db, channel, ["y1", "y2", "t1", "t2", "t3"])
    assert await consumer(consumer_db, channel).catch_up() == 0
    assert await where(producer_db) == {yesterday: ["y1", "y2"], day_name(0): ["t1", "t2", "t3"]}


async def test_an_event_written_into_yesterday_after_todays_were_handled_is_still_handed_out(producer):
    # A transaction begun before midnight writes into yesterday's partition, with a txid after today's events.
    producer_db, consumer_db, channel = producer
    await make_day(producer_db, -1)
    await publish(producer_db, "today")
    await drain(consumer_db, channel, ["today"])
    await publish(producer_db, "begun before midnight", at=day(0) - timedelta(seconds=1))
    await drain(consumer_db, channel, ["today", "begun before midnight"])


async def test_a_day_every_consumer_has_passed_is_dropped_and_one_not_yet_passed_is_kept(producer):
    producer_db, consumer_db, channel = producer
    older, old = await make_day(producer_db, -4), await make_day(producer_db, -3)
    await publish(producer_db, "a1", "a2", at=day(-4))
    await drain(consumer_db, channel, ["a1", "a2"])
    await publish(producer_db, "b1", at=day(-3))
    await publish(producer_db, "c1")

    await prune_round(producer_db)
    assert older not in await days(producer_db) and old in await days(producer_db)
    await drain(consumer_db, channel, ["a1", "a2", "b1", "c1"])

    await prune_round(producer_db)
    assert old not in await days(producer_db)
    await publish(producer_db, "c2")
    await drain(consumer_db, channel, ["a1", "a2", "b1", "c1", "c2"])
    assert await consumer(consumer_db, channel).catch_up() == 0


async def test_a_consumer_behind_a_dropped_day_is_refused_rather_than_skipped(producer):
    producer_db, _, channel = producer
    await make_day(producer_db, -3)
    await publish(producer_db, "a1", at=day(-3))
    await publish(producer_db, "a2", at=day(-3))
    first, second = await events_until(channel, lambda events: len(events) == 2)
    await prune_round(producer_db)
    await publish(producer_db, "c1")

    error = await rpc_error(stream(channel, after=first.cursor))
    assert error.code() is grpc.StatusCode.FAILED_PRECONDITION and error_reason(error) == "EVENTS_PRUNED"
    # From the newest event dropped, or from the start of what is kept, nothing is missing.
    assert [event.subject_id for event in await stream(channel, after=second.cursor)] == ["c1"]
    assert [event.subject_id for event in await stream(channel)] == ["c1"]


async def test_a_consumer_that_named_itself_holds_back_a_day_until_it_acknowledges_it(producer):
    producer_db, _, channel = producer
    old = await make_day(producer_db, -3)
    await publish(producer_db, "a1", at=day(-3))
    [event] = await stream(channel, name="slow")
    await prune_round(producer_db)
    assert old in await days(producer_db)

    feed = events_pb2_grpc.EventFeedServiceStub(channel)
    await feed.AcknowledgeEvents(events_pb2.AcknowledgeEventsRequest(consumer="slow", cursor=event.cursor))
    await prune_round(producer_db)
    assert old not in await days(producer_db)


async def test_a_consumer_silent_for_longer_than_the_retention_holds_nothing_back(producer):
    producer_db, _, channel = producer
    old = await make_day(producer_db, -3)
    await publish(producer_db, "a1", at=day(-3))
    await stream(channel, name="gone")
    async with producer_db.begin() as session:
        await session.execute(text("UPDATE outbox_consumers SET seen_at = now() - interval '2 days'"))
    await prune_round(producer_db)
    assert old not in await days(producer_db)


async def test_a_day_younger_than_the_retention_is_kept_though_every_consumer_has_passed_it(producer):
    producer_db, consumer_db, channel = producer
    recent = await make_day(producer_db, -2)
    await publish(producer_db, "a1", at=day(-2))
    await drain(consumer_db, channel, ["a1"])
    await prune_round(producer_db, retention_days=3)
    assert recent in await days(producer_db)
    await prune_round(producer_db, retention_days=1)
    assert recent not in await days(producer_db)


async def test_the_service_makes_days_ahead_and_drops_passed_ones_by_itself(databases, key_files):
    producer_db, _ = databases
    port = free_port()
    running = await start_producer(
        producer_db, port, key_files, partition_maintenance_seconds=0.2, outbox_retention_days=1
    )
    ahead = [day_name(offset) for offset in range(OUTBOX.ahead + 1)]
    assert await days(producer_db) == ahead

    old = await make_day(producer_db, -3)
    await publish(producer_db, "a1", at=day(-3))
    async with producer_db.engine.begin() as connection:
        await connection.execute(text(f"DROP TABLE {ahead[-1]}"))
    # The passed day goes and the missing one comes back, without anyone asking.
    await wait_for(lambda: days(producer_db), ahead)
    assert old not in await days(producer_db)
    await running.stop(grace=0)


async def test_every_service_has_today_and_the_next_days(stack):
    for context in CONTEXTS:
        db = Database(stack.database_urls[context], PoolSettings(size=1))
        try:
            assert await days(db) == [day_name(offset) for offset in range(OUTBOX.ahead + 1)]
        finally:
            await db.dispose()


async def test_a_consumer_name_and_an_acknowledged_cursor_are_checked(producer):
    _, _, channel = producer
    error = await rpc_error(stream(channel, name="x" * 101))
    assert "consumer" in field_violations(error)
    feed = events_pb2_grpc.EventFeedServiceStub(channel)
    error = await rpc_error(feed.AcknowledgeEvents(events_pb2.AcknowledgeEventsRequest(consumer="c", cursor="12")))
    assert "cursor" in field_violations(error)
    error = await rpc_error(feed.AcknowledgeEvents(events_pb2.AcknowledgeEventsRequest(cursor="1.2")))
    assert "consumer" in field_violations(error)


def test_the_retention_comes_from_the_environment_and_a_bad_value_names_itself(monkeypatch):
    monkeypatch.setenv("OUTBOX_RETENTION_DAYS", "14")
    assert Settings.from_env("catalog").outbox_retention_days == 14
    monkeypatch.setenv("OUTBOX_RETENTION_DAYS", "a week")
    with pytest.raises(InvalidSetting, match="OUTBOX_RETENTION_DAYS"):
        Settings.from_env("catalog")
    monkeypatch.setenv("OUTBOX_RETENTION_DAYS", "-1")
    with pytest.raises(InvalidSetting, match="OUTBOX_RETENTION_DAYS"):
        Settings.from_env("catalog")
