"""Live events through the gateway (GET /v1/events, Server-Sent Events): a message sent through another
messaging process arrives within a second, and a client back with Last-Event-ID gets what it missed, once."""

import asyncio
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx

from gateway.app import create_app
from testkit.api import signed_up
from testkit.http import serve_asgi
from testkit.stack import replica

LISTING = {"title": "Air Max 90, size 44", "price": {"currency": "EUR", "amount_minor": 8900}}


async def events(response: httpx.Response) -> AsyncIterator[dict]:
    """The stream's events as {"event", "id", "data"}, keep-alive comments left out."""
    fields: dict = {}
    async for line in response.aiter_lines():
        if not line:
            if fields:
                yield fields | {"data": json.loads(fields["data"])}
            fields = {}
        elif not line.startswith(":"):
            name, _, value = line.partition(": ")
            fields[name] = value


async def messages(stream: AsyncIterator[dict], count: int) -> list[dict]:
    """The next `count` message events of the stream."""
    found = []
    async for event in stream:
        if event["event"] == "message":
            found.append(event)
            if len(found) == count:
                return found
    raise AssertionError("the stream ended")


@asynccontextmanager
async def second_gateway(stack) -> AsyncIterator[httpx.AsyncClient]:
    """A gateway in front of a second messaging process on the same database."""
    async with (
        replica(stack, "messaging") as address,
        serve_asgi(create_app(addresses={**stack.addresses, "messaging": address})) as client,
    ):
        yield client


async def conversation(api, things) -> tuple:
    seller, buyer = await signed_up(api), await signed_up(api)
    listing = await api.post("/v1/listings", json=LISTING | {"category_id": things["id"]}, headers=seller.headers)
    started = await api.post("/v1/conversations", json={"listing_id": listing.json()["id"]}, headers=buyer.headers)
    assert started.status_code == 200, started.text
    return seller, buyer, started.json()["id"]


async def send(client: httpx.AsyncClient, person, conversation_id: str, text: str) -> dict:
    sent = await client.post(
        f"/v1/conversations/{conversation_id}/messages", json={"text": text}, headers=person.headers
    )
    assert sent.status_code == 200, sent.text
    return sent.json()


async def test_a_message_sent_through_another_messaging_process_arrives_within_a_second(api, stack, things):
    seller, buyer, conversation_id = await conversation(api, things)
    async with second_gateway(stack) as other, api.stream("GET", "/v1/events", headers=seller.headers) as response:
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/event-stream")
        stream = events(response)
        sent = await send(other, buyer, conversation_id, "Still available?")
        async with asyncio.timeout(1.0):
            [event] = await messages(stream, 1)
    assert event["data"]["message"]["id"] == sent["id"] and event["data"]["message"]["text"] == "Still available?"
    assert event["id"] == event["data"]["id"]


async def test_a_client_back_with_last_event_id_gets_what_it_missed_once(api, stack, things):
    seller, buyer, conversation_id = await conversation(api, things)
    async with api.stream("GET", "/v1/events", headers=seller.headers) as response:
        first = await send(api, buyer, conversation_id, "first")
        [seen] = await messages(events(response), 1)
    assert seen["data"]["message"]["id"] == first["id"]
    missed = [await send(api, buyer, conversation_id, text) for text in ("second", "third")]
    after = await send(api, buyer, conversation_id, "fourth")
    headers = seller.headers | {"last-event-id": seen["id"]}
    async with api.stream("GET", "/v1/events", headers=headers) as response:
        again = await messages(events(response), 3)
    assert [event["data"]["message"]["id"] for event in again] == [message["id"] for message in [*missed, after]]


async def test_the_event_stream_needs_a_signed_in_user(api):
    response = await api.get("/v1/events")
    assert response.status_code == 401
