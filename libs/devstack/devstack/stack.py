"""Child processes of the local stack, foreman style.

Every child runs in its own process group (so a Ctrl-C meant for `make run` reaches
only the supervisor, which then stops the children in order) and asks the kernel to
send it SIGTERM should the supervisor die without cleaning up. Its stdout and stderr
are merged and printed line by line behind its name; the last lines are kept for the
report when it dies. Stopping sends SIGTERM to each group, waits, then SIGKILLs.
"""

import asyncio
import contextlib
import ctypes
import os
import signal
import sys
from collections import deque
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from rich.console import Console
from rich.text import Text

STOP_TIMEOUT = 10.0
KEPT_LINES = 30
COLORS = ("cyan", "magenta", "yellow", "green", "blue", "bright_red", "bright_cyan", "bright_magenta")
PR_SET_PDEATHSIG = 1
STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)


def _die_with_parent() -> None:  # pragma: no cover - runs in the child between fork and exec
    with contextlib.suppress(Exception):
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)


class ChildFailed(RuntimeError):
    """A child stopped on its own (or a one-off step failed); carries its last lines."""

    def __init__(self, child: "Child") -> None:
        super().__init__(f"{child.name} exited with code {child.returncode}")
        self.child = child


@dataclass
class Child:
    name: str
    process: asyncio.subprocess.Process
    color: str
    lines: deque[str] = field(default_factory=lambda: deque(maxlen=KEPT_LINES))
    reader: asyncio.Task | None = None
    expected_exit: bool = False

    @property
    def pid(self) -> int:
        return self.process.pid

    @property
    def returncode(self) -> int | None:
        return self.process.returncode

    def signal_group(self, signum: int) -> None:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.process.pid, signum)


class Supervisor:
    """Starts children, relays their output, notices the first one to die, stops them all."""

    def __init__(self, console: Console | None = None, *, width: int = 16) -> None:
        self.console = console or Console(highlight=False)
        self.children: list[Child] = []
        self.width = width
        self._hurry = asyncio.Event()

    async def start(self, name: str, argv: Sequence[str], env: Mapping[str, str]) -> Child:
        process = await asyncio.create_subprocess_exec(
            *argv,
            env=dict(env),
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.STDOUT,
            start_new_session=True,
            preexec_fn=_die_with_parent if sys.platform.startswith("linux") else None,
            limit=1 << 20,
        )
        child = Child(name, process, COLORS[len(self.children) % len(COLORS)])
        child.reader = asyncio.create_task(self._relay(child))
        self.children.append(child)
        return child

    async def _relay(self, child: Child) -> None:
        assert child.process.stdout is not None
        prefix = f"{child.name:>{self.width}} | "
        while True:
            try:
                raw = await child.process.stdout.readline()
            except ValueError:  # a line longer than the limit: take what there is
                raw = await child.process.stdout.read(1 << 20)
            if not raw:
                return
            line = raw.decode(errors="replace").rstrip("\n")
            child.lines.append(line)
            self.console.print(Text(prefix, style=child.color) + Text(line), soft_wrap=True)

    async def run_once(self, name: str, argv: Sequence[str], env: Mapping[str, str]) -> None:
        """Runs a one-off step (a migration, a seed) to the end; ChildFailed when it fails."""
        child = await self.start(name, argv, env)
        child.expected_exit = True
        await child.process.wait()
        if child.reader:
            await child.reader
        self.children.remove(child)
        if child.returncode != 0:
            raise ChildFailed(child)

    async def first_exit(self) -> Child:
        """Waits until some long-running child exits, and returns it."""
        waits = {asyncio.create_task(child.process.wait()): child for child in self.children if not child.expected_exit}
        if not waits:
            raise RuntimeError("no children to wait for")
        try:
            done, _ = await asyncio.wait(waits, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for task in waits:
                task.cancel()
        child = waits[next(iter(done))]
        if child.reader:
            await child.reader
        return child

    def check_alive(self) -> None:
        """Raises ChildFailed for the first long-running child that has already exited."""
        for child in self.children:
            if not child.expected_exit and child.returncode is not None:
                raise ChildFailed(child)

    def hurry(self) -> None:
        """A second Ctrl-C: stop waiting for graceful exits."""
        self._hurry.set()

    async def stop_all(self, timeout: float = STOP_TIMEOUT) -> None:
        """SIGTERM to every child's process group, up to timeout to exit, then SIGKILL."""
        children = list(self.children)
        for child in children:
            child.expected_exit = True
            if child.returncode is None:
                child.signal_group(signal.SIGTERM)
        waiting = asyncio.gather(*(child.process.wait() for child in children))
        hurry = asyncio.create_task(self._hurry.wait())
        await asyncio.wait([waiting, hurry], timeout=timeout, return_when=asyncio.FIRST_COMPLETED)
        hurry.cancel()
        for child in children:
            if child.returncode is None:
                self.console.print(f"[red]{child.name} did not stop within {timeout:.0f} s: killing it[/]")
            # Also whatever the child itself started and left behind in its group.
            child.signal_group(signal.SIGKILL)
        await waiting
        for child in children:
            if child.reader:
                with contextlib.suppress(Exception):
                    await asyncio.wait_for(child.reader, 2)
        self.children.clear()

    def report_failure(self, child: Child) -> None:
        self.console.print(f"\n[bold red]{child.name} exited with code {child.returncode}[/]; its last lines:")
        for line in child.lines:
            self.console.print(Text(f"  {line}"), soft_wrap=True)


def install_stop_handlers(supervisor: Supervisor) -> None:
    """The first SIGINT/SIGTERM/SIGHUP cancels the current task (whose cleanup stops the children); the next hurries."""
    loop = asyncio.get_running_loop()
    main = asyncio.current_task()
    assert main is not None
    console = supervisor.console
    stopping = False

    def on_signal(signum: int) -> None:
        nonlocal stopping
        if stopping:
            console.print("[red]stopping now[/]")
            supervisor.hurry()
            return
        stopping = True
        console.print(f"\n[bold]{signal.Signals(signum).name}: stopping every child[/] (again to hurry)")
        main.cancel()

    for signum in STOP_SIGNALS:
        loop.add_signal_handler(signum, on_signal, signum)
