"""The ASGI app behind every routed path: resolve the route, transcode, call the backend, answer."""

import grpc
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.types import Receive, Scope, Send

from gateway.backends import Backends
from gateway.errors import GatewayError, error_response, status_of
from gateway.forwarding import forwarded_metadata
from gateway.routing import MethodNotAllowed, RouteTable
from gateway.sse import StreamTimings, apply_last_event_id, event_stream_response
from gateway.transcoding import request_message, response_json

# Where the matched template goes in the ASGI scope, for the metrics' route label.
ROUTE_TEMPLATE_KEY = "gateway.route_template"


class Proxy:
    def __init__(
        self,
        routes: RouteTable,
        backends: Backends,
        stream_timings: StreamTimings,
        max_body_bytes: int,
        trusted_proxy_hops: int = 0,
    ) -> None:
        self.routes = routes
        self.backends = backends
        self.stream_timings = stream_timings
        self.max_body_bytes = max_body_bytes
        self.trusted_proxy_hops = trusted_proxy_hops

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        request = Request(scope, receive)
        response = await self.handle(request)
        await response(scope, receive, send)

    async def handle(self, request: Request) -> Response:
        try:
            return await self._forward(request)
        except GatewayError as error:
            return error.response()
        except grpc.aio.AioRpcError as error:
            return error_response(status_of(error))

    async def _forward(self, request: Request) -> Response:
        # The raw path keeps percent-encoding, which multi-segment variables need ("%2F" stays).
        raw_path = request.scope.get("raw_path", request.url.path.encode()).decode("latin-1")
        resolved = self.routes.resolve(request.method, raw_path)
        if resolved is None:
            raise GatewayError(grpc.StatusCode.NOT_FOUND, f"no route for {request.url.path}")
        if isinstance(resolved, MethodNotAllowed):
            allowed = ", ".join(resolved.allowed)
            raise GatewayError(
                grpc.StatusCode.UNIMPLEMENTED,
                f"{request.method} is not allowed on {request.url.path}; allowed: {allowed}",
                http_status=405,
                headers={"Allow": allowed},
            )
        route = resolved.route
        request.scope[ROUTE_TEMPLATE_KEY] = route.template.text
        message = await request_message(route, request, resolved.path_values, self.max_body_bytes)
        metadata = forwarded_metadata(request, self.trusted_proxy_hops)
        if route.rpc.server_streaming:
            apply_last_event_id(request, message)
            return await event_stream_response(self.backends.stream(route.rpc, message, metadata), self.stream_timings)
        reply = await self.backends.call(route.rpc, message, metadata)
        return JSONResponse(response_json(route, reply))
