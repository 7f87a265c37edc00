"""A service's command line (`python -m <context> ...`) run in a process of its own, as `make run` and the
migrate Jobs run it."""

import asyncio
import os
import sys
from collections.abc import Mapping
from dataclasses import dataclass


@dataclass(frozen=True)
class Finished:
    returncode: int
    stdout: str
    stderr: str


async def run_command(context: str, *args: str, env: Mapping[str, str] | None = None) -> Finished:
    """`python -m <context> <args>` with env (default: this process's environment), to its end."""
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        context,
        *args,
        env=dict(os.environ if env is None else env),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    stdout, stderr = await process.communicate()
    return Finished(process.returncode, stdout.decode(), stderr.decode())
