"""Typed gateway settings read from environment variables, with defaults that work locally."""

import os
from collections.abc import Mapping
from dataclasses import dataclass, field

from starlette.config import Config

DEFAULT_ADDRESSES = {
    "catalog": "127.0.0.1:50051",
    "accounts": "127.0.0.1:50052",
    "trading": "127.0.0.1:50053",
    "messaging": "127.0.0.1:50054",
}


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
            trusted_proxy_hops=config("TRUSTED_PROXY_HOPS", cast=int, default=cls.trusted_proxy_hops),
            log_level=config("LOG_LEVEL", default=cls.log_level).lower(),
        )
