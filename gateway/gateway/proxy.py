"""The ASGI app behind every routed path: resolve the route, transcode, call the backend, answer."""

from contextlib import nullcontext

import grpc
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.types import Receive, Scope, Send

from gateway.backends import Backends
from gateway.errors import GatewayError, error_info, error_response, status_of
from gateway.forwarding import client_address, forwarded_metadata
from gateway.overload import InFlight
from gateway.ratelimits import RateLimiter, route_class
from gateway.routing import MethodNotAllowed, Route, RouteTable
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
        *,
        max_body_bytes: int,
        trusted_proxy_hops: int,
        rate_limiter: RateLimiter,
        sign_in_methods: frozenset[str],
        in_flight: InFlight,
    ) -> None:
        self.routes = routes
        self.backends = backends
        self.stream_timings = stream_timings
        self.max_body_bytes = max_body_bytes
        self.trusted_proxy_hops = trusted_proxy_hops
        self.rate_limiter = rate_limiter
        self.sign_in_methods = sign_in_methods
        self.in_flight = in_flight

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        request = Request(scope, receive)
        response = await self.handle(request)
        await response(scope, receive, send)

    async def handle(self, request: Request) -> Response:
        rate_limit_headers: dict[str, str] = {}
        try:
            response = await self._forward(request, rate_limit_headers)
        except GatewayError as error:
            response = error.response()
        except grpc.aio.AioRpcError as error:
            response = error_response(status_of(error))
        response.headers.update(rate_limit_headers)
        return response

    async def _forward(self, request: Request, rate_limit_headers: dict[str, str]) -> Response:
        """The backend's answer; fills rate_limit_headers, which every answer of a routed request carries."""
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
        self._take_rate_limit(route, request, rate_limit_headers)
        # Streams are not counted in flight: they stay open for long and mostly wait.
        with nullcontext() if route.rpc.server_streaming else self.in_flight.slot():
            message = await request_message(route, request, resolved.path_values, self.max_body_bytes)
            metadata = forwarded_metadata(request, self.trusted_proxy_hops)
            if route.rpc.server_streaming:
                apply_last_event_id(request, message)
                stream = self.backends.stream(route.rpc, message, metadata)
                return await event_stream_response(stream, self.stream_timings)
            reply = await self.backends.call(route.rpc, message, metadata)
            return JSONResponse(response_json(route, reply))

    def _take_rate_limit(self, route: Route, request: Request, rate_limit_headers: dict[str, str]) -> None:
        limited_class = route_class(route, self.sign_in_methods)
        verdict = self.rate_limiter.take(
            limited_class,
            client_address(request, self.trusted_proxy_hops),
            request.headers.get("authorization"),
        )
        rate_limit_headers.update(verdict.headers)
        if not verdict.allowed:
            retry_after = verdict.headers["Retry-After"]
            raise GatewayError(
                grpc.StatusCode.RESOURCE_EXHAUSTED,
                f"rate limit of {limited_class.value} requests reached; retry in {retry_after} s",
                [error_info("RATE_LIMITED", route_class=limited_class.value, retry_after_seconds=retry_after)],
                http_status=429,
            )
