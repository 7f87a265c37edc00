"""Typed gateway settings read from environment variables, with defaults that work locally."""

import os
from collections.abc import Mapping
from dataclasses import dataclass, field

from starlette.config import Config

from gateway.ratelimits import Limit, RouteClass

DEFAULT_ADDRESSES = {
    "catalog": "127.0.0.1:50051",
    "accounts": "127.0.0.1:50052",
    "trading": "127.0.0.1:50053",
    "messaging": "127.0.0.1:50054",
}
# Per client address and per token, on one replica (the buckets live in the process).
DEFAULT_RATE_LIMITS = {
    RouteClass.SIGN_IN: Limit(requests=20, window_seconds=60, burst=10),
    RouteClass.WRITES: Limit(requests=300, window_seconds=60, burst=60),
    RouteClass.READS: Limit(requests=1200, window_seconds=60, burst=200),
}
# The accounts routes that take a password or a refresh token: guessing and registering are cheap to
# try, so they get the strictest class.
DEFAULT_SIGN_IN_METHODS = (
    "marketplace.accounts.v1.AccountsService/CreateUser",
    "marketplace.accounts.v1.AccountsService/CreateSession",
    "marketplace.accounts.v1.AccountsService/RefreshSession",
)


@dataclass(frozen=True)
class Settings:
    """What one gateway process needs: where it listens, where the backends are, how long to wait."""

    host: str = "0.0.0.0"
    port: int = 8080
    # Backend address by context, the second part of a proto package (`marketplace.catalog.v1`).
    addresses: Mapping[str, str] = field(default_factory=lambda: dict(DEFAULT_ADDRESSES))
    backend_timeout_seconds: float = 10.0
    # Server-Sent Events last long; their backend streams get a deadline of their own,
    # after which the browser's EventSource reconnects.
    stream_timeout_seconds: float = 3600.0
    stream_open_wait_seconds: float = 1.0
    stream_keepalive_seconds: float = 15.0
    health_timeout_seconds: float = 2.0
    max_body_bytes: int = 1024 * 1024
    max_header_bytes: int = 16 * 1024
    # None switches a class's limit off.
    rate_limits: Mapping[RouteClass, Limit | None] = field(default_factory=lambda: dict(DEFAULT_RATE_LIMITS))
    sign_in_methods: tuple[str, ...] = DEFAULT_SIGN_IN_METHODS
    # Unary calls under way in this process; past it, 503 at once rather than a queue up to the deadline.
    max_in_flight: int = 256
    cors_allowed_origins: tuple[str, ...] = ()
    # Proxies in front of the gateway (an Ingress controller) whose X-Forwarded-For entries are
    # trusted; the client is the entry that many places from the right, else the peer.
    trusted_proxy_hops: int = 0
    log_level: str = "info"

    @classmethod
    def from_env(cls, environ: Mapping[str, str] = os.environ) -> "Settings":
        """Reads settings from the environment; a value that does not parse stops start-up and names itself."""
        config = Config(environ=environ)
        return cls(
            host=config("GATEWAY_HOST", default=cls.host),
            port=config("GATEWAY_PORT", cast=int, default=cls.port),
            addresses={
                context: config(f"{context.upper()}_ADDR", default=default)
                for context, default in DEFAULT_ADDRESSES.items()
            },
            backend_timeout_seconds=config("BACKEND_TIMEOUT_SECONDS", cast=float, default=cls.backend_timeout_seconds),
            stream_timeout_seconds=config("STREAM_TIMEOUT_SECONDS", cast=float, default=cls.stream_timeout_seconds),
            stream_open_wait_seconds=config(
                "STREAM_OPEN_WAIT_SECONDS", cast=float, default=cls.stream_open_wait_seconds
            ),
            stream_keepalive_seconds=config(
                "STREAM_KEEPALIVE_SECONDS", cast=float, default=cls.stream_keepalive_seconds
            ),
            health_timeout_seconds=config("HEALTH_TIMEOUT_SECONDS", cast=float, default=cls.health_timeout_seconds),
            max_body_bytes=config("MAX_BODY_BYTES", cast=int, default=cls.max_body_bytes),
            max_header_bytes=config("MAX_HEADER_BYTES", cast=int, default=cls.max_header_bytes),
            rate_limits={
                route_class: config(
                    f"RATE_LIMIT_{route_class.name}", cast=Limit.parse, default=str(DEFAULT_RATE_LIMITS[route_class])
                )
                for route_class in RouteClass
            },
            sign_in_methods=config("RATE_LIMIT_SIGN_IN_METHODS", cast=names, default=",".join(DEFAULT_SIGN_IN_METHODS)),
            max_in_flight=config("MAX_IN_FLIGHT", cast=int, default=cls.max_in_flight),
            cors_allowed_origins=config("CORS_ALLOWED_ORIGINS", cast=names, default=""),
            trusted_proxy_hops=config("TRUSTED_PROXY_HOPS", cast=int, default=cls.trusted_proxy_hops),
            log_level=config("LOG_LEVEL", default=cls.log_level).lower(),
        )


def names(text: str) -> tuple[str, ...]:
    """A comma-separated list, blanks dropped."""
    return tuple(name.strip() for name in text.split(",") if name.strip())
