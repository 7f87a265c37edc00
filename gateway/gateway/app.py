"""The Starlette application: routes from the descriptors, backends opened in the lifespan."""

from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from gateway.backends import Backends
from gateway.comments import load_comments
from gateway.config import Settings
from gateway.cors import AllowListCORSMiddleware
from gateway.descriptors import load_methods
from gateway.docs import docs_routes
from gateway.errors import EXCEPTION_HANDLERS
from gateway.forwarding import RequestIdMiddleware
from gateway.health import HealthCheck
from gateway.metrics import Metrics, MetricsMiddleware
from gateway.openapi import build_openapi
from gateway.overload import InFlight
from gateway.proxy import Proxy
from gateway.ratelimits import RateLimiter
from gateway.requestsize import HeaderSizeMiddleware
from gateway.routing import RouteTable, build_route_table
from gateway.sse import StreamTimings


def create_app(
    settings: Settings | None = None,
    *,
    addresses: Mapping[str, str] | None = None,
    proto_package: str = "marketplace",
) -> Starlette:
    """The gateway for every routed RPC found under proto_package.

    addresses (context -> host:port) override the settings' ones; raises RouteError for
    an HTTP rule that cannot be served and ValueError for a context without an address.
    """
    settings = settings or Settings.from_env()
    routes = build_route_table(load_methods(proto_package))
    backends = Backends(
        backend_addresses(routes, {**settings.addresses, **(addresses or {})}),
        timeout_seconds=settings.backend_timeout_seconds,
        stream_timeout_seconds=settings.stream_timeout_seconds,
    )
    document = build_openapi(routes, load_comments(proto_package))
    metrics = Metrics()
    stream_timings = StreamTimings(settings.stream_open_wait_seconds, settings.stream_keepalive_seconds)
    health = HealthCheck(backends, settings.health_timeout_seconds)

    async def openapi(request: Request) -> JSONResponse:
        return JSONResponse(document)

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        await backends.open()
        try:
            yield
        finally:
            await backends.close()

    app = Starlette(
        routes=[
            Route("/healthz", health.endpoint, methods=["GET"]),
            Route("/openapi.json", openapi, methods=["GET"]),
            Route("/metrics", metrics.endpoint, methods=["GET"]),
            *docs_routes(),
        ],
        # Outermost first: the gateway's own refusals get a request id, are counted, and carry CORS
        # headers so that a browser script can read them.
        middleware=[
            Middleware(RequestIdMiddleware),
            Middleware(MetricsMiddleware, metrics=metrics),
            *cors_middleware(settings),
            Middleware(HeaderSizeMiddleware, max_header_bytes=settings.max_header_bytes),
        ],
        exception_handlers=EXCEPTION_HANDLERS,
        lifespan=lifespan,
    )
    # Whatever the gateway's own routes do not match goes to the proxy, which answers 404 and 405 itself.
    app.router.default = Proxy(
        routes,
        backends,
        stream_timings,
        max_body_bytes=settings.max_body_bytes,
        trusted_proxy_hops=settings.trusted_proxy_hops,
        rate_limiter=RateLimiter(settings.rate_limits),
        sign_in_methods=frozenset(settings.sign_in_methods),
        in_flight=InFlight(settings.max_in_flight),
    )
    app.state.routes = routes
    app.state.openapi = document
    return app


def backend_addresses(routes: RouteTable, addresses: Mapping[str, str]) -> dict[str, str]:
    """The address of every context that some route reaches; only those get a channel and a health check."""
    contexts = sorted({route.rpc.context for route in routes.routes})
    missing = [context for context in contexts if context not in addresses]
    if missing:
        names = ", ".join(f"{context.upper()}_ADDR" for context in missing)
        raise ValueError(f"no backend address for {', '.join(missing)}: set {names} or pass addresses")
    return {context: addresses[context] for context in contexts}


def cors_middleware(settings: Settings) -> list[Middleware]:
    """CORS only when origins are listed: without them the gateway adds no CORS header."""
    if not settings.cors_allowed_origins:
        return []
    return [Middleware(AllowListCORSMiddleware, allow_origins=settings.cors_allowed_origins)]
