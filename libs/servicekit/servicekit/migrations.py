"""Alembic for one service: the shared async env.py logic and `migrate --to REV`.

Each service keeps its own history and version table in its own database. PostGIS's
own tables and schemas are left out of autogenerate and `alembic check`.
"""

import asyncio
import os
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from geoalchemy2 import alembic_helpers
from sqlalchemy import MetaData, pool
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import create_async_engine

POSTGIS_SCHEMAS = {"tiger", "tiger_data", "topology"}
POSTGIS_TABLES = {"spatial_ref_sys", "geography_columns", "geometry_columns", "raster_columns", "raster_overviews"}


def version_table(service: str) -> str:
    return f"{service}_alembic_version"


def include_name(name: str | None, type_: str, parent_names: dict) -> bool:
    if type_ == "schema":
        return name not in POSTGIS_SCHEMAS
    if type_ == "table":
        return name not in POSTGIS_TABLES
    return True


def alembic_config(service_root: Path, database_url: str) -> Config:
    """The service's alembic.ini (or $ALEMBIC_CONFIG) pointed at database_url."""
    path = Path(os.environ.get("ALEMBIC_CONFIG", service_root / "alembic.ini"))
    config = Config(str(path))
    config.set_main_option("script_location", str(path.parent / "migrations"))
    config.set_main_option("sqlalchemy.url", database_url.replace("%", "%%"))
    return config


def _configure(connection: Connection, service: str, metadata: MetaData) -> None:
    from alembic import context

    context.configure(
        connection=connection,
        target_metadata=metadata,
        version_table=version_table(service),
        include_name=include_name,
        compare_type=True,
        # GeoAlchemy2 renders spatial columns and their GIST indexes the way it creates them.
        render_item=alembic_helpers.render_item,
        process_revision_directives=alembic_helpers.writer,
    )
    with context.begin_transaction():
        context.run_migrations()


async def _run_async(url: str, service: str, metadata: MetaData) -> None:
    engine = create_async_engine(url, poolclass=pool.NullPool)
    try:
        async with engine.connect() as connection:
            await connection.run_sync(_configure, service, metadata)
    finally:
        await engine.dispose()


def run_env(service: str, metadata: MetaData) -> None:
    """The body of every service's migrations/env.py (online mode only)."""
    from alembic import context

    asyncio.run(_run_async(context.config.get_main_option("sqlalchemy.url"), service, metadata))


async def _current_revision(url: str, service: str) -> str | None:
    engine = create_async_engine(url, poolclass=pool.NullPool)
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
    current = asyncio.run(_current_revision(config.get_main_option("sqlalchemy.url"), service))
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
