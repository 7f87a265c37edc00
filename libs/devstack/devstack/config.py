"""What the local stack is made of: ports, database names, where its state lives.

Every value has a default that works on a developer's machine and an environment
variable to move it (tests and the benchmark run a second stack next to the first):

    GATEWAY_PORT (8080), CATALOG_PORT (50051), ACCOUNTS_PORT (50052), TRADING_PORT (50053),
    MESSAGING_PORT (50054), GATEWAY_HOST (127.0.0.1), DEVSTACK_DB_PREFIX (none: databases
    are named catalog, accounts, ...), DEVSTACK_STATE_DIR (.run: token keys and the admin
    password), DEVSTACK_START_TIMEOUT (120 seconds), ADMIN_EMAIL (admin@example.com),
    SEARCH (postgres; elasticsearch starts a node for the run).
"""

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from devstack.paths import RUN
from servicekit.config import CONTEXTS, DEFAULT_PORTS

DEFAULT_GATEWAY_PORT = 8080
DEFAULT_ADMIN_EMAIL = "admin@example.com"
SEARCH_BACKENDS = ("postgres", "elasticsearch")


@dataclass(frozen=True)
class StackConfig:
    ports: Mapping[str, int]
    gateway_port: int
    gateway_host: str = "127.0.0.1"
    db_prefix: str = ""
    state_dir: Path = RUN
    start_timeout: float = 120.0
    admin_email: str = DEFAULT_ADMIN_EMAIL
    search: str = "postgres"

    @classmethod
    def from_env(cls, environ: Mapping[str, str] = os.environ) -> "StackConfig":
        def number(name: str, default: float, cast=int):
            raw = environ.get(name, "")
            try:
                return cast(raw) if raw else default
            except ValueError:
                raise SystemExit(f"{name}={raw!r} is not a number") from None

        search = environ.get("SEARCH") or "postgres"
        if search not in SEARCH_BACKENDS:
            raise SystemExit(f"SEARCH={search!r} is not one of {', '.join(SEARCH_BACKENDS)}")
        return cls(
            ports={context: number(f"{context.upper()}_PORT", DEFAULT_PORTS[context]) for context in CONTEXTS},
            gateway_port=number("GATEWAY_PORT", DEFAULT_GATEWAY_PORT),
            gateway_host=environ.get("GATEWAY_HOST") or "127.0.0.1",
            db_prefix=environ.get("DEVSTACK_DB_PREFIX", ""),
            state_dir=Path(environ.get("DEVSTACK_STATE_DIR") or RUN),
            start_timeout=number("DEVSTACK_START_TIMEOUT", 120.0, float),
            admin_email=environ.get("ADMIN_EMAIL") or DEFAULT_ADMIN_EMAIL,
            search=search,
        )

    def database(self, context: str) -> str:
        return f"{self.db_prefix}{context}"

    def address(self, context: str) -> str:
        return f"127.0.0.1:{self.ports[context]}"

    @property
    def gateway_url(self) -> str:
        host = "127.0.0.1" if self.gateway_host in ("0.0.0.0", "::") else self.gateway_host
        return f"http://{host}:{self.gateway_port}"

    @property
    def key_dir(self) -> Path:
        return self.state_dir / "keys"
