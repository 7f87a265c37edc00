"""What travels from the HTTP request to the backend call: credentials and the request id."""

import re
import uuid

import grpc
from starlette.datastructures import MutableHeaders
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from gateway.errors import GatewayError

REQUEST_ID_HEADER = "x-request-id"
# gRPC metadata values must be printable ASCII; anything else would fail the call itself.
METADATA_VALUE = re.compile(r"[\x20-\x7e]{1,4096}")
REQUEST_ID = re.compile(r"[\x21-\x7e]{1,128}")


class RequestIdMiddleware:
    """Gives every request an id (the client's X-Request-Id, or a new uuid4) and echoes it on the response."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        sent = Request(scope).headers.get(REQUEST_ID_HEADER, "")
        request_id = sent if REQUEST_ID.fullmatch(sent) else str(uuid.uuid4())
        scope.setdefault("state", {})["request_id"] = request_id

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                MutableHeaders(scope=message)[REQUEST_ID_HEADER] = request_id
            await send(message)

        await self.app(scope, receive, send_with_id)


def forwarded_metadata(request: Request) -> tuple[tuple[str, str], ...]:
    """The backend call's metadata: `authorization` as sent, and `x-request-id`.

    An Authorization header that gRPC metadata cannot carry is a bad token: 401 here, since
    dropping it would serve a public method as if no token had been sent.
    """
    metadata = [(REQUEST_ID_HEADER, request.state.request_id)]
    authorization = request.headers.get("authorization")
    if authorization is not None:
        if not METADATA_VALUE.fullmatch(authorization):
            raise GatewayError(grpc.StatusCode.UNAUTHENTICATED, "the Authorization header is not printable ASCII")
        metadata.append(("authorization", authorization))
    return tuple(metadata)
