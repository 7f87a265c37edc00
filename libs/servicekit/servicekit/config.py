"""Typed settings read from environment variables, with defaults that work locally."""

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

DEFAULT_PORTS = {"catalog": 50051, "accounts": 50052, "trading": 50053, "messaging": 50054}
CONTEXTS = tuple(DEFAULT_PORTS)
# The contexts whose seed acts through the other services' APIs (trading's demo market: its items are made in
# catalog, its purchase paid through accounts' ledger; messaging's conversation is about one of trading's demo
# listings): `make run` seeds them, in this order, once every service serves.
SEEDS_AFTER_START = ("trading", "messaging")

N = TypeVar("N", int, float)


class MissingSetting(RuntimeError):
    """A setting without a default is absent from the environment."""


def env(name: str, default: str | None = None) -> str:
    value = os.environ.get(name, default)
    if value is None:
        raise MissingSetting(f"environment variable {name} is required")
    return value


class InvalidSetting(RuntimeError):
    """A setting in the environment is not a value it may take."""


def env_number(name: str, default: N, minimum: N) -> N:
    """A number of the default's type from the environment, at least minimum."""
    raw = env(name, str(default))
    try:
        value = type(default)(raw)
    except ValueError:
        raise InvalidSetting(f"environment variable {name} must be a number, not {raw!r}") from None
    if value < minimum:
        raise InvalidSetting(f"environment variable {name} must be at least {minimum}, not {raw!r}")
    return value


def service_address(context: str) -> str:
    """host:port of another context's gRPC server, from <CONTEXT>_ADDR."""
    return env(f"{context.upper()}_ADDR", f"127.0.0.1:{DEFAULT_PORTS[context]}")


@dataclass(frozen=True)
class PoolSettings:
    """A service's database connections. A call waits `timeout_seconds` at most for a free connection
    and a statement runs `statement_timeout_ms` at most: a saturated or stuck database answers
    UNAVAILABLE at once instead of holding the caller until its deadline. The engine holds `size`
    connections and `overflow` more under load; the hot paths' bare connections are a pool of at most
    `size` beside it (servicekit.db)."""

    size: int = 10
    overflow: int = 10
    timeout_seconds: float = 3.0
    # Below the usual idle timeouts of load balancers and PgBouncer.
    recycle_seconds: int = 1800
    # A connection idle in the pool longer than this is checked before use (the ones a load balancer may have
    # dropped); one in steady use is not: asyncpg's check is three round trips.
    ping_idle_seconds: float = 10.0
    statement_timeout_ms: int = 30_000
    # The planner's cost of reading a page out of order. PostgreSQL's 4 (a sequential read being 1) is a
    # spinning disk's; on SSDs and a cached working set 1.1 is the usual setting. At 4 the planner walked
    # trading's listings by primary key, 18,000 of them for a page of a word that 1,700 listings hold, where
    # the word's index finds those 1,700 at once (320 ms against 70).
    random_page_cost: float = 1.1

    @classmethod
    def from_env(cls) -> "PoolSettings":
        return cls(
            size=int(env("DB_POOL_SIZE", str(cls.size))),
            overflow=int(env("DB_POOL_OVERFLOW", str(cls.overflow))),
            timeout_seconds=float(env("DB_POOL_TIMEOUT_SECONDS", str(cls.timeout_seconds))),
            recycle_seconds=int(env("DB_POOL_RECYCLE_SECONDS", str(cls.recycle_seconds))),
            ping_idle_seconds=float(env("DB_POOL_PING_IDLE_SECONDS", str(cls.ping_idle_seconds))),
            statement_timeout_ms=int(env("DB_STATEMENT_TIMEOUT_MS", str(cls.statement_timeout_ms))),
            random_page_cost=float(env("DB_RANDOM_PAGE_COST", str(cls.random_page_cost))),
        )


@dataclass(frozen=True)
class Settings:
    """What one service process needs to run."""

    service: str
    database_url: str
    grpc_port: int
    # Loopback unless a container or a developer says otherwise (0.0.0.0 in the images).
    grpc_host: str = "127.0.0.1"
    environment: str = "development"
    log_level: str = "INFO"
    auth_issuer: str = "marketplace-accounts"
    auth_audience: str = "marketplace"
    auth_jwks_file: Path | None = None
    auth_signing_key_file: Path | None = None
    service_key_file: Path | None = None
    service_keys_file: Path | None = None
    shutdown_grace_seconds: float = 10.0
    call_timeout_seconds: float = 5.0
    # PostgreSQL durations for `migrate` (see servicekit.migrations).
    migration_lock_timeout: str = "5s"
    migration_statement_timeout: str = "5min"
    # The outbox keeps a day's events at least this many days after it, and until every consumer
    # has them (servicekit.retention).
    outbox_retention_days: int = 7
    # An idempotency key answers retries this long; then it is deleted (servicekit.idempotency).
    idempotency_key_retention_hours: int = 168
    # How often partitions are made ahead and the outbox pruned (servicekit.partitions).
    partition_maintenance_seconds: float = 3600.0
    # Blocks this large or larger are mapped apart and given back when freed (servicekit.malloc); glibc's own
    # variable, which the kit sets at process start, to glibc's starting value unless the environment names one.
    malloc_mmap_threshold: int = 128 * 1024
    addresses: dict[str, str] = field(default_factory=dict)
    pool: PoolSettings = field(default_factory=PoolSettings)

    @property
    def development(self) -> bool:
        return self.environment == "development"

    def runtime_setting_defaults(self) -> dict[str, Any]:
        """Defaults of the service's runtime settings (servicekit.runtime_settings) that come from its
        environment, by setting name; a subclass names those it reads (none here)."""
        return {}

    @classmethod
    def own_from_env(cls) -> dict[str, Any]:
        """The fields a service's subclass adds, read from the environment (none here)."""
        return {}

    @classmethod
    def from_env(cls, service: str) -> "Settings":
        def path(name: str) -> Path | None:
            value = os.environ.get(name)
            return Path(value) if value else None

        return cls(
            service=service,
            database_url=env("DATABASE_URL", f"postgresql+asyncpg://postgres@127.0.0.1:5432/{service}"),
            grpc_port=int(env("GRPC_PORT", str(DEFAULT_PORTS[service]))),
            grpc_host=env("GRPC_HOST", cls.grpc_host),
            environment=env("ENVIRONMENT", "development"),
            log_level=env("LOG_LEVEL", "INFO"),
            auth_issuer=env("AUTH_ISSUER", cls.auth_issuer),
            auth_audience=env("AUTH_AUDIENCE", cls.auth_audience),
            auth_jwks_file=path("AUTH_JWKS_FILE"),
            auth_signing_key_file=path("AUTH_SIGNING_KEY_FILE"),
            service_key_file=path("SERVICE_KEY_FILE"),
            service_keys_file=path("SERVICE_KEYS_FILE"),
            shutdown_grace_seconds=float(env("SHUTDOWN_GRACE_SECONDS", "10")),
            call_timeout_seconds=float(env("CALL_TIMEOUT_SECONDS", "5")),
            migration_lock_timeout=env("MIGRATION_LOCK_TIMEOUT", cls.migration_lock_timeout),
            migration_statement_timeout=env("MIGRATION_STATEMENT_TIMEOUT", cls.migration_statement_timeout),
            outbox_retention_days=env_number("OUTBOX_RETENTION_DAYS", cls.outbox_retention_days, 0),
            idempotency_key_retention_hours=env_number(
                "IDEMPOTENCY_KEY_RETENTION_HOURS", cls.idempotency_key_retention_hours, 1
            ),
            partition_maintenance_seconds=env_number(
                "PARTITION_MAINTENANCE_SECONDS", cls.partition_maintenance_seconds, 1.0
            ),
            malloc_mmap_threshold=env_number("MALLOC_MMAP_THRESHOLD_", cls.malloc_mmap_threshold, 0),
            addresses={context: service_address(context) for context in CONTEXTS if context != service},
            pool=PoolSettings.from_env(),
            **cls.own_from_env(),
        )
