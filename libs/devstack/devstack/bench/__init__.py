"""`python -m devstack bench`: measurements of the running system, each in a private stack."""

import asyncio
import os
import shutil
import subprocess
import tempfile
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

import asyncpg
from rich.console import Console

from accounts.repository.ledger_reads import invariant_violations
from devstack.config import StackConfig
from devstack.keys import KeyFiles, ensure_keys
from devstack.ports import free_port
from devstack.postgres import database_url, drop_database, postgres_server
from devstack.services import base_env, create_databases, migrate_all, python, start_all
from devstack.stack import ChildFailed, Supervisor, install_stop_handlers
from servicekit.config import CONTEXTS

DB_PREFIX = "bench_"


def service_bench(context: str, options: list[str]) -> int:
    """Runs a service's own `python -m <context> bench` against the server devstack finds (or starts)."""
    with postgres_server() as server:
        environment = {**os.environ, "DATABASE_URL": server}
        try:
            return subprocess.run(python(context, "bench", *options), env=environment, check=False).returncode
        except KeyboardInterrupt:
            return 130


def run_on_server(body: Callable[[str], Awaitable[int]]) -> int:
    """Runs a bench's body against the PostgreSQL server devstack finds (or starts); its exit code, 130 on Ctrl-C."""
    with postgres_server() as server:
        try:
            return asyncio.run(body(server))
        except KeyboardInterrupt:
            return 130


async def in_private_stack(
    console: Console,
    body: Callable[[Supervisor, Path], Awaitable[int]],
    *,
    failures: tuple[type[Exception], ...],
    cleanup: Callable[[], Awaitable[None]],
) -> int:
    """Runs a bench's body with a supervisor of child processes and a scratch folder, and its exit code.

    A child that dies or one of the failures is reported (1), Ctrl-C is 130; whatever happens, the
    children are stopped, cleanup runs and the folder goes.
    """
    supervisor = Supervisor(console)
    install_stop_handlers(supervisor)
    state_dir = Path(tempfile.mkdtemp(prefix="devstack-bench-"))
    try:
        try:
            return await body(supervisor, state_dir)
        except ChildFailed as failure:
            supervisor.report_failure(failure.child)
            return 1
        except failures as error:
            console.print(f"[bold red]bench failed: {error!r}[/]")
            return 1
    except asyncio.CancelledError:
        console.print("interrupted")
        return 130
    finally:
        await supervisor.stop_all()
        await cleanup()
        shutil.rmtree(state_dir, ignore_errors=True)


@dataclass(frozen=True)
class BenchStack:
    """The four services and the gateway of a bench, on free ports, with databases bench_<context> and keys
    of their own. Servers log at WARNING: one log line per request would otherwise be part of what is measured.
    The gateway's rate limits are off but those a bench sets (`start_stack`)."""

    server: str
    config: StackConfig
    keys: KeyFiles
    env: Mapping[str, str]

    def database_url(self, context: str) -> str:
        """The context's database, in the form asyncpg takes."""
        return database_url(self.server, self.config.database(context))

    async def ledger_violations(self) -> dict[str, list]:
        """What breaks the ledger's invariants after a run, by invariant; empty when the ledger is sound."""
        connection = await asyncpg.connect(self.database_url("accounts"))
        try:
            return await invariant_violations(connection)
        finally:
            await connection.close()


async def drop_stack_databases(server: str) -> None:
    for context in CONTEXTS:
        await drop_database(server, f"{DB_PREFIX}{context}")


async def start_stack(
    console: Console,
    supervisor: Supervisor,
    server: str,
    state_dir: Path,
    *,
    seed: Mapping[str, Mapping[str, str]] | None = None,
    rate_limits: Mapping[str, str] | None = None,
) -> BenchStack:
    """Makes the bench databases anew, migrates (and seeds those in `seed`) and starts the stack, whose gateway
    limits the route classes in `rate_limits` (name -> limit, as `RATE_LIMIT_<name>` takes it) and no other."""
    config = StackConfig(
        ports={context: free_port() for context in CONTEXTS},
        gateway_port=free_port(),
        db_prefix=DB_PREFIX,
        state_dir=state_dir,
    )
    # One address sends every request of a bench: the gateway's rate limits would measure themselves, but for
    # a limit the bench provokes on purpose.
    limits = {f"RATE_LIMIT_{route_class}": "off" for route_class in ("SIGN_IN", "WRITES", "READS")}
    limits |= {f"RATE_LIMIT_{route_class}": limit for route_class, limit in (rate_limits or {}).items()}
    env = base_env({"LOG_LEVEL": "WARNING", "SHUTDOWN_GRACE_SECONDS": "1", **limits})
    env.pop("DATABASE_URL", None)
    await drop_stack_databases(server)  # whatever an interrupted run left behind
    await create_databases(server, config)
    keys = ensure_keys(config.key_dir)
    console.print("[bold]migrating the bench databases[/]")
    await migrate_all(supervisor, server, config, env, seed=seed)
    console.print("[bold]starting the stack[/]")
    await start_all(supervisor, server, config, keys, env)
    return BenchStack(server=server, config=config, keys=keys, env=env)


async def in_bench_stack(
    console: Console,
    server: str,
    body: Callable[[Supervisor, BenchStack], Awaitable[int]],
    *,
    failures: tuple[type[Exception], ...],
    seed: Mapping[str, Mapping[str, str]] | None = None,
    rate_limits: Mapping[str, str] | None = None,
) -> int:
    """Runs a bench's body against a stack of its own (see `in_private_stack` and `start_stack`); its databases go
    at the end."""

    async def run(supervisor: Supervisor, state_dir: Path) -> int:
        stack = await start_stack(console, supervisor, server, state_dir, seed=seed, rate_limits=rate_limits)
        return await body(supervisor, stack)

    async def cleanup() -> None:
        await drop_stack_databases(server)

    return await in_private_stack(console, run, failures=failures, cleanup=cleanup)
