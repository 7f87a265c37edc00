"""Server-streaming RPCs as Server-Sent Events: one `data: <json>` per message.

A message names its event by the set member of its oneof (or a string `type` field) and
its id by a string `id` field; a browser's EventSource sends that id back as Last-Event-ID
when it reconnects, which goes into the request's `last_event_id` field when it has one.
"""

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass

import grpc
from google.protobuf.message import Message
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse

from gateway.encoding import compact_json, message_to_dict
from gateway.errors import error_body, error_response, status_of

LAST_EVENT_ID_FIELD = "last_event_id"
KEEPALIVE = ": keep-alive\n\n"


@dataclass(frozen=True)
class StreamTimings:
    # How long to wait for the backend's headers, its first message or its failure before
    # answering 200 and streaming: a stream refused at once (bad token, bad argument) then
    # answers with its HTTP status instead of an `error` event. A backend that sends its
    # headers once the stream's start is fixed (messaging's StreamUserEvents) is answered
    # at once, and the client's 200 then means that every later event will come.
    open_wait_seconds: float = 1.0
    # A comment line this often keeps proxies from closing a quiet stream as idle.
    keepalive_seconds: float = 15.0


def apply_last_event_id(request: Request, message: Message) -> None:
    """Resumes after the client's last event, unless the query named a position already."""
    last_event_id = request.headers.get("last-event-id")
    if last_event_id and _is_string_field(message, LAST_EVENT_ID_FIELD) and not getattr(message, LAST_EVENT_ID_FIELD):
        setattr(message, LAST_EVENT_ID_FIELD, last_event_id)


async def event_stream_response(call: grpc.aio.UnaryStreamCall, timings: StreamTimings) -> Response:
    first_read = asyncio.ensure_future(call.read())
    headers = asyncio.ensure_future(call.initial_metadata())
    await asyncio.wait({first_read, headers}, timeout=timings.open_wait_seconds, return_when=asyncio.FIRST_COMPLETED)
    headers.cancel()
    if call.done():
        # Refused at once: its headers came with its status.
        await asyncio.wait({first_read})
    if first_read.done() and isinstance(first_read.exception(), grpc.aio.AioRpcError):
        return error_response(status_of(first_read.exception()))
    return StreamingResponse(
        _events(call, first_read, timings.keepalive_seconds),
        media_type="text/event-stream",
        # no-transform and X-Accel-Buffering keep proxies from buffering the stream.
        headers={"Cache-Control": "no-cache, no-transform", "X-Accel-Buffering": "no"},
    )


async def _events(
    call: grpc.aio.UnaryStreamCall, next_read: asyncio.Future, keepalive_seconds: float
) -> AsyncIterator[str]:
    try:
        while True:
            done, _ = await asyncio.wait({next_read}, timeout=keepalive_seconds)
            if not done:
                yield KEEPALIVE
                continue
            message = next_read.result()
            if message is grpc.aio.EOF:
                return
            yield format_event(message)
            next_read = asyncio.ensure_future(call.read())
    except grpc.aio.AioRpcError as error:
        # The headers are sent already: a failure mid-stream becomes an `error` event.
        yield f"event: error\ndata: {compact_json(error_body(status_of(error)))}\n\n"
    finally:
        # The client went away or the stream ended: stop reading and end the backend call.
        next_read.cancel()
        call.cancel()


def format_event(message: Message) -> str:
    lines = []
    name = _one_line(event_name(message))
    if name:
        lines.append(f"event: {name}")
    event_id = _one_line(message.id if _is_string_field(message, "id") else "")
    if event_id:
        lines.append(f"id: {event_id}")
    lines.append(f"data: {compact_json(message_to_dict(message))}")
    return "\n".join(lines) + "\n\n"


def event_name(message: Message) -> str:
    for oneof in message.DESCRIPTOR.oneofs:
        member = message.WhichOneof(oneof.name)
        if member and len(oneof.fields) > 1:  # a proto3 `optional` is a one-member synthetic oneof
            return member
    return message.type if _is_string_field(message, "type") else ""


def _is_string_field(message: Message, name: str) -> bool:
    field = message.DESCRIPTOR.fields_by_name.get(name)
    return field is not None and field.type == field.TYPE_STRING and not field.is_repeated


def _one_line(value: str) -> str:
    """A line break would end the SSE field early and forge another one."""
    return "" if "\n" in value or "\r" in value else value
