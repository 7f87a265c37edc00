"""What travels from the HTTP request to the backend call: credentials and the request id."""

import re
import uuid

import grpc
from starlette.datastructures import MutableHeaders
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from gateway.errors import GatewayError

REQUEST_ID_HEADER = "x-request-id"
FORWARDED_FOR = "x-forwarded-for"
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


def client_address(request: Request, trusted_proxy_hops: int) -> str:
    """The caller's address: from X-Forwarded-For as far as trusted proxies wrote it, else the peer."""
    peer = request.client.host if request.client else ""
    if trusted_proxy_hops <= 0:
        return peer
    entries = [entry.strip() for entry in request.headers.get(FORWARDED_FOR, "").split(",") if entry.strip()]
    return entries[-trusted_proxy_hops] if len(entries) >= trusted_proxy_hops else peer


def forwarded_metadata(request: Request, trusted_proxy_hops: int = 0) -> tuple[tuple[str, str], ...]:
    """The backend call's metadata: `authorization` as sent, `x-request-id`, and the client's
    address as the only `x-forwarded-for` entry (services such as sign-in throttling count by it).

    An Authorization header that gRPC metadata cannot carry is a bad token: 401 here, since
    dropping it would serve a public method as if no token had been sent.
    """
    metadata = [(REQUEST_ID_HEADER, request.state.request_id)]
    client = client_address(request, trusted_proxy_hops)
    if METADATA_VALUE.fullmatch(client):
        metadata.append((FORWARDED_FOR, client))
    authorization = request.headers.get("authorization")
    if authorization is not None:
        if not METADATA_VALUE.fullmatch(authorization):
            raise GatewayError(grpc.StatusCode.UNAUTHENTICATED, "the Authorization header is not printable ASCII")
        metadata.append(("authorization", authorization))
    return tuple(metadata)
