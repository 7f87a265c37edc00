"""A bound on the size of a request's header section: past it, 431 before any routing.

uvicorn's parser, httptools, takes header sections of any size (h11, its fallback, answers 400 past
16 KiB); the bound here refuses oversized cookies and tokens with the status made for them.
"""

import grpc
from starlette.types import ASGIApp, Receive, Scope, Send

from gateway.errors import GatewayError


class HeaderSizeMiddleware:
    def __init__(self, app: ASGIApp, max_header_bytes: int) -> None:
        self.app = app
        self.max_header_bytes = max_header_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            # As on the wire: "name: value\r\n" per field.
            size = sum(len(name) + len(value) + 4 for name, value in scope["headers"])
            if size > self.max_header_bytes:
                error = GatewayError(
                    grpc.StatusCode.RESOURCE_EXHAUSTED,
                    f"the request's header fields are over {self.max_header_bytes} bytes",
                    http_status=431,
                )
                await error.response()(scope, receive, send)
                return
        await self.app(scope, receive, send)
