"""CORS for an allow-list of origins: Starlette's middleware, except that an origin not on the list
gets no CORS header at all (Starlette still sends the allowed methods and headers to it), and its
preflight is refused in the gateway's error shape."""

import grpc
from starlette.datastructures import Headers, MutableHeaders
from starlette.middleware.cors import CORSMiddleware
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Send

from gateway.errors import GatewayError
from gateway.forwarding import REQUEST_ID_HEADER
from gateway.transcoding import IDEMPOTENCY_KEY_HEADER

METHODS = ("GET", "POST", "PATCH", "DELETE")
REQUEST_HEADERS = ("Authorization", "Content-Type", IDEMPOTENCY_KEY_HEADER, REQUEST_ID_HEADER, "Last-Event-ID")
# What a browser script may read of a response beyond the safelisted fields.
EXPOSED_HEADERS = ("RateLimit", "RateLimit-Policy", "Retry-After", REQUEST_ID_HEADER)


class AllowListCORSMiddleware(CORSMiddleware):
    def __init__(self, app: ASGIApp, allow_origins: tuple[str, ...]) -> None:
        super().__init__(
            app,
            allow_origins=allow_origins,
            allow_methods=METHODS,
            allow_headers=REQUEST_HEADERS,
            expose_headers=EXPOSED_HEADERS,
        )

    def preflight_response(self, request_headers: Headers) -> Response:
        origin = request_headers["origin"]
        if self.is_allowed_origin(origin):
            return super().preflight_response(request_headers)
        error = GatewayError(
            grpc.StatusCode.PERMISSION_DENIED, f"origin {origin} may not call this API", headers={"Vary": "Origin"}
        )
        return error.response()

    async def send(self, message: Message, send: Send, request_headers: Headers) -> None:
        origin = request_headers.get("origin")
        if message["type"] != "http.response.start" or origin is None or self.is_allowed_origin(origin):
            await super().send(message, send, request_headers)
            return
        headers = MutableHeaders(scope=message)
        headers["Vary"] = ", ".join([*headers.getlist("Vary"), "Origin"])
        await send(message)
