"""Reading a service's event feed in tests.

The feed holds an event back while any older transaction on the PostgreSQL cluster is still
running (never reordering), so a test polls until what it expects has arrived.
"""

import asyncio
from collections.abc import Callable

import grpc

from marketplace.common.v1 import events_pb2, events_pb2_grpc


async def events_until(
    channel: grpc.aio.Channel, arrived: Callable[[list[events_pb2.Event]], bool], seconds: float = 10.0
) -> list[events_pb2.Event]:
    """Every event committed so far, read again until `arrived(events)` holds."""
    feed = events_pb2_grpc.EventFeedServiceStub(channel)
    async with asyncio.timeout(seconds):
        while True:
            events = [event async for event in feed.StreamEvents(events_pb2.StreamEventsRequest())]
            if arrived(events):
                return events
            await asyncio.sleep(0.05)
