"""Waits until the service's database schema is at the revision this image was built for.

Runs as the `wait-for-schema` init container of every service pod, so a new pod takes no
traffic before its migrate Job has upgraded the database. It never migrates anything itself.

The image's Alembic history (ALEMBIC_CONFIG) gives the expected heads; the database's version
table gives the applied revisions. The pod may start when the database is at the image's heads,
or at a revision this image does not know: then a newer release has already migrated, and by the
expand/contract rule (deploy/README.md) its schema still serves this older code.

Environment: DATABASE_URL; ALEMBIC_CONFIG; ALEMBIC_VERSION_TABLE (servicekit names it
`<service>_alembic_version`; when unset, tables named `*alembic_version` are read);
SCHEMA_GATE_TIMEOUT seconds (default 600); SCHEMA_GATE_INTERVAL seconds (default 3).
Exits 0 when ready, 1 on timeout.
"""

from __future__ import annotations

import asyncio
import os
import sys
import time
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

FIND_VERSION_TABLES = """
SELECT table_schema, table_name FROM information_schema.columns
WHERE column_name = 'version_num' AND table_name LIKE '%alembic_version'
  AND table_schema NOT IN ('pg_catalog', 'information_schema')
"""


@dataclass(frozen=True)
class Verdict:
    ready: bool
    reason: str


def judge(applied: Iterable[str], heads: Iterable[str], known: Iterable[str]) -> Verdict:
    """Decides from the applied revisions, the image's heads and every revision the image knows."""
    applied, heads, known = set(applied), set(heads), set(known)
    if not applied:
        return Verdict(False, "the database has no Alembic revision yet: has the migrate Job run?")
    ahead = applied - known
    if ahead:
        return Verdict(True, f"the database is ahead of this image ({', '.join(sorted(ahead))})")
    missing = heads - applied
    if missing:
        return Verdict(
            False,
            f"the database is at {', '.join(sorted(applied))}, this image needs "
            f"{', '.join(sorted(missing))}: waiting for the migrate Job",
        )
    return Verdict(True, f"the database is at this image's head ({', '.join(sorted(heads))})")


def image_revisions(config_path: str) -> tuple[set[str], set[str]]:
    """Returns (heads, every revision) of the Alembic history next to config_path.

    The history is <dir of config_path>/migrations, the rule servicekit.migrations follows.
    """
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    config = Config(config_path)
    config.set_main_option("script_location", str(Path(config_path).parent / "migrations"))
    script = ScriptDirectory.from_config(config)
    return set(script.get_heads()), {rev.revision for rev in script.walk_revisions()}


def async_url(url: str) -> str:
    for plain in ("postgresql://", "postgres://"):
        if url.startswith(plain):
            return "postgresql+asyncpg://" + url[len(plain) :]
    return url


def quote(identifier: str) -> str:
    return '"' + identifier.replace('"', '""') + '"'


async def applied_revisions(url: str, table: str | None) -> set[str]:
    """Reads the version table(s); an unreachable database reads as no revision."""
    from sqlalchemy import text
    from sqlalchemy.ext.asyncio import create_async_engine

    engine = create_async_engine(async_url(url), pool_pre_ping=False)
    try:
        async with engine.connect() as connection:
            if table:
                tables = [tuple(table.split(".", 1))] if "." in table else [(None, table)]
            else:
                tables = [tuple(row) for row in await connection.execute(text(FIND_VERSION_TABLES))]
            revisions: set[str] = set()
            for schema, name in tables:
                qualified = f"{quote(schema)}.{quote(name)}" if schema else quote(name)
                if await connection.scalar(text("SELECT to_regclass(:name)"), {"name": qualified}) is None:
                    continue  # not created yet: the first migration has not run
                rows = await connection.execute(text(f"SELECT version_num FROM {qualified}"))
                revisions.update(row[0] for row in rows)
            return revisions
    finally:
        await engine.dispose()


async def wait(url: str, config_path: str, table: str | None, timeout: float, interval: float) -> int:
    heads, known = image_revisions(config_path)
    deadline = time.monotonic() + timeout
    last = ""
    while True:
        try:
            verdict = judge(await applied_revisions(url, table), heads, known)
        except Exception as exc:
            verdict = Verdict(False, f"cannot read the schema version: {type(exc).__name__}: {exc}")
        if verdict.reason != last:
            print(f"schema-gate: {verdict.reason}", flush=True)
            last = verdict.reason
        if verdict.ready:
            return 0
        if time.monotonic() >= deadline:
            print(f"schema-gate: gave up after {timeout:.0f}s", file=sys.stderr, flush=True)
            return 1
        await asyncio.sleep(interval)


def main() -> int:
    url = os.environ.get("DATABASE_URL")
    if not url:
        print("schema-gate: DATABASE_URL is not set", file=sys.stderr)
        return 2
    return asyncio.run(
        wait(
            url,
            os.environ.get("ALEMBIC_CONFIG", "alembic.ini"),
            os.environ.get("ALEMBIC_VERSION_TABLE") or None,
            float(os.environ.get("SCHEMA_GATE_TIMEOUT", "600")),
            float(os.environ.get("SCHEMA_GATE_INTERVAL", "3")),
        )
    )


if __name__ == "__main__":
    sys.exit(main())
