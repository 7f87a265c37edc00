"""`python -m devstack bench`: measurements of the running system, each in a private stack."""

import asyncio
import os
import shutil
import subprocess
import tempfile
from collections.abc import Awaitable, Callable
from pathlib import Path

from rich.console import Console

from devstack.postgres import postgres_server
from devstack.services import python
from devstack.stack import ChildFailed, Supervisor, install_stop_handlers


def service_bench(context: str, options: list[str]) -> int:
    """Runs a service's own `python -m <context> bench` against the server devstack finds (or starts)."""
    with postgres_server() as server:
        environment = {**os.environ, "DATABASE_URL": server}
        try:
            return subprocess.run(python(context, "bench", *options), env=environment, check=False).returncode
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
