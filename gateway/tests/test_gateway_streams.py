"""Server-streaming RPCs as Server-Sent Events."""

import asyncio
import json

from gateway.sse import KEEPALIVE, event_name, format_event


def parse_events(text: str) -> list[dict[str, str]]:
    events = []
    for block in text.strip().split("\n\n"):
        fields = dict(line.split(": ", 1) for line in block.splitlines() if not line.startswith(":"))
        if fields:
            events.append(fields)
    return events


async def test_a_server_stream_is_an_event_stream(gateway):
    response = await gateway.get("/v1/rooms/r1/events", params={"count": "3"})

    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/event-stream")
    assert response.headers["cache-control"].startswith("no-cache")
    events = parse_events(response.text)
    assert [(event["event"], event["id"]) for event in events] == [("said", "e1"), ("said", "e2"), ("said", "e3")]
    assert json.loads(events[0]["data"]) == {"id": "e1", "type": "said", "said": ">1"}


async def test_a_stream_refused_at_once_answers_with_its_http_status(gateway):
    response = await gateway.get("/v1/rooms/r1/events", params={"text": "refuse", "count": "1"})

    assert response.status_code == 403
    assert response.json()["status"] == "PERMISSION_DENIED"


async def test_a_failure_mid_stream_is_an_error_event(gateway):
    response = await gateway.get("/v1/rooms/r1/events", params={"text": "break", "count": "2"})

    assert response.status_code == 200
    events = parse_events(response.text)
    assert [event.get("event") for event in events] == ["said", "error"]
    assert json.loads(events[1]["data"])["status"] == "UNAVAILABLE"


async def test_last_event_id_resumes_the_stream(gateway):
    response = await gateway.get("/v1/rooms/r1/events", params={"count": "1"}, headers={"Last-Event-ID": "e7"})

    assert json.loads(parse_events(response.text)[0]["data"])["said"] == "e7>1"


async def test_an_open_stream_delivers_events_as_they_come(gateway):
    async with gateway.stream("GET", "/v1/rooms/r1/events", params={"count": "1", "loud": "true"}) as response:
        assert response.status_code == 200
        received = ""
        async for chunk in response.aiter_text():
            received += chunk
            if "held open" in received:
                break

    assert [event["event"] for event in parse_events(received)] == ["said", "note"]


def test_the_event_name_is_the_set_oneof_member(echo_pb2):
    event = echo_pb2.Event(id="1", type="ignored", note=echo_pb2.Note(title="t"))

    assert event_name(event) == "note"
    assert event_name(echo_pb2.Event(type="fallback")) == "fallback"


def test_line_breaks_cannot_forge_event_fields(echo_pb2):
    text = format_event(echo_pb2.Event(id="1\nevent: forged", type="said", said="line\nbreak"))

    assert "forged" not in text.split("data: ")[0]
    assert text.count("\n\n") == 1


async def test_a_quiet_stream_opens_without_waiting_for_its_first_message(gateway):
    async with gateway.stream(
        "GET", "/v1/rooms/r1/events", params={"ratio": "30", "count": "1"}, timeout=2
    ) as response:
        assert response.status_code == 200


async def test_a_quiet_stream_gets_keepalive_comments(echo_server, start_gateway):
    client = await start_gateway(echo_server.address, stream_keepalive_seconds=0.05)

    async with client.stream("GET", "/v1/rooms/r1/events", params={"ratio": "30", "count": "1"}) as response:
        async for chunk in response.aiter_text():
            assert chunk == KEEPALIVE
            break


async def test_the_backend_stream_ends_when_the_client_goes_away(gateway, echo_server):
    async with gateway.stream("GET", "/v1/rooms/r1/events", params={"count": "1", "loud": "true"}) as response:
        async for chunk in response.aiter_text():
            if "held open" in chunk:
                break

    await asyncio.wait_for(echo_server.servicer.stream_cancelled.wait(), timeout=5)
