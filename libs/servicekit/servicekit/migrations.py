"""Alembic for one service: the shared async env.py logic and `migrate --to REV`.

Each service keeps its own history and version table in its own database. PostGIS's
own tables and schemas, and the partitions of partitioned tables (the service makes those), are left
out of autogenerate, `alembic check` and `verify-schema`. Offline (`alembic upgrade A:B --sql`)
env.py prints the SQL instead of running it, which is what squawk lints (servicekit.squawk).

Every migration session runs with a lock_timeout: a DDL statement that queues behind a long
transaction would make every query of the live service queue behind it, so it gives up after
a few seconds instead (run it again when the database is quieter). And with a
statement_timeout, so that nothing runs unbounded; a revision that backfills for longer sets
its own with `SET LOCAL statement_timeout`.
"""

import asyncio
import functools
import logging
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from geoalchemy2 import alembic_helpers
from sqlalchemy import MetaData, pool, text
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

POSTGIS_SCHEMAS = {"tiger", "tiger_data", "topology"}
POSTGIS_TABLES = {"spatial_ref_sys", "geography_columns", "geometry_columns", "raster_columns", "raster_overviews"}


def version_table(service: str) -> str:
    return f"{service}_alembic_version"


@contextmanager
def quiet_alembic() -> Iterator[None]:
    """Alembic's INFO lines (its dialect, its plugins, what it renders) say nothing a report needs."""
    log = logging.getLogger("alembic")
    level = log.level
    log.setLevel(logging.WARNING)
    try:
        yield
    finally:
        log.setLevel(level)


def include_name(name: str | None, type_: str, parent_names: dict, partitions: frozenset[str] = frozenset()) -> bool:
    """Whether autogenerate compares the object: not PostGIS's, nor a partition (the service makes those)."""
    if type_ == "schema":
        return name not in POSTGIS_SCHEMAS
    if type_ == "table":
        return name not in POSTGIS_TABLES and name not in partitions
    return True


def alembic_config(
    service_root: Path, database_url: str, *, lock_timeout: str = "5s", statement_timeout: str = "5min"
) -> Config:
    """The service's alembic.ini (or $ALEMBIC_CONFIG) pointed at database_url, with the session's timeouts."""
    path = Path(os.environ.get("ALEMBIC_CONFIG", service_root / "alembic.ini"))
    config = Config(str(path))
    config.set_main_option("script_location", str(path.parent / "migrations"))
    config.set_main_option("sqlalchemy.url", database_url.replace("%", "%%"))
    config.set_main_option("lock_timeout", lock_timeout)
    config.set_main_option("statement_timeout", statement_timeout)
    return config


def partition_names(connection: Connection) -> frozenset[str]:
    return frozenset(connection.execute(text("SELECT relname FROM pg_class WHERE relispartition")).scalars())


def context_options(service: str, metadata: MetaData, partitions: frozenset[str] = frozenset()) -> dict:
    """How Alembic runs and compares a service's history: its version table, PostGIS and partitions left out."""
    return {
        "target_metadata": metadata,
        "version_table": version_table(service),
        "include_name": functools.partial(include_name, partitions=partitions),
        "compare_type": True,
        # GeoAlchemy2 renders spatial columns and their GIST indexes the way it creates them.
        "render_item": alembic_helpers.render_item,
        "process_revision_directives": alembic_helpers.writer,
    }


def _configure(connection: Connection, service: str, metadata: MetaData) -> None:
    from alembic import context

    partitions = partition_names(connection)
    # Ends the transaction that query began, so that Alembic's own begins and commits the migrations.
    connection.commit()
    context.configure(connection=connection, **context_options(service, metadata, partitions))
    with context.begin_transaction():
        context.run_migrations()


def _run_offline(config: Config, service: str, metadata: MetaData) -> None:
    """Writes the SQL instead of running it (`alembic upgrade A:B --sql`, no database needed),
    with the session's timeouts first, as an online run sets them."""
    from alembic import context

    context.configure(
        dialect_name="postgresql",
        literal_binds=True,
        dialect_opts={"paramstyle": "named"},
        **context_options(service, metadata),
    )
    with context.begin_transaction():
        for name, value in _timeouts(config).items():
            context.execute(f"SET {name} = '{value}'")
        context.run_migrations()


def _timeouts(config: Config) -> dict[str, str]:
    """The config's session timeouts; a config made without alembic_config() (the alembic CLI)
    gets the defaults."""
    return {
        name: config.get_main_option(name) or alembic_config.__kwdefaults__[name]
        for name in ("lock_timeout", "statement_timeout")
    }


def _engine(config: Config) -> AsyncEngine:
    """An engine whose sessions have the config's timeouts."""
    url = config.get_main_option("sqlalchemy.url")
    return create_async_engine(url, poolclass=pool.NullPool, connect_args={"server_settings": _timeouts(config)})


async def _run_async(config: Config, service: str, metadata: MetaData) -> None:
    engine = _engine(config)
    try:
        async with engine.connect() as connection:
            await connection.run_sync(_configure, service, metadata)
    finally:
        await engine.dispose()


def run_env(service: str, metadata: MetaData) -> None:
    """The body of every service's migrations/env.py, online or offline (`--sql`)."""
    from alembic import context

    if context.is_offline_mode():
        _run_offline(context.config, service, metadata)
    else:
        asyncio.run(_run_async(context.config, service, metadata))


async def _current_revision(config: Config, service: str) -> str | None:
    engine = _engine(config)
    try:
        async with engine.connect() as connection:
            return await connection.run_sync(
                lambda sync: MigrationContext.configure(
                    sync, opts={"version_table": version_table(service)}
                ).get_current_revision()
            )
    finally:
        await engine.dispose()


def migrate(config: Config, service: str, target: str = "head") -> None:
    """Upgrades or downgrades to target, whichever way it lies from the current revision."""
    current = asyncio.run(_current_revision(config, service))
    script = ScriptDirectory.from_config(config)
    if target == "base" or (current and _is_below(script, target, current)):
        command.downgrade(config, target)
    else:
        command.upgrade(config, target)


def _is_below(script: ScriptDirectory, target: str, current: str) -> bool:
    target_rev = script.get_revision(target)
    if target_rev is None or target_rev.revision == current:
        return False
    return any(rev.revision == target_rev.revision for rev in script.iterate_revisions(current, "base"))
