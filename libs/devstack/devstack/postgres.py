"""Finding a PostgreSQL with PostGIS for the local stack and the tests.

Order: $DATABASE_URL; else the server on 127.0.0.1:5432 if it answers; else a
private cluster under .run/pgdata on a free port (initdb refuses root, so as root
it runs as the postgres user). PostgreSQL 15 and PostGIS are installed from Debian
when missing. What `postgres_server()` started it stops at the end.
"""

import asyncio
import contextlib
import hashlib
import os
import pwd
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import asyncpg

from devstack.paths import ROOT, RUN
from devstack.ports import free_port

DEFAULT_URL = "postgresql://postgres@127.0.0.1:5432/postgres"
PGDATA = RUN / "pgdata"
POSTGIS_PACKAGE = "postgresql-15-postgis-3"
# Each service may hold 2 x DB_POOL_SIZE + DB_POOL_OVERFLOW connections (30 by default): four of them under a
# bench's load, beside the bench's own, pass PostgreSQL's default of 100.
MAX_CONNECTIONS = 200


def _with_database(url: str, database: str, driver: str = "postgresql") -> str:
    parts = urlsplit(url)
    return urlunsplit((driver, parts.netloc, f"/{database}", parts.query, ""))


def admin_url(url: str) -> str:
    """The same server's maintenance database, in the form asyncpg takes."""
    return _with_database(url, "postgres")


def database_url(url: str, database: str) -> str:
    """Another database on the same server, in the form asyncpg takes."""
    return _with_database(url, database)


def service_url(url: str, database: str) -> str:
    """The SQLAlchemy URL of one service's database on the server."""
    return _with_database(url, database, "postgresql+asyncpg")


async def _answers(url: str) -> bool:
    try:
        connection = await asyncpg.connect(admin_url(url), timeout=3)
    except (TimeoutError, OSError, asyncpg.PostgresError):
        return False
    await connection.close()
    return True


def _installed_bin_dir() -> Path | None:
    for candidate in sorted(Path("/usr/lib/postgresql").glob("*/bin"), reverse=True):
        if (candidate / "initdb").exists():
            return candidate
    found = shutil.which("initdb")
    return Path(found).parent if found else None


def _bin_dir() -> Path:
    found = _installed_bin_dir()
    if found is None:
        # The PostGIS package depends on the server of its major version.
        _apt_install()
        found = _installed_bin_dir()
    if found is None:
        raise SystemExit("no PostgreSQL found: set DATABASE_URL or install PostgreSQL 15 (initdb)")
    return found


def _as_owner(args: list[str]) -> list[str]:
    """initdb and pg_ctl refuse root: run them as postgres, which then owns the data folder."""
    if os.geteuid() == 0:
        return ["runuser", "-u", "postgres", "--", *args]
    return args


def _data_dir() -> Path:
    """The cluster's folder: .run/pgdata. As root, postgres must reach it; where a parent folder
    shuts postgres out (a checkout under /root, a mktemp folder), the cluster lives in postgres's
    home instead and .run/pgdata links to it."""
    RUN.mkdir(exist_ok=True)
    if os.geteuid() != 0 or PGDATA.resolve().exists():
        return PGDATA.resolve()
    shutil.chown(RUN, "postgres")
    if subprocess.run(_as_owner(["test", "-w", str(RUN)])).returncode == 0:
        return PGDATA
    home = Path(pwd.getpwnam("postgres").pw_dir) / "marketplace"
    target = home / hashlib.sha256(str(ROOT).encode()).hexdigest()[:12]
    target.mkdir(parents=True, exist_ok=True, mode=0o700)
    for folder in (home, target):
        shutil.chown(folder, "postgres", "postgres")
    PGDATA.unlink(missing_ok=True)
    PGDATA.symlink_to(target)
    return target


def start_private_cluster() -> tuple[str, bool]:
    """Starts (creating on first use) the cluster under .run/pgdata; its URL, and whether this call started it."""
    bin_dir = _bin_dir()
    data = _data_dir()
    port_file = RUN / "pgport"
    if not (data / "PG_VERSION").exists():
        subprocess.run(
            _as_owner([str(bin_dir / "initdb"), "-D", str(data), "-U", "postgres", "--auth=trust", "-E", "UTF8"]),
            check=True,
            stdout=subprocess.DEVNULL,
        )
    port = int(port_file.read_text()) if port_file.exists() else free_port()
    port_file.write_text(str(port))
    status = subprocess.run(_as_owner([str(bin_dir / "pg_ctl"), "-D", str(data), "status"]), capture_output=True)
    started = status.returncode != 0
    if started:
        options = f"-p {port} -k {data} -c listen_addresses=127.0.0.1 -c max_connections={MAX_CONNECTIONS}"
        subprocess.run(
            _as_owner(
                [
                    str(bin_dir / "pg_ctl"),
                    "-D",
                    str(data),
                    "-l",
                    str(data / "server.log"),
                    "-o",
                    options,
                    "-w",
                    "start",
                ]
            ),
            check=True,
            stdout=subprocess.DEVNULL,
        )
    return f"postgresql://postgres@127.0.0.1:{port}/postgres", started


def stop_private_cluster() -> None:
    subprocess.run(
        _as_owner([str(_bin_dir() / "pg_ctl"), "-D", str(_data_dir()), "-m", "fast", "-w", "stop"]),
        check=True,
        stdout=subprocess.DEVNULL,
    )


async def _has_postgis(url: str) -> bool:
    connection = await asyncpg.connect(admin_url(url))
    try:
        return bool(await connection.fetchval("SELECT count(*) FROM pg_available_extensions WHERE name = 'postgis'"))
    finally:
        await connection.close()


def _apt_install() -> None:
    if os.geteuid() != 0 or not shutil.which("apt-get"):
        raise SystemExit(f"PostGIS is missing: install {POSTGIS_PACKAGE} (it brings PostgreSQL 15)")
    subprocess.run(["apt-get", "update", "-qq"], check=True)
    subprocess.run(
        ["apt-get", "install", "-y", "-qq", POSTGIS_PACKAGE],
        check=True,
        env={**os.environ, "DEBIAN_FRONTEND": "noninteractive"},
    )


def ensure_postgis(url: str) -> None:
    if not asyncio.run(_has_postgis(url)):
        _apt_install()


def _find() -> tuple[str, bool]:
    url = os.environ.get("DATABASE_URL")
    if url:
        url, started = admin_url(url), False
    elif asyncio.run(_answers(DEFAULT_URL)):
        url, started = DEFAULT_URL, False
    else:
        url, started = start_private_cluster()
    ensure_postgis(url)
    return url, started


def find_server() -> str:
    """A reachable server URL with PostGIS available; a private cluster started for it keeps running."""
    return _find()[0]


@contextlib.contextmanager
def postgres_server() -> Iterator[str]:
    """find_server(), stopping at the end the private cluster if this started it."""
    url, started = _find()
    try:
        yield url
    finally:
        if started:
            stop_private_cluster()


async def create_database(url: str, name: str) -> None:
    connection = await asyncpg.connect(admin_url(url))
    try:
        if not await connection.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", name):
            await connection.execute(f'CREATE DATABASE "{name}"')
    finally:
        await connection.close()


async def drop_database(url: str, name: str) -> None:
    connection = await asyncpg.connect(admin_url(url))
    try:
        await connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await connection.close()
